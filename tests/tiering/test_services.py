"""The set-based recompute, pins and policy versions."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import Account, AccountEvent, Tier, Transaction
from accounts.timeline import render_event
from tests.accounts.factories import AccountFactory, TransactionFactory
from tiering.models import AccountScore, RecomputeJob, TierChange, TierOverride, TierPolicy
from tiering.recompute import SCRATCH, add_months, tier_window
from tiering.rfm import quintile
from tiering.services import (
    tier_override_clear,
    tier_override_set,
    tier_policy_get_active,
    tier_policy_new_version,
    tiers_recompute,
)

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=SH)


def with_revenue(*amounts, when=None, kind=Transaction.Kind.PURCHASE):
    """One account per amount (None = no transactions), each with one transaction."""
    accounts = []
    for amount in amounts:
        account = AccountFactory()
        if amount is not None:
            TransactionFactory(
                account=account,
                amount=Decimal(amount),
                kind=kind,
                occurred_at=when or NOW - datetime.timedelta(days=30),
            )
        accounts.append(account)
    return accounts


def tiers(accounts):
    return [Account.objects.get(pk=a.pk).tier for a in accounts]


def scratch_table_left() -> bool:
    """Whether the recompute's temporary table outlived the recompute."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {SCRATCH}")
    except DatabaseError:
        return False
    return True


def set_policy(**fields):
    return tier_policy_new_version(**fields)


# --- windows --------------------------------------------------------------------------------


def test_add_months_clamps_to_month_end():
    assert add_months(datetime.date(2025, 3, 31), -1) == datetime.date(2025, 2, 28)
    assert add_months(datetime.date(2024, 3, 31), -1) == datetime.date(2024, 2, 29)
    assert add_months(datetime.date(2025, 1, 15), -12) == datetime.date(2024, 1, 15)


def test_window_is_whole_local_days():
    """12 months up to 2025-06-15 (local) = 2024-06-16 00:00 to 2025-06-16 00:00 Asia/Shanghai."""
    start, end = tier_window(now=NOW, months=12)
    assert start == datetime.datetime(2024, 6, 16, 0, 0, tzinfo=SH)
    assert end == datetime.datetime(2025, 6, 16, 0, 0, tzinfo=SH)
    # 23:30 UTC on the 15th is already the 16th in Shanghai
    start, end = tier_window(now=datetime.datetime(2025, 6, 15, 23, 30, tzinfo=datetime.UTC), months=12)
    assert end == datetime.datetime(2025, 6, 17, 0, 0, tzinfo=SH)


def test_transactions_exactly_at_the_window_edges_in_local_time():
    """The first local second of the window counts; the last second before it and the first
    second after it do not."""
    inside, before, after = AccountFactory(), AccountFactory(), AccountFactory()
    edge = datetime.datetime(2024, 6, 16, 0, 0, 0, tzinfo=SH)
    TransactionFactory(account=inside, amount=Decimal("500"), occurred_at=edge)
    TransactionFactory(account=before, amount=Decimal("900"), occurred_at=edge - datetime.timedelta(seconds=1))
    TransactionFactory(
        account=after, amount=Decimal("900"), occurred_at=datetime.datetime(2025, 6, 16, 0, 0, tzinfo=SH)
    )
    tiers_recompute(now=NOW)
    revenue = dict(Account.objects.values_list("pk", "revenue_12m"))
    assert revenue[inside.pk] == Decimal("500.00")
    assert revenue[before.pk] == Decimal("0")
    assert revenue[after.pk] == Decimal("0")
    assert Account.objects.get(pk=inside.pk).tier == Tier.VIP  # the only one ranked


# --- revenue rank ------------------------------------------------------------------------------


def test_revenue_rank_top_20_percent_vip_next_30_regular_rest_small():
    accounts = with_revenue(*[str(1000 * (10 - i)) for i in range(10)], None)
    job = tiers_recompute(now=NOW)
    assert tiers(accounts) == ["vip"] * 2 + ["regular"] * 3 + ["small"] * 5 + ["small"]
    assert job.status == RecomputeJob.Status.DONE
    assert job.counts["ranked"] == 10
    assert job.matrix["small"] == {"vip": 2, "regular": 3, "small": 6}


