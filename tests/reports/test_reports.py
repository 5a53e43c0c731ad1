"""Each report on a small data set, against figures worked out by hand in the test; another
manager's data is never counted."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from reports.definitions import (
    build_composition,
    build_health,
    build_pipeline,
    build_receivables,
    build_scorecard,
    build_service,
    build_visits,
)
from reports.forms import ReportParams
from tests.accounts.factories import AccountFactory, TransactionFactory
from tests.contracts.factories import ContractFactory, InstallmentFactory
from tests.service_requests.factories import ServiceRequestFactory
from tests.visits.factories import CallbackFactory, VisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Reasons and notes are worded in the active language: these tests read them in English."""
    from django.utils import translation

    with translation.override("en"):
        yield


OCT = ReportParams(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 10, 31))


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def buy(account, day, amount, kind="purchase"):
    TransactionFactory(account=account, occurred_at=at(day), amount=Decimal(amount), kind=kind)


def rows_by(table, key="label"):
    return {row[key]: row for row in table.rows}


class TestComposition:
    @pytest.fixture
    def book(self, manager, other_manager):
        a = AccountFactory(owner=manager, name="Alpha", tier="vip", abc_class="A")
        b = AccountFactory(owner=manager, name="Beta", tier="regular", abc_class="B")
        c = AccountFactory(owner=manager, name="Gamma", tier="small", abc_class="C")
        buy(a, datetime.date(2026, 10, 2), "6000")
        buy(b, datetime.date(2026, 10, 9), "3500")
        buy(b, datetime.date(2026, 10, 10), "500", kind="refund")  # net 3000
        buy(c, datetime.date(2026, 10, 31), "1000")
        buy(c, datetime.date(2026, 9, 30), "9999")  # before the period
        theirs = AccountFactory(owner=other_manager, name="Theirs", tier="vip")
        buy(theirs, datetime.date(2026, 10, 5), "50000")

    def test_shares_by_tier_and_abc(self, manager, book):
        """Total 10,000: VIP 6,000 (60%), regular 3,000 (30%), small 1,000 (10%)."""
        result = build_composition(user=manager, params=OCT)
        tiers = rows_by(result.table("tiers"), "key")
        assert (tiers["vip"]["accounts"], tiers["vip"]["revenue"], tiers["vip"]["share"]) == (
            1,
            Decimal("6000"),
            Decimal("60.0"),
        )
        assert (tiers["regular"]["revenue"], tiers["regular"]["share"]) == (Decimal("3000"), Decimal("30.0"))
        assert (tiers["small"]["revenue"], tiers["small"]["share"]) == (Decimal("1000"), Decimal("10.0"))
        assert result.table("tiers").totals["revenue"] == Decimal("10000")
        assert result.table("tiers").totals["accounts"] == 3
        abc = rows_by(result.table("abc"), "key")
        assert [abc[k]["share"] for k in ("A", "B", "C")] == [Decimal("60.0"), Decimal("30.0"), Decimal("10.0")]

    def test_largest_accounts_and_pareto(self, manager, book):
        """Running shares 60, 90, 100; two accounts make 80% (Alpha's 60% is not enough alone)."""
        result = build_composition(user=manager, params=OCT)
        top = result.table("accounts").rows
        assert [(r["account"], r["cumulative"]) for r in top] == [
            ("Alpha", Decimal("60.0")),
            ("Beta", Decimal("90.0")),
            ("Gamma", Decimal("100.0")),
        ]
        pareto = next(c for c in result.charts if c.kind == "pareto").data
        assert pareto["x"] == [0.0, 33.3, 66.7, 100.0]
        assert pareto["y"] == [0.0, 60.0, 90.0, 100.0]
        assert any("2 of 3 accounts" in str(n) for n in result.notes)

    def test_owner_filter_and_other_managers(self, manager, other_manager, director, book):
        assert build_composition(user=director, params=OCT).table("tiers").totals["revenue"] == Decimal("60000")
        mine_only = ReportParams(start=OCT.start, end=OCT.end, owner_id=other_manager.pk)
        assert build_composition(user=manager, params=mine_only).table("tiers").totals["revenue"] == 0


