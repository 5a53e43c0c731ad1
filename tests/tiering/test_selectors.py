"""Read queries: visibility, summaries, the Pareto curve, benefits."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Tier
from tests.accounts.factories import AccountFactory, TransactionFactory
from tests.tiering.factories import TierChangeFactory
from tests.users.factories import TeamFactory
from tiering import selectors
from tiering.services import tiers_recompute

pytestmark = pytest.mark.django_db


def seed(owner, *amounts):
    accounts = []
    for amount in amounts:
        account = AccountFactory(owner=owner)
        TransactionFactory(
            account=account, amount=Decimal(amount), occurred_at=timezone.now() - datetime.timedelta(days=3)
        )
        accounts.append(account)
    return accounts


def test_tier_benefits_defaults_come_from_the_data_migration():
    vip = selectors.tier_benefits_for(Tier.VIP)
    assert (vip.response_hours, vip.resolution_hours, vip.visit_cadence_days, vip.callback_cadence_days) == (
        2,
        24,
        30,
        14,
    )
    assert set(selectors.tier_benefits()) == {"vip", "regular", "small"}
    small = selectors.tier_benefits_for(Tier.SMALL)
    assert small.response_hours > selectors.tier_benefits_for(Tier.REGULAR).response_hours > vip.response_hours


def test_tier_changes_are_scoped_to_the_managers_accounts(manager, other_manager, director, service_agent):
    mine = TierChangeFactory(account=AccountFactory(owner=manager))
    theirs = TierChangeFactory(account=AccountFactory(owner=other_manager))
    assert list(selectors.tier_changes_for_user(user=manager)) == [mine]
    assert set(selectors.tier_changes_for_user(user=director)) == {mine, theirs}
    assert set(selectors.tier_changes_for_user(user=service_agent)) == {mine, theirs}


def test_team_leader_sees_members_tier_changes(manager, other_manager):
    TeamFactory(leader=manager, members=[other_manager])
    theirs = TierChangeFactory(account=AccountFactory(owner=other_manager))
    assert list(selectors.tier_changes_for_user(user=manager)) == [theirs]


def test_tier_summary_and_pareto_for_visible_accounts(manager, other_manager, director):
    seed(manager, "800", "100", "50", "30", "20")
    seed(other_manager, "5000")
    tiers_recompute()
    rows, totals = selectors.tier_summary(user=manager)
    assert totals["accounts"] == 5
    assert sum(r["accounts"] for r in rows) == 5
    assert round(sum(r["revenue_share"] for r in rows)) == 100
    _rows, all_totals = selectors.tier_summary(user=director)
    assert all_totals["accounts"] == 6
    curve = selectors.pareto_curve(user=manager)
    assert curve["x"][0] == 0 and curve["x"][-1] == 100 and curve["y"][-1] == 100
    assert curve["y"][1] == 80.0  # the largest of five (20% of accounts) brings 800 / 1000
    assert curve["share_for_80"] == 20.0


def test_pareto_80_percent_reached_exactly_and_sampled(manager):
    seed(manager, "80", "10", "10")
    tiers_recompute()
    curve = selectors.pareto_curve(user=manager, points=2)
    assert curve["share_for_80"] == 33.3  # the first of three brings exactly 80%
    assert curve["x"] == [0.0, 33.33, 66.67, 100.0] and curve["y"] == [0.0, 80.0, 90.0, 100.0]


def test_pareto_is_empty_without_revenue(manager):
    AccountFactory(owner=manager)
    assert selectors.pareto_curve(user=manager) == {"x": [], "y": [], "accounts": 0, "share_for_80": None}


def test_rfm_grid_and_abc_lists_are_scoped(manager, other_manager):
    seed(manager, "800", "100")
    seed(other_manager, "5000", "10", "20")
    tiers_recompute()
    grid = selectors.rfm_grid(user=manager)
    assert grid["total"] == 2
    assert sum(c["n"] for row in grid["grid"] for c in row["cells"]) == 2
    assert sum(s["accounts"] for s in grid["segments"]) == 2
    assert sum(s["revenue"] for s in grid["segments"]) == Decimal("900.00")
    assert selectors.abc_accounts(user=manager).count() == 2
    assert [a.revenue_12m for a in selectors.abc_accounts(user=manager)] == [Decimal("800.00"), Decimal("100.00")]
    assert selectors.abc_accounts(user=manager, q="zzz-none").count() == 0


def test_movement_rows_follow_tier_order():
    from tiering.models import RecomputeJob

    job = RecomputeJob(matrix={"small": {"vip": 2, "regular": 1, "small": 5}, "vip": {"vip": 1}})
    rows = selectors.movement_rows(job)
    assert [r["from"] for r in rows] == ["vip", "regular", "small"]
    assert [c["n"] for c in rows[2]["cells"]] == [2, 1, 5]
    assert rows[0]["total"] == 1
    assert selectors.movement_rows(None) == []


def test_account_tier_summary(manager, director):
    (account,) = seed(manager, "100")
    tiers_recompute()
    account.refresh_from_db()
    summary = selectors.account_tier_summary(user=manager, account=account, with_changes=True)
    assert summary["score"].rank == 1
    assert summary["benefit"].tier == account.tier == "vip"
    assert len(summary["changes"]) == 1
    assert "can_manage" not in summary  # permissions are the role table's, not a selector's


def test_the_tier_card_offers_pinning_by_the_role_table(manager, director):
    from accounts.panels import panel_get_for_user

    (account,) = seed(manager, "100")

    def card(user):
        return panel_get_for_user(user=user, key="tiering.tier").context(user=user, account=account)

    assert card(manager)["can_manage"] is False
    assert card(director)["can_manage"] is True


def test_recompute_moves_of_a_manager_add_up_their_accounts_in_one_query(
    manager, other_manager, director, django_assert_num_queries
):
    from tiering.models import TierChange

    mine = seed(manager, 300, 200, 100)
    seed(other_manager, 500, 400, 50, 10)
    job = tiers_recompute()
    selectors.sees_all_accounts(manager)  # the user's roles, cached for the request
    with django_assert_num_queries(1):  # the manager's teams; the counts are in the job
        moves = selectors.recompute_moves(user=manager, job=job)
    assert moves["all_accounts"] is False
    assert moves["changed"] == TierChange.objects.filter(job=job, account__in=mine).count() > 0
    assert moves["changed"] < job.counts["changed"]
    cells = {(row["from"].value, c["to"].value): c["n"] for row in moves["rows"] for c in row["cells"]}
    assert sum(cells.values()) == len(mine)  # every account of theirs, moved or kept
    # a team leader also sees the moves of their members' accounts
    TeamFactory(leader=manager, members=[other_manager])
    manager._crm_scope = None
    led = selectors.recompute_moves(user=manager, job=job)
    assert led["changed"] == job.counts["changed"]


def test_recompute_moves_of_an_older_job_come_from_its_changes(manager, other_manager):
    from tiering.models import TierChange

    mine = seed(manager, 300, 200, 100)
    seed(other_manager, 500, 400, 50, 10)
    job = tiers_recompute()
    job.counts.pop("moves_by_scope")  # as recorded before the per-scope counts
    moves = selectors.recompute_moves(user=manager, job=job)
    assert moves["changed"] == TierChange.objects.filter(job=job, account__in=mine).count() > 0
    cells = {(row["from"].value, c["to"].value): c["n"] for row in moves["rows"] for c in row["cells"]}
    assert cells[("small", "small")] is None  # staying put is not recorded per account


def test_all_accounts_moves_are_the_jobs_matrix(manager, other_manager, director):
    seed(manager, 300, 200, 100)
    seed(other_manager, 500, 400, 50, 10)
    job = tiers_recompute()
    all_ = selectors.recompute_moves(user=director, job=job)
    assert all_["all_accounts"] and all_["changed"] == job.counts["changed"]
    assert all_["rows"][2]["cells"][2]["n"] == job.matrix["small"]["small"]