def test_ties_at_the_vip_boundary_share_the_higher_tier():
    """Equal revenue, equal tier: both accounts tied at 2nd place are VIP."""
    accounts = with_revenue("100", "90", "90", "80", "70", "60", "50", "40", "30", "20")
    tiers_recompute(now=NOW)
    assert tiers(accounts)[:4] == ["vip", "vip", "vip", "regular"]


def test_ties_at_the_regular_boundary_share_a_tier():
    accounts = with_revenue("100", "90", "80", "70", "60", "60", "60", "40", "30", "20")
    tiers_recompute(now=NOW)
    result = tiers(accounts)
    assert result[4] == result[5] == result[6] == "regular"
    assert result[7:] == ["small"] * 3


def test_zero_and_negative_revenue_are_small_and_not_ranked():
    """Refund-only (negative) and zero accounts are small and do not count in the 20%."""
    top, zero, negative = AccountFactory(), AccountFactory(), AccountFactory()
    TransactionFactory(account=top, amount=Decimal("100"), occurred_at=NOW - datetime.timedelta(days=1))
    TransactionFactory(account=zero, amount=Decimal("50"), occurred_at=NOW - datetime.timedelta(days=2))
    TransactionFactory(
        account=zero,
        amount=Decimal("50"),
        kind=Transaction.Kind.REFUND,
        occurred_at=NOW - datetime.timedelta(days=1),
    )
    TransactionFactory(
        account=negative,
        amount=Decimal("70"),
        kind=Transaction.Kind.REFUND,
        occurred_at=NOW - datetime.timedelta(days=1),
    )
    tiers_recompute(now=NOW)
    assert tiers([top, zero, negative]) == ["vip", "small", "small"]
    negative.refresh_from_db()
    assert negative.revenue_12m == Decimal("-70.00")
    assert negative.abc_class == "C"
    score = AccountScore.objects.get(account=zero)
    assert score.rank is None and score.ranked_count == 1


def test_refunds_subtract_and_recharges_add():
    account = AccountFactory()
    when = NOW - datetime.timedelta(days=5)
    TransactionFactory(account=account, amount=Decimal("1000.10"), occurred_at=when)
    TransactionFactory(account=account, amount=Decimal("200.00"), kind=Transaction.Kind.RECHARGE, occurred_at=when)
    TransactionFactory(account=account, amount=Decimal("300.05"), kind=Transaction.Kind.REFUND, occurred_at=when)
    tiers_recompute(now=NOW)
    account.refresh_from_db()
    assert account.revenue_12m == Decimal("900.05")
    assert AccountScore.objects.get(account=account).frequency == 2  # refunds are not purchases


def test_new_account_without_transactions_is_small_with_no_purchases_segment():
    with_revenue("100")
    (new,) = with_revenue(None)
    tiers_recompute(now=NOW)
    new.refresh_from_db()
    assert (new.tier, new.abc_class, new.rfm_segment) == ("small", "C", "no_purchases")
    score = AccountScore.objects.get(account=new)
    assert score.r is None and score.rank is None
    assert not TierChange.objects.filter(account=new).exists()


def test_archived_accounts_are_not_ranked_and_keep_their_tier():
    accounts = with_revenue("100", "90", "80", "70", "60")
    archived = accounts[0]
    Account.objects.filter(pk=archived.pk).update(is_archived=True, tier=Tier.REGULAR)
    job = tiers_recompute(now=NOW)
    assert job.counts["ranked"] == 4
    assert tiers(accounts) == ["regular", "vip", "regular", "small", "small"]
    assert not TierChange.objects.filter(account=archived).exists()