class TestService:
    @pytest.fixture
    def requests(self, manager, other_manager):
        mine = AccountFactory(owner=manager)
        day = at(datetime.date(2026, 10, 5))
        hour = datetime.timedelta(hours=1)
        # fault by phone: dispatched in time, answered late, resolved in time, rated 4
        ServiceRequestFactory(
            account=mine,
            category="fault",
            channel="phone",
            received_at=day,
            rating=4,
            dispatch_due_at=day + hour,
            dispatched_at=day + hour / 2,
            response_due_at=day + 2 * hour,
            first_response_at=day + 3 * hour,
            resolution_due_at=day + 24 * hour,
            resolved_at=day + 20 * hour,
            status="resolved",
        )
        # complaint by e-mail: dispatched late, breached, still open, rated 2
        ServiceRequestFactory(
            account=mine,
            category="complaint",
            channel="email",
            received_at=day,
            rating=2,
            breached=True,
            dispatch_due_at=day + hour,
            dispatched_at=day + 2 * hour,
            response_due_at=day + 2 * hour,
        )
        # another complaint by phone in November: outside the period
        ServiceRequestFactory(account=mine, category="complaint", received_at=at(datetime.date(2026, 11, 2)))
        ServiceRequestFactory(account=AccountFactory(owner=other_manager), category="fault", received_at=day)
        CallbackFactory(account=mine, occurred_at=day, satisfaction=5)
        CallbackFactory(account=mine, occurred_at=day, satisfaction=4)

    def test_by_category_channel_and_sla_rates(self, manager, requests):
        result = build_service(user=manager, params=OCT)
        totals = result.table("category").totals
        assert totals["requests"] == 2 and totals["complaints"] == 1 and totals["breached"] == 1
        assert totals["dispatch_pct"] == Decimal("50.0")  # 1 of 2 dispatched in time
        assert totals["response_pct"] == Decimal("0.0")  # 1 answered, late
        assert totals["resolution_pct"] == Decimal("100.0")  # 1 resolved, in time
        assert totals["rating"] == Decimal("3.00")  # (4 + 2) / 2
        category = rows_by(result.table("category"), "key")
        assert category["fault"]["requests"] == 1 and category["complaint"]["requests"] == 1
        assert category["change"]["requests"] == 0 and category["change"]["dispatch_pct"] is None
        channel = rows_by(result.table("channel"), "key")
        assert (channel["phone"]["requests"], channel["email"]["requests"]) == (1, 1)

    def test_satisfaction_trend_by_month(self, manager, requests):
        trend = rows_by(build_service(user=manager, params=OCT).table("trend"), "month")
        assert list(trend) == ["2026-10"]
        assert trend["2026-10"]["rating"] == Decimal("3.00")
        assert trend["2026-10"]["callbacks"] == 2 and trend["2026-10"]["callback_satisfaction"] == Decimal("4.50")


class TestVisitsAndScorecard:
    @pytest.fixture
    def activity(self, manager, other_manager, make_user):
        from users.models import Department

        sales = Department.objects.create(name="Sales East", code="east")
        manager.department = sales
        manager.save(update_fields=["department"])
        mine = AccountFactory(owner=manager, tier="vip")
        AccountFactory(owner=manager, tier="vip")  # not contacted
        day = at(datetime.date(2026, 10, 12))
        for _ in range(3):
            VisitFactory(
                account=mine,
                owner=manager,
                status="done",
                happened_at=day,
                planned_start=day,
                planned_end=day + datetime.timedelta(hours=1),
            )
        VisitFactory(
            account=mine,
            owner=manager,
            status="planned",
            planned_start=day,
            planned_end=day + datetime.timedelta(hours=1),
        )  # not done: not counted
        CallbackFactory(account=mine, occurred_at=day, created_by=manager)
        CallbackFactory(account=mine, occurred_at=day, created_by=manager)
        ServiceRequestFactory(account=mine, assignee=manager, received_at=day, resolved_at=day, breached=True)
        theirs = AccountFactory(owner=other_manager)
        VisitFactory(
            account=theirs,
            owner=other_manager,
            status="done",
            happened_at=day,
            planned_start=day,
            planned_end=day + datetime.timedelta(hours=1),
        )
        # revenue: October 2025 1,000 on 'mine' and 400 on 'lost'; October 2026 1,500 on 'mine'
        lost = AccountFactory(owner=manager, tier="small")
        buy(mine, datetime.date(2025, 10, 3), "1000")
        buy(lost, datetime.date(2025, 10, 3), "400")
        buy(mine, datetime.date(2026, 10, 3), "1500")
        return mine

    def test_visits_per_person_and_coverage(self, manager, activity):
        result = build_visits(user=manager, params=OCT)
        people = result.table("people").rows
        assert [(r["person"], r["visits"], r["callbacks"]) for r in people] == [
            (manager.full_name or manager.username, 3, 2)
        ]
        tiers = rows_by(result.table("coverage_tier"), "key")
        assert (tiers["vip"]["accounts"], tiers["vip"]["contacted"], tiers["vip"]["percent"]) == (2, 1, Decimal("50.0"))

    def test_coverage_keeps_to_the_team_and_owner_filters(self, director, manager, other_manager, activity):
        """Both of manager's VIP accounts (one contacted); other_manager's account is regular."""
        AccountFactory(owner=other_manager, tier="vip")  # a third VIP account, not contacted
        everyone = rows_by(build_visits(user=director, params=OCT).table("coverage_tier"), "key")
        assert everyone["vip"]["accounts"] == 3
        only_manager = ReportParams(start=OCT.start, end=OCT.end, owner_id=manager.pk)
        tiers = rows_by(build_visits(user=director, params=only_manager).table("coverage_tier"), "key")
        assert (tiers["vip"]["accounts"], tiers["vip"]["contacted"]) == (2, 1)

    def test_scorecard_per_person_and_department(self, manager, activity):
        """Revenue 1,500 against 1,400 a year earlier: +7.1%; 'lost' had 400 and now nothing."""
        result = build_scorecard(user=manager, params=OCT)
        (me,) = result.table("people").rows
        assert (me["visits"], me["callbacks"], me["resolved"], me["breached"]) == (3, 2, 1, 1)
        assert (me["revenue"], me["previous"], me["growth"], me["lost"]) == (
            Decimal("1500"),
            Decimal("1400"),
            Decimal("7.1"),
            1,
        )
        (department,) = result.table("departments").rows
        assert department["department"] == "Sales East" and department["people"] == 1 and department["visits"] == 3

    def test_director_sees_both_managers(self, director, manager, other_manager, activity):
        people = {r["person_id"]: r for r in build_scorecard(user=director, params=OCT).table("people").rows}
        assert people[manager.pk]["visits"] == 3 and people[other_manager.pk]["visits"] == 1


