import datetime
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from accounts.timeline import record_event
from opportunities import selectors
from opportunities.models import StageChange
from tests.accounts.factories import AccountFactory, CompetitorFactory, ContactFactory
from users.models import Team

from .factories import OpportunityContactFactory, OpportunityFactory, stage

pytestmark = pytest.mark.django_db


def _opp(owner, *, code="need", amount="0", probability=None, close=None, account=None, **kw):
    s = stage(code)
    return OpportunityFactory(
        account=account or AccountFactory(owner=owner),
        owner=owner,
        stage=s,
        amount=Decimal(amount),
        probability=s.probability if probability is None else probability,
        expected_close_on=close or datetime.date(2027, 1, 15),
        **kw,
    )


class TestForecast:
    def test_sums_by_month_and_owner_match_hand_computed_figures(self, manager, other_manager, director):
        # January, manager: 100,000.00 × 10 % + 33,333.33 × 35 % = 10,000.00 + 11,666.6655 = 21,666.67
        _opp(manager, amount="100000.00", close=datetime.date(2027, 1, 5))
        _opp(manager, code="evaluation", amount="33333.33", probability=35, close=datetime.date(2027, 1, 31))
        # January, other manager: 50,000.01 × 60 % = 30,000.006 → 30,000.01
        _opp(other_manager, code="evaluation", amount="50000.01", close=datetime.date(2027, 1, 20))
        # February, manager: 80,000 × 80 % = 64,000
        _opp(manager, code="decision", amount="80000", close=datetime.date(2027, 2, 1))
        # closed and archived ones are not forecast
        _opp(manager, code="won", amount="999999", close=datetime.date(2027, 1, 10))
        _opp(manager, amount="777777", close=datetime.date(2027, 1, 10), is_archived=True)

        rows = selectors.forecast_by_month(user=director)
        got = {(r["month"], r["owner_id"]): (r["count"], r["amount"], r["weighted"]) for r in rows}
        jan, feb = datetime.date(2027, 1, 1), datetime.date(2027, 2, 1)
        assert got == {
            (jan, manager.pk): (2, Decimal("133333.33"), Decimal("21666.67")),
            (jan, other_manager.pk): (1, Decimal("50000.01"), Decimal("30000.01")),
            (feb, manager.pk): (1, Decimal("80000.00"), Decimal("64000.00")),
        }
        assert all(isinstance(r["weighted"], Decimal) for r in rows)

    def test_a_manager_sees_only_their_accounts_and_the_period_filters(self, manager, other_manager):
        _opp(manager, amount="1000", close=datetime.date(2027, 1, 5))
        _opp(manager, amount="2000", close=datetime.date(2027, 3, 5))
        _opp(other_manager, amount="5000", close=datetime.date(2027, 1, 5))
        rows = selectors.forecast_by_month(
            user=manager, date_from=datetime.date(2027, 1, 1), date_to=datetime.date(2027, 1, 31)
        )
        assert [(r["owner_id"], r["amount"]) for r in rows] == [(manager.pk, Decimal("1000.00"))]


class TestPipeline:
    def test_every_open_stage_with_count_amount_and_weighted(self, manager, director):
        _opp(manager, code="evaluation", amount="1000.00")
        _opp(manager, code="evaluation", amount="2000.00", probability=25)
        rows = {r["code"]: r for r in selectors.pipeline_by_stage(user=director)}
        assert set(rows) == {"need", "project", "information", "screening", "evaluation", "decision"}
        assert rows["evaluation"]["count"] == 2
        assert rows["evaluation"]["amount"] == Decimal("3000.00")
        assert rows["evaluation"]["weighted"] == Decimal("1100.00")  # 600 + 500
        assert rows["need"]["count"] == 0 and rows["need"]["amount"] == Decimal("0.00")
        assert "won" in {r["code"] for r in selectors.pipeline_by_stage(user=director, include_closed=True)}

    def test_a_manager_does_not_see_another_managers_pipeline(self, manager, other_manager):
        _opp(other_manager, code="evaluation", amount="1000.00")
        assert all(r["count"] == 0 for r in selectors.pipeline_by_stage(user=manager))

    def test_the_board_limits_cards_not_totals(self, manager, monkeypatch):
        monkeypatch.setattr(selectors, "BOARD_CARDS_PER_STAGE", 2)
        for _ in range(3):
            _opp(manager, code="project", amount="10.00")
        column = next(c for c in selectors.board(user=manager) if c["stage"].code == "project")
        assert column["count"] == 3 and len(column["cards"]) == 2 and column["more"] == 1
        assert column["amount"] == Decimal("30.00")