def test_min_vip_revenue_keeps_small_accounts_out_of_vip():
    accounts = with_revenue("5000", "900", "800", "700", "600")
    set_policy(min_vip_revenue=Decimal("1000"))
    tiers_recompute(now=NOW)
    assert tiers(accounts)[:1] == ["vip"]
    Account.objects.update(tier=Tier.SMALL)
    set_policy(min_vip_revenue=Decimal("10000"))
    tiers_recompute(now=NOW)
    assert tiers(accounts)[0] == "regular"
    change = TierChange.objects.filter(account=accounts[0]).latest("id")
    assert "below the VIP minimum of ¥10,000.00" in change.reason_text


# --- other methods ------------------------------------------------------------------------------


def test_thresholds_method_uses_fixed_levels_inclusive():
    accounts = with_revenue("1000000", "999999.99", "100000", "99999.99", "0.01")
    set_policy(method=TierPolicy.Method.THRESHOLDS)
    tiers_recompute(now=NOW)
    assert tiers(accounts) == ["vip", "regular", "regular", "small", "small"]
    change = TierChange.objects.get(account=accounts[0])
    assert change.reason_text.startswith("12-month revenue ¥1,000,000.00; VIP from ¥1,000,000.00")


def test_rfm_method_tiers_by_score():
    """Five accounts with rising recency, frequency and spend score 1..5 on each."""
    accounts = []
    for i in range(5):
        account = AccountFactory()
        for k in range(i + 1):
            TransactionFactory(
                account=account,
                amount=Decimal(100 * (i + 1)),
                occurred_at=NOW - datetime.timedelta(days=100 - 20 * i + k),
            )
        accounts.append(account)
    set_policy(method=TierPolicy.Method.RFM, rfm_vip_score=13, rfm_regular_score=9)
    tiers_recompute(now=NOW)
    scores = [AccountScore.objects.get(account=a) for a in accounts]
    assert [(s.r, s.f, s.m) for s in scores] == [(i, i, i) for i in range(1, 6)]
    assert tiers(accounts) == ["small", "small", "regular", "regular", "vip"]
    assert [s.segment for s in scores] == ["lost", "hibernating", "loyal", "champions", "champions"]
    assert "RFM 5-5-5 (score 15)" in TierChange.objects.get(account=accounts[4]).reason_text


def test_abc_classes_by_cumulative_share():
    """A up to 80% of revenue (the account that crosses 80% included), B to 95%, C the rest."""
    accounts = with_revenue("70", "20", "6", "4", None)
    tiers_recompute(now=NOW)
    assert [Account.objects.get(pk=a.pk).abc_class for a in accounts] == ["A", "A", "B", "C", "C"]


def test_abc_ties_share_a_class():
    accounts = with_revenue("40", "40", "10", "10")
    tiers_recompute(now=NOW)
    assert [Account.objects.get(pk=a.pk).abc_class for a in accounts] == ["A", "A", "B", "B"]


def _ranks_ascending(values: dict) -> dict:
    """1-based ranks, ties sharing the lowest (SQL's RANK)."""
    ordered = sorted(values.values())
    return {key: ordered.index(value) + 1 for key, value in values.items()}