class TestHealth:
    def test_score_and_reasons(self, manager, other_manager):
        """As of 2026-10-31: months Jul–Sep (recent) against Apr–Jun; 700 against 1,000 is −30% (25);
        one complaint (10); two breaches (20); an installment 45 days overdue (20); never
        contacted (15): 90. The quiet account contacted 5 days ago scores 0."""
        as_of = datetime.date(2026, 10, 31)
        risky = AccountFactory(owner=manager, name="Risky", last_contact_at=None)
        AccountFactory(owner=manager, name="Quiet", last_contact_at=at(as_of - datetime.timedelta(days=5)))
        buy(risky, datetime.date(2026, 5, 10), "1000")
        buy(risky, datetime.date(2026, 8, 10), "700")
        buy(risky, datetime.date(2026, 10, 10), "99999")  # the current month is not counted
        recent = at(as_of - datetime.timedelta(days=20))
        ServiceRequestFactory(account=risky, category="complaint", received_at=recent)
        ServiceRequestFactory(account=risky, category="fault", received_at=recent, breached=True)
        ServiceRequestFactory(account=risky, category="fault", received_at=recent, breached=True)
        ServiceRequestFactory(account=risky, category="complaint", received_at=at(as_of - datetime.timedelta(days=120)))
        contract = ContractFactory(account=risky)
        InstallmentFactory(contract=contract, due_on=as_of - datetime.timedelta(days=45))
        AccountFactory(owner=other_manager, name="Theirs", last_contact_at=None)
        result = build_health(user=manager, params=ReportParams(start=datetime.date(2026, 1, 1), end=as_of))
        rows = rows_by(result.table("health"), "account")
        assert list(rows) == ["Risky", "Quiet"]
        assert rows["Risky"]["score"] == 90 and rows["Quiet"]["score"] == 0
        assert rows["Risky"]["reasons"] == (
            "revenue down 30% on the previous 3 months; 1 complaint(s) in 90 days; 2 SLA breach(es) in 90 days; "
            "payment overdue 45 days; never contacted"
        )
        assert (rows["Risky"]["recent"], rows["Risky"]["older"]) == (Decimal("700"), Decimal("1000"))
        assert "1 of 2 accounts score 40 or more." in [str(n) for n in result.notes]


class TestReceivables:
    def test_aging_buckets(self, manager, other_manager):
        """As of 2026-10-31: due 11-05 current; 10-20 (11 days) 1–30; 09-15 (46) 31–60;
        08-10 (82) 61–90; 06-01 (152) over 90, 2,500 of 10,000 paid; a paid one and a draft's left out."""
        as_of = datetime.date(2026, 10, 31)
        contract = ContractFactory(account=AccountFactory(owner=manager))
        for due in ("2026-11-05", "2026-10-20", "2026-09-15", "2026-08-10"):
            InstallmentFactory(contract=contract, due_on=datetime.date.fromisoformat(due), amount=Decimal("1000"))
        InstallmentFactory(
            contract=contract, due_on=datetime.date(2026, 6, 1), amount=Decimal("10000"), paid_amount=Decimal("2500")
        )
        InstallmentFactory(
            contract=contract,
            due_on=datetime.date(2026, 5, 1),
            paid_on=datetime.date(2026, 5, 1),
            paid_amount=Decimal("10000"),
        )
        draft = ContractFactory(account=AccountFactory(owner=manager), status="draft")
        InstallmentFactory(contract=draft, due_on=datetime.date(2026, 6, 1))
        InstallmentFactory(
            contract=ContractFactory(account=AccountFactory(owner=other_manager)), due_on=datetime.date(2026, 6, 1)
        )
        result = build_receivables(user=manager, params=ReportParams(start=datetime.date(2026, 1, 1), end=as_of))
        (cny,) = result.table("aging").rows
        assert [cny[k] for k in ("current", "d1_30", "d31_60", "d61_90", "d90", "total")] == [
            Decimal("1000"),
            Decimal("1000"),
            Decimal("1000"),
            Decimal("1000"),
            Decimal("7500"),
            Decimal("11500"),
        ]
        (overdue,) = result.table("overdue").rows
        assert overdue["number"] == contract.number and overdue["late_fees"] > 0