class TestWonLost:
    def test_by_reason_and_competitor(self, manager, director):
        rival, other = CompetitorFactory(name="Rival"), CompetitorFactory(name="Other")
        today = timezone.localdate()
        _opp(manager, code="won", amount="100", close_reason="relationship", closed_on=today)
        _opp(manager, code="won", amount="50", close_reason="relationship", closed_on=today)
        _opp(manager, code="lost", amount="70", close_reason="price", lost_to=rival, closed_on=today)
        _opp(manager, code="lost", amount="30", close_reason="price", lost_to=rival, closed_on=today)
        _opp(manager, code="lost", amount="20", close_reason="product", lost_to=other, closed_on=today)
        _opp(
            manager,
            code="lost",
            amount="999",
            close_reason="price",
            lost_to=rival,
            closed_on=today - datetime.timedelta(days=400),
        )
        data = selectors.won_lost_analysis(user=director, date_from=today - datetime.timedelta(days=30), date_to=today)
        assert data["totals"]["won_count"] == 2 and data["totals"]["won_amount"] == Decimal("150.00")
        assert data["totals"]["lost_count"] == 3 and data["totals"]["lost_amount"] == Decimal("120.00")
        assert data["totals"]["win_rate"] == Decimal("40.0")
        reasons = {(r["outcome"], r["reason"]): (r["count"], r["amount"]) for r in data["by_reason"]}
        assert reasons == {
            ("won", "relationship"): (2, Decimal("150.00")),
            ("lost", "price"): (2, Decimal("100.00")),
            ("lost", "product"): (1, Decimal("20.00")),
        }
        assert [(r["competitor"], r["count"], r["amount"]) for r in data["by_competitor"]] == [
            ("Rival", 2, Decimal("100.00")),
            ("Other", 1, Decimal("20.00")),
        ]
        empty = selectors.won_lost_analysis(
            user=director, date_from=datetime.date(2000, 1, 1), date_to=datetime.date(2000, 1, 2)
        )
        assert empty["totals"]["win_rate"] is None


class TestAccess:
    def test_another_managers_opportunity_is_404(self, manager, other_manager):
        opp = _opp(other_manager)
        with pytest.raises(Http404):
            selectors.opportunity_get_for_user(user=manager, pk=opp.pk)

    def test_a_team_leader_sees_their_members(self, manager, other_manager):
        team = Team.objects.create(name="North", leader=manager)
        team.members.add(other_manager)
        opp = _opp(other_manager)
        assert selectors.opportunity_get_for_user(user=manager, pk=opp.pk) == opp


class TestDurations:
    def test_time_in_each_stage_from_the_changes(self, manager):
        t0 = timezone.now() - datetime.timedelta(days=30)
        opp = _opp(manager, stage_entered_at=t0)
        StageChange.objects.create(
            opportunity=opp,
            from_stage=stage("need"),
            to_stage=stage("project"),
            changed_at=t0 + datetime.timedelta(days=4),
        )
        StageChange.objects.create(
            opportunity=opp,
            from_stage=stage("project"),
            to_stage=stage("need"),
            changed_at=t0 + datetime.timedelta(days=10),
        )
        StageChange.objects.create(
            opportunity=opp,
            from_stage=stage("need"),
            to_stage=stage("won"),
            changed_at=t0 + datetime.timedelta(days=12),
        )
        rows = {
            r["stage"].code: r["days"]
            for r in selectors.stage_durations(opportunity=opp, now=t0 + datetime.timedelta(days=30))
        }
        assert rows == {"need": 6, "project": 6, "won": 0}  # 4 + 2 days in need; a closed stage does not count on


class TestBuyingCentre:
    def test_no_decider_linked_is_a_gap(self, manager):
        opp = _opp(manager)
        OpportunityContactFactory(opportunity=opp, role="technical")
        assert selectors.buying_centre(opportunity=opp)["gaps"] == ["no_decider"]

    def test_a_decider_not_met_in_90_days_is_a_gap_until_met(self, manager):
        opp = _opp(manager)
        contact = ContactFactory(account=opp.account)
        OpportunityContactFactory(opportunity=opp, contact=contact, role="economic")
        # met 100 days ago: too long
        record_event(
            account=opp.account,
            kind="opportunity.created",
            data={"met_contacts": [contact.pk]},
            occurred_at=timezone.now() - datetime.timedelta(days=100),
        )
        gaps = selectors.buying_centre(opportunity=opp)["gaps"]
        assert len(gaps) == 1 and gaps[0][0] == "not_met" and gaps[0][1].contact == contact
        record_event(
            account=opp.account,
            kind="opportunity.created",
            data={"met_contacts": [contact.pk]},
            occurred_at=timezone.now() - datetime.timedelta(days=10),
        )
        centre = selectors.buying_centre(opportunity=opp)
        assert centre["gaps"] == [] and centre["links"][0].last_met_at is not None