def test_scores_ranks_and_classes_match_a_plain_computation_with_many_ties():
    """Quintiles from ranks with ties (rfm.quintile), revenue ranks shared by ties, the ABC share
    of the revenue ahead: the SQL against the rules written out in Python over 23 accounts whose
    dates, counts and amounts repeat, plus accounts with no purchase and a net refund."""
    spec = []  # (days ago of each purchase, amount of each)
    for i in range(23):
        count = 1 + i % 3
        days = [10 + (i % 6) * 12 + k for k in range(count)]
        spec.append((days, Decimal(100 * (1 + i % 5))))
    accounts = []
    for days, amount in spec:
        account = AccountFactory()
        for day in days:
            TransactionFactory(account=account, amount=amount, occurred_at=NOW - datetime.timedelta(days=day))
        accounts.append(account)
    accounts += with_revenue(None, None)
    refunded = with_revenue("50")[0]
    TransactionFactory(
        account=refunded,
        amount=Decimal("80"),
        kind=Transaction.Kind.REFUND,
        occurred_at=NOW - datetime.timedelta(days=5),
    )
    accounts.append(refunded)
    tiers_recompute(now=NOW)

    revenue, frequency, last = {}, {}, {}
    for account in accounts:
        rows = list(Transaction.objects.filter(account=account))
        revenue[account.pk] = sum((-t.amount if t.kind == Transaction.Kind.REFUND else t.amount) for t in rows)
        bought = [t for t in rows if t.kind != Transaction.Kind.REFUND]
        frequency[account.pk] = len(bought)
        if bought:
            last[account.pk] = max(t.occurred_at for t in bought)
    buyers = list(last)
    n = len(buyers)
    r_rank = _ranks_ascending({pk: last[pk] for pk in buyers})
    f_rank = _ranks_ascending({pk: frequency[pk] for pk in buyers})
    m_rank = _ranks_ascending({pk: revenue[pk] for pk in buyers})
    positive = {pk: value for pk, value in revenue.items() if value > 0}
    total = sum(positive.values())
    for account in accounts:
        score = AccountScore.objects.get(account=account)
        pk = account.pk
        if pk in last:
            expected = tuple(quintile(rank[pk], n) for rank in (r_rank, f_rank, m_rank))
            assert (score.r, score.f, score.m) == expected, pk
        else:
            assert (score.r, score.f, score.m) == (None, None, None)
        if pk in positive:
            ahead = sum(v for v in positive.values() if v > positive[pk])
            assert score.rank == 1 + sum(1 for v in positive.values() if v > positive[pk])
            share = ahead * 100 / total
            expected_class = "A" if share < 80 else "B" if share < 95 else "C"
        else:
            assert score.rank is None
            expected_class = "C"
        assert score.ranked_count == len(positive)
        assert score.abc_class == expected_class == Account.objects.get(pk=pk).abc_class, pk
    assert len({score.r for score in AccountScore.objects.exclude(r=None)}) == 5  # every quintile met


# --- history, idempotence, stability -------------------------------------------------------------


def test_history_only_on_change_with_readable_reason_and_timeline_event():
    (big, *_rest) = with_revenue("1204000", "10", "9", "8", "7")
    tiers_recompute(now=NOW)
    change = TierChange.objects.get(account=big)
    assert (change.previous_tier, change.new_tier, change.kind) == ("small", "vip", "computed")
    assert change.policy_version == tier_policy_get_active().version
    assert change.reason_text == "Rank 1 of 5; 12-month revenue ¥1,204,000.00 (policy v1)"
    event = AccountEvent.objects.get(account=big, kind="tier.changed")
    assert render_event(event)["text"].startswith("Tier changed from Small to VIP. Rank 1 of 5")
    assert TierChange.objects.count() == 3  # rank 1 VIP; ranks 2-3 regular; 4-5 stay small


def test_each_change_has_one_timeline_event_with_its_numbers():
    accounts = with_revenue("500", "400", "300", "200", "100")
    job = tiers_recompute(now=NOW)
    changes = {c.account_id: c for c in TierChange.objects.filter(job=job)}
    events = list(AccountEvent.objects.filter(kind="tier.changed"))
    assert sorted(e.account_id for e in events) == sorted(changes) == [a.pk for a in accounts[:3]]
    for event in events:
        assert event.data == changes[event.account_id].details
        assert event.occurred_at == changes[event.account_id].at
    # the same job run again (a redelivered task) copies no event of its first run
    set_policy(vip_percent=Decimal("40"))
    tiers_recompute(job=job, now=NOW + datetime.timedelta(hours=1))
    # (40% VIP: rank 2 regular → VIP, rank 4 small → regular)
    assert AccountEvent.objects.filter(kind="tier.changed").count() == TierChange.objects.count() == 5