class TestPipeline:
    def test_stages_forecast_and_won_lost(self, manager, other_manager):
        """Open: need 100,000 at 10% and 50,000 at 20% (weighted 10,000 + 10,000), decision 200,000
        at 80% (160,000). Closed in October: won 30,000 (price), lost 40,000 (price, to Rival):
        win rate 50%. Another manager's 999,999 is not counted."""
        from tests.accounts.factories import CompetitorFactory
        from tests.opportunities.factories import OpportunityFactory, stage

        mine = AccountFactory(owner=manager)
        dec, jan = datetime.date(2026, 12, 15), datetime.date(2027, 1, 10)
        OpportunityFactory(
            account=mine, stage=stage("need"), amount=Decimal("100000"), probability=10, expected_close_on=dec
        )
        OpportunityFactory(
            account=mine, stage=stage("need"), amount=Decimal("50000"), probability=20, expected_close_on=dec
        )
        OpportunityFactory(
            account=mine, stage=stage("decision"), amount=Decimal("200000"), probability=80, expected_close_on=jan
        )
        OpportunityFactory(
            account=mine,
            stage=stage("won"),
            amount=Decimal("30000"),
            closed_on=datetime.date(2026, 10, 5),
            close_reason="price",
        )
        OpportunityFactory(
            account=mine,
            stage=stage("lost"),
            amount=Decimal("40000"),
            closed_on=datetime.date(2026, 10, 6),
            close_reason="price",
            lost_to=CompetitorFactory(name="Rival"),
        )
        OpportunityFactory(account=AccountFactory(owner=other_manager), stage=stage("need"), amount=Decimal("999999"))
        result = build_pipeline(user=manager, params=OCT)
        stages = rows_by(result.table("stages"), "code")
        assert (stages["need"]["count"], stages["need"]["amount"], stages["need"]["weighted"]) == (
            2,
            Decimal("150000"),
            Decimal("20000"),
        )
        assert (stages["decision"]["amount"], stages["decision"]["weighted"]) == (Decimal("200000"), Decimal("160000"))
        totals = result.table("stages").totals
        assert (totals["count"], totals["amount"], totals["weighted"]) == (3, Decimal("350000"), Decimal("180000"))
        forecast = rows_by(result.table("forecast"), "month")
        assert (forecast["2026-12"]["count"], forecast["2026-12"]["weighted"]) == (2, Decimal("20000"))
        assert forecast["2027-01"]["weighted"] == Decimal("160000")
        reasons = [(r["outcome"], r["reason"], r["count"], r["amount"]) for r in result.table("reasons").rows]
        assert sorted(reasons) == [("Lost", "Price", 1, Decimal("40000")), ("Won", "Price", 1, Decimal("30000"))]
        (rival,) = result.table("competitors").rows
        assert (rival["competitor"], rival["count"], rival["amount"]) == ("Rival", 1, Decimal("40000"))
        assert "win rate 50.0%." in str(result.notes[0])

    def test_the_team_filter_keeps_the_teams_deals(self, director, manager, other_manager):
        """A director filtering on manager's team sees its 100,000 deal, not other_manager's 5,000."""
        from tests.opportunities.factories import OpportunityFactory, stage
        from tests.users.factories import TeamFactory

        team = TeamFactory(members=[manager])
        day = datetime.date(2026, 12, 15)
        OpportunityFactory(
            account=AccountFactory(owner=manager), stage=stage("need"), amount=Decimal("100000"), expected_close_on=day
        )
        OpportunityFactory(
            account=AccountFactory(owner=other_manager),
            stage=stage("need"),
            amount=Decimal("5000"),
            expected_close_on=day,
        )
        everyone = build_pipeline(user=director, params=OCT).table("stages").totals
        assert everyone["amount"] == Decimal("105000")
        only_team = ReportParams(start=OCT.start, end=OCT.end, team_id=team.pk)
        result = build_pipeline(user=director, params=only_team)
        assert result.table("stages").totals["amount"] == Decimal("100000")
        assert [r["amount"] for r in result.table("forecast").rows] == [Decimal("100000")]