def test_rerun_without_new_data_changes_nothing():
    with_revenue("500", "400", "300", "200", "100", None)
    tiers_recompute(now=NOW)
    changes, events = TierChange.objects.count(), AccountEvent.objects.count()
    before = list(Account.objects.order_by("pk").values_list("tier", "abc_class", "rfm_segment", "revenue_12m"))
    job = tiers_recompute(now=NOW + datetime.timedelta(minutes=5))
    assert job.counts["changed"] == 0
    assert (TierChange.objects.count(), AccountEvent.objects.count()) == (changes, events)
    after = list(Account.objects.order_by("pk").values_list("tier", "abc_class", "rfm_segment", "revenue_12m"))
    assert after == before
    assert not scratch_table_left()


def test_promotion_is_immediate_and_demotion_needs_two_recompute_days():
    accounts = with_revenue("500", "400", "300", "200", "100")
    tiers_recompute(now=NOW)
    top = accounts[0]
    assert tiers([top]) == ["vip"]
    # others grow past it: it now qualifies for regular
    for a in accounts[1:3]:
        TransactionFactory(account=a, amount=Decimal("10000"), occurred_at=NOW)
    day1 = NOW + datetime.timedelta(hours=1)
    tiers_recompute(now=day1)
    # promotions at once (regular -> VIP, regular stays), the demotion only pending
    assert tiers(accounts[:3]) == ["vip", "vip", "regular"]
    score = AccountScore.objects.get(account=top)
    assert (score.pending_tier, score.pending_streak) == ("regular", 1)
    # a second run the same day does not count again
    tiers_recompute(now=day1 + datetime.timedelta(hours=2))
    assert tiers([top]) == ["vip"]
    assert AccountScore.objects.get(account=top).pending_streak == 1
    # the next day confirms it
    tiers_recompute(now=day1 + datetime.timedelta(days=1))
    assert tiers([top]) == ["regular"]
    change = TierChange.objects.filter(account=top).latest("id")
    assert "qualified for the lower tier on 2 different days in a row" in change.reason_text
    score = AccountScore.objects.get(account=top)
    assert (score.pending_tier, score.pending_streak) == ("", 0)


def test_pending_demotion_resets_when_the_account_qualifies_again():
    accounts = with_revenue("500", "400", "300", "200", "100")
    tiers_recompute(now=NOW)
    bump = TransactionFactory(account=accounts[1], amount=Decimal("10000"), occurred_at=NOW)
    tiers_recompute(now=NOW + datetime.timedelta(days=1))
    assert AccountScore.objects.get(account=accounts[0]).pending_streak == 1
    bump.delete()
    tiers_recompute(now=NOW + datetime.timedelta(days=2))
    score = AccountScore.objects.get(account=accounts[0])
    assert (score.pending_tier, score.pending_streak) == ("", 0)
    assert tiers(accounts[:1]) == ["vip"]


def test_policy_change_is_a_new_version_and_moves_tiers():
    accounts = with_revenue(*[str(100 * (10 - i)) for i in range(10)])
    tiers_recompute(now=NOW)
    old = tier_policy_get_active()
    new = set_policy(vip_percent=Decimal("40"), regular_percent=Decimal("30"), demotion_streak=1)
    assert new.version == old.version + 1
    assert TierPolicy.objects.filter(pk=old.pk, vip_percent=Decimal("20")).exists()
    tiers_recompute(now=NOW)
    assert tiers(accounts)[:5] == ["vip"] * 4 + ["regular"]
    change = TierChange.objects.filter(account=accounts[2]).latest("id")
    assert change.policy_version == new.version
    assert change.reason_text.endswith(f"(policy v{new.version})")


def test_policy_rejects_shares_over_100_percent():
    with pytest.raises(ValidationError, match="cannot exceed 100%"):
        set_policy(vip_percent=Decimal("60"), regular_percent=Decimal("50"))


def test_dry_run_counts_moves_and_writes_nothing():
    accounts = with_revenue("500", "400", "300", "200", "100")
    job = tiers_recompute(now=NOW, dry_run=True)
    assert job.dry_run and job.status == RecomputeJob.Status.DONE
    assert job.matrix["small"] == {"vip": 1, "regular": 2, "small": 2}
    assert job.counts["changed"] == 3
    assert tiers(accounts) == ["small"] * 5
    assert not TierChange.objects.exists()
    assert not AccountScore.objects.exists()
    assert not scratch_table_left()


def test_recompute_is_set_based(django_assert_max_num_queries):
    """The number of queries does not grow with the number of accounts."""
    tiers_recompute(now=NOW - datetime.timedelta(days=1))  # a previous run, as every night but the first has
    with_revenue(*[str(i * 10) for i in range(1, 6)])
    with django_assert_max_num_queries(41) as small_run:
        tiers_recompute(now=NOW)
    with_revenue(*[str(i * 7) for i in range(1, 60)])
    with django_assert_max_num_queries(len(small_run.captured_queries)):
        tiers_recompute(now=NOW + datetime.timedelta(days=1))


def test_failed_recompute_marks_the_job(monkeypatch):
    from tiering import recompute

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(recompute, "_compute_rows", boom)
    job = RecomputeJob.objects.create()
    with pytest.raises(RuntimeError, match="disk full"):
        tiers_recompute(job=job, now=NOW)
    job.refresh_from_db()
    assert job.status == RecomputeJob.Status.FAILED
    assert "disk full" in job.error


# --- pins ------------------------------------------------------------------------------------------


def test_pin_holds_through_recomputes_until_it_expires_then_computed_tier_returns(admin_user):
    today = timezone.localdate()
    accounts = with_revenue("500", "400", "300", "200", "100", when=timezone.now() - datetime.timedelta(days=3))
    low = accounts[-1]
    now = timezone.now()
    tiers_recompute(now=now)
    override = tier_override_set(
        account=low,
        tier=Tier.VIP,
        reason="Government flagship",
        ends_on=today + datetime.timedelta(days=3),
        actor=admin_user,
    )
    low.refresh_from_db()
    assert low.tier == Tier.VIP
    pin_change = TierChange.objects.filter(account=low).latest("id")
    assert pin_change.kind == "override" and pin_change.actor == admin_user
    assert "Government flagship" in pin_change.reason_text
    # the last day of the pin still holds
    tiers_recompute(now=now + datetime.timedelta(days=3))
    assert tiers([low]) == ["vip"]
    # the day after it ends: computed tier back at once (no demotion streak), logged
    tiers_recompute(now=now + datetime.timedelta(days=4))
    assert tiers([low]) == ["small"]
    back = TierChange.objects.filter(account=low).latest("id")
    assert back.kind == "override_expired" and back.previous_tier == "vip"
    assert "pin ended on" in back.reason_text
    override.refresh_from_db()
    assert override.active is False and override.ended_at is not None
    assert AccountEvent.objects.filter(account=low, kind="tier.override_ended").exists()


def test_pin_validation(admin_user):
    account = AccountFactory()
    with pytest.raises(ValidationError, match="Say why the tier is pinned.") as err:
        tier_override_set(
            account=account,
            tier="gold",
            reason=" ",
            ends_on=timezone.localdate() - datetime.timedelta(days=1),
            actor=admin_user,
        )
    assert set(err.value.message_dict) == {"tier", "reason", "ends_on"}
    assert not TierOverride.objects.exists()


def test_new_pin_replaces_the_old_one(admin_user):
    account = AccountFactory()
    first = tier_override_set(
        account=account, tier=Tier.VIP, reason="a", ends_on=timezone.localdate(), actor=admin_user
    )
    second = tier_override_set(
        account=account, tier=Tier.REGULAR, reason="b", ends_on=timezone.localdate(), actor=admin_user
    )
    first.refresh_from_db()
    assert not first.active and second.active
    assert TierChange.objects.filter(account=account).count() == 2


def test_clearing_a_pin_returns_the_computed_tier(director):
    accounts = with_revenue("500", "400", "300", "200", "100", when=timezone.now() - datetime.timedelta(days=1))
    tiers_recompute()
    low = accounts[-1]
    override = tier_override_set(
        account=low, tier=Tier.VIP, reason="pilot", ends_on=timezone.localdate(), actor=director
    )
    tier_override_clear(override=override, actor=director, reason="pilot over")
    low.refresh_from_db()
    assert low.tier == Tier.SMALL
    change = TierChange.objects.filter(account=low).latest("id")
    assert change.kind == "override_cleared"
    assert change.reason_text.startswith("Pin removed: pilot over")
    with pytest.raises(ValidationError, match="This pin has already ended."):
        tier_override_clear(override=override, actor=director)


# --- one real recompute at a time; texts stored language-neutral ----------------------------


def test_a_real_recompute_is_refused_while_another_is_queued(django_capture_on_commit_callbacks, monkeypatch):
    """Two quick clicks start one job: the second request is refused with a clear message."""
    from tiering import tasks
    from tiering.services import RecomputeInProgress, recompute_job_request

    monkeypatch.setattr(tasks.run_recompute_job, "apply_async", lambda args=(), **kw: None)
    first = recompute_job_request()
    with pytest.raises(RecomputeInProgress, match=r"Another recompute \(#\d+\) is already queued or running") as exc:
        recompute_job_request()
    assert exc.value.messages == [
        f"Another recompute (#{first.pk}) is already queued or running. "
        "Wait until it has finished before starting a new one."
    ]
    assert exc.value.job == first
    assert isinstance(exc.value, ValidationError)
    assert RecomputeJob.objects.count() == 1
    # a dry run writes nothing: it may run beside it
    assert recompute_job_request(dry_run=True).dry_run
    # a running one blocks too; a finished one does not
    RecomputeJob.objects.filter(pk=first.pk).update(status="running", started_at=timezone.now())
    with pytest.raises(RecomputeInProgress, match="is already queued or running"):
        recompute_job_request()
    RecomputeJob.objects.filter(pk=first.pk).update(status="done", finished_at=timezone.now())
    assert recompute_job_request().status == "queued"


def test_an_abandoned_job_does_not_block_forever(monkeypatch):
    """A job queued or running for more than two hours (its worker died) blocks nothing."""
    from tiering import tasks
    from tiering.services import recompute_job_request

    monkeypatch.setattr(tasks.run_recompute_job, "apply_async", lambda args=(), **kw: None)
    long_ago = timezone.now() - datetime.timedelta(hours=3)
    queued = RecomputeJob.objects.create(status="queued")
    running = RecomputeJob.objects.create(status="running", started_at=long_ago)
    RecomputeJob.objects.filter(pk=queued.pk).update(created_at=long_ago)
    job = recompute_job_request()
    assert job.pk not in (queued.pk, running.pk) and job.status == "queued"


def test_job_steps_are_stored_in_english_whatever_the_worker_language():
    """The stored step is not in the worker's language; the page words it for its reader."""
    from django.utils import translation

    AccountFactory()
    with translation.override("zh-hans"):
        job = tiers_recompute()
    assert job.step == "Done"


def test_ending_a_pin_without_a_reason_stores_none_and_words_it_for_the_reader():
    """No reason given: nothing in the actor's language is stored; each reader sees the
    default reason in their own language."""
    from django.utils import translation

    from tests.users.factories import UserFactory

    account = AccountFactory()
    tiers_recompute()
    override = tier_override_set(
        account=account, tier=Tier.VIP, reason="Pilot", ends_on=timezone.localdate(), actor=None
    )
    with translation.override("zh-hans"):
        tier_override_clear(override=override, actor=UserFactory())
    change = TierChange.objects.get(kind=TierChange.Kind.OVERRIDE_CLEARED)
    event = AccountEvent.objects.get(kind="tier.override_ended")
    assert change.reason == "" and change.details["reason"] == "" and event.data["reason"] == ""
    with translation.override("en"):
        assert "Pin removed: ended by hand" in change.reason_text
        assert "was removed: ended by hand" in render_event(event)["text"]
    with translation.override("zh-hans"):
        assert translation.gettext("ended by hand") in change.reason_text
