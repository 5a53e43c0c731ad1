import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account
from tests.accounts.factories import AccountFactory
from tests.users.factories import TeamFactory
from visits import selectors
from visits.models import CoverageTarget, Visit

from .factories import CallbackFactory, VisitFactory, set_cadence

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 6, 15)


def local(day: datetime.date, hour=12, minute=0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


class TestCadence:
    """VIP: a callback every 14 days. Due on last contact + 14 (local dates), overdue from + 15."""

    @pytest.fixture(autouse=True)
    def cadence(self):
        set_cadence(vip=(14, 30), regular=(30, 90), small=(90, 180))

    def _names(self, qs):
        return sorted(a.name for a in qs)

    def test_edges(self, director):
        boundary = TODAY - datetime.timedelta(days=14)
        AccountFactory(name="never", tier="vip", last_contact_at=None)
        AccountFactory(name="exactly at the cadence", tier="vip", last_contact_at=local(boundary, 23, 59))
        AccountFactory(
            name="one day past", tier="vip", last_contact_at=local(boundary - datetime.timedelta(days=1), 23, 59)
        )
        AccountFactory(name="recent", tier="vip", last_contact_at=local(TODAY - datetime.timedelta(days=3)))
        AccountFactory(
            name="regular at 20 days", tier="regular", last_contact_at=local(TODAY - datetime.timedelta(days=20))
        )
        AccountFactory(name="archived", tier="vip", last_contact_at=None, is_archived=True)
        overdue = selectors.overdue_accounts(user=director, today=TODAY)
        assert self._names(overdue) == ["never", "one day past"]
        due = selectors.callbacks_due(user=director, today=TODAY)
        assert self._names(due) == ["exactly at the cadence", "never", "one day past"]
        # never contacted first, then the longest silent
        assert [a.name for a in due] == ["never", "one day past", "exactly at the cadence"]

    def test_worklist_puts_key_accounts_first(self, director):
        AccountFactory(
            name="small, long silent", tier="small", last_contact_at=local(TODAY - datetime.timedelta(days=300))
        )
        AccountFactory(name="vip, due today", tier="vip", last_contact_at=local(TODAY - datetime.timedelta(days=14)))
        AccountFactory(name="regular, never", tier="regular", last_contact_at=None)
        due = selectors.callbacks_due(user=director, today=TODAY)
        assert [a.name for a in due] == ["vip, due today", "regular, never", "small, long silent"]

    def test_overdue_list_puts_key_accounts_first_then_the_most_overdue(self, director):
        """A small account 100 days silent (10 days past its 90) comes after a VIP 60 days silent
        (46 days past its 14): ordering by silence alone put it first."""
        AccountFactory(
            name="small, 100 days", tier="small", last_contact_at=local(TODAY - datetime.timedelta(days=100))
        )
        AccountFactory(name="vip, 60 days", tier="vip", last_contact_at=local(TODAY - datetime.timedelta(days=60)))
        AccountFactory(name="vip, 20 days", tier="vip", last_contact_at=local(TODAY - datetime.timedelta(days=20)))
        AccountFactory(name="regular, never", tier="regular", last_contact_at=None)
        AccountFactory(
            name="regular, 40 days", tier="regular", last_contact_at=local(TODAY - datetime.timedelta(days=40))
        )
        overdue = selectors.overdue_accounts(user=director, today=TODAY)
        assert [a.name for a in overdue] == [
            "vip, 60 days",
            "vip, 20 days",
            "regular, never",
            "regular, 40 days",
            "small, 100 days",
        ]

    def test_overdue_list_of_some_tiers_states_their_rank_for_the_index(self, director):
        """Filtered to tiers, the list also filters on the tier rank the index starts with, so
        PostgreSQL reads from those tiers instead of skipping every higher tier's overdue accounts."""

        def days_ago(n):
            return local(TODAY - datetime.timedelta(days=n))

        AccountFactory(name="vip, 20 days", tier="vip", last_contact_at=days_ago(20))
        AccountFactory(name="small, never", tier="small", last_contact_at=None)
        AccountFactory(name="small, 200 days", tier="small", last_contact_at=days_ago(200))
        AccountFactory(name="regular, 40 days", tier="regular", last_contact_at=days_ago(40))
        small = selectors.overdue_accounts(
            user=director, today=TODAY, qs=Account.objects.filter(tier="small"), tiers=["small"]
        )
        assert [a.name for a in small] == ["small, never", "small, 200 days"]
        assert "CASE" in str(small.query).split("ORDER BY")[0]  # the rank, as a condition
        lower = ["regular", "small"]
        two = selectors.overdue_accounts(
            user=director, today=TODAY, qs=Account.objects.filter(tier__in=lower), tiers=lower
        )
        assert [a.name for a in two] == ["regular, 40 days", "small, never", "small, 200 days"]
        everyone = selectors.overdue_accounts(user=director, today=TODAY)
        assert "CASE" not in str(everyone.query).split("ORDER BY")[0]

    def test_boundary_follows_the_local_day_not_utc(self, director):
        """00:30 in Shanghai on day D is still day D - 1 in UTC: the account was contacted on D."""
        boundary = TODAY - datetime.timedelta(days=14)
        AccountFactory(name="just after local midnight", tier="vip", last_contact_at=local(boundary, 0, 30))
        AccountFactory(
            name="just before local midnight",
            tier="vip",
            last_contact_at=local(boundary - datetime.timedelta(days=1), 23, 30),
        )
        assert self._names(selectors.overdue_accounts(user=director, today=TODAY)) == ["just before local midnight"]

    def test_due_dates(self, director):
        account = AccountFactory(tier="vip", last_contact_at=local(TODAY - datetime.timedelta(days=16)))
        [row] = selectors.with_due_dates([account], today=TODAY)
        assert row.due_on == TODAY - datetime.timedelta(days=2) and row.days_overdue == 2
        never = AccountFactory(tier="vip", last_contact_at=None)
        assert selectors.contact_due_date(account=never) == timezone.localdate()

    def test_visible_accounts_only(self, manager, other_manager):
        AccountFactory(name="mine", owner=manager, tier="vip")
        AccountFactory(name="theirs", owner=other_manager, tier="vip")
        assert self._names(selectors.overdue_accounts(user=manager, today=TODAY)) == ["mine"]

    def test_tier_without_a_cadence_is_never_due(self, director):
        from tiering.models import TierBenefit

        TierBenefit.objects.filter(tier="small").delete()
        AccountFactory(name="small never", tier="small", last_contact_at=None)
        assert not selectors.overdue_accounts(user=director, today=TODAY).exists()


class TestCoverage:
    def test_figures_by_tier_category_and_owner_against_targets(self, director, make_user):
        """Hand-computed: June 2026. VIP: 3 accounts, 2 contacted (a done visit, a callback at
        00:10 local on 1 June); regular: 2 accounts, 0 contacted (a callback on 31 May 23:50 local,
        a cancelled visit in June); group category: 1 of 2."""
        june = datetime.date(2026, 6, 1)
        li = make_user(username="li", full_name="Li")
        wu = make_user(username="wu", full_name="Wu")
        v1 = AccountFactory(tier="vip", category="group", owner=li)
        v2 = AccountFactory(tier="vip", category="high_value", owner=li)
        AccountFactory(tier="vip", category="high_value", owner=wu)
        r1 = AccountFactory(tier="regular", category="group", owner=wu)
        r2 = AccountFactory(tier="regular", category="strategic", owner=wu)
        AccountFactory(tier="regular", is_archived=True, owner=wu)  # archived: not counted
        VisitFactory(account=v1, status=Visit.Status.DONE, happened_at=local(june + datetime.timedelta(days=9)))
        CallbackFactory(account=v2, occurred_at=local(june, 0, 10))
        CallbackFactory(account=r1, occurred_at=local(june - datetime.timedelta(days=1), 23, 50))
        VisitFactory(account=r2, status=Visit.Status.CANCELLED, planned_start=local(june + datetime.timedelta(days=3)))
        CoverageTarget.objects.create(dimension="tier", value="vip", percent=Decimal("100"))
        CoverageTarget.objects.create(dimension="category", value="group", percent=Decimal("30"))
        CoverageTarget.objects.create(dimension="owner", value="", percent=Decimal("40"))

        by_tier = {r.key: r for r in selectors.coverage(user=director, month=june, by="tier")}
        assert (by_tier["vip"].accounts, by_tier["vip"].contacted) == (3, 2)
        assert by_tier["vip"].percent == Decimal("66.7") and by_tier["vip"].meets_target is False
        assert by_tier["vip"].needed == 1
        assert (by_tier["regular"].accounts, by_tier["regular"].contacted) == (2, 0)
        assert by_tier["regular"].target is None and by_tier["regular"].meets_target is None

        by_category = {r.key: r for r in selectors.coverage(user=director, month=june, by="category")}
        assert (by_category["group"].accounts, by_category["group"].contacted) == (2, 1)
        assert by_category["group"].percent == Decimal("50.0") and by_category["group"].meets_target is True

        by_owner = {r.label: r for r in selectors.coverage(user=director, month=june, by="owner")}
        assert (by_owner["Li"].accounts, by_owner["Li"].contacted, by_owner["Li"].percent) == (2, 2, Decimal("100.0"))
        assert (by_owner["Wu"].accounts, by_owner["Wu"].contacted, by_owner["Wu"].percent) == (3, 0, Decimal("0"))
        assert by_owner["Wu"].target == Decimal("40") and by_owner["Wu"].needed == 2

        total = selectors.coverage_total(list(by_tier.values()))
        assert (total.accounts, total.contacted, total.percent) == (5, 2, Decimal("40.0"))

        # May: only the callback of 31 May 23:50 local
        may = selectors.coverage(user=director, month=datetime.date(2026, 5, 1), by="tier")
        assert {r.key: r.contacted for r in may} == {"vip": 0, "regular": 1}
        assert Account.objects.count() == 6


class TestCalendar:
    def test_a_visit_just_after_local_midnight_is_on_its_local_day(self, director, manager):
        account = AccountFactory(owner=manager)
        VisitFactory(account=account, owner=manager, planned_start=local(datetime.date(2026, 6, 1), 0, 30))
        visits = list(
            selectors.visits_between(
                user=director, start=datetime.date(2026, 6, 1), end=datetime.date(2026, 6, 2), person=manager
            )
        )
        assert len(visits) == 1
        days = selectors.calendar_days(
            user=director, start=datetime.date(2026, 6, 1), end=datetime.date(2026, 6, 8), person=manager, per_day=4
        )
        weeks = selectors.month_grid(datetime.date(2026, 6, 1), days)
        day = next(d for week in weeks for d in week if d["date"] == datetime.date(2026, 6, 1))
        assert day["visits"] == visits and day["count"] == 1 and day["more"] == 0
        may = selectors.visits_between(
            user=director, start=datetime.date(2026, 5, 31), end=datetime.date(2026, 6, 1), person=manager
        )
        assert not may.exists()

    def test_a_week_long_visit_shows_on_its_last_day_and_no_later(self, director, manager):
        """The overlap read bounds the start by the longest visit (MAX_VISIT_LENGTH): a visit of
        exactly that length still shows on the last day it covers."""
        from visits.models import MAX_VISIT_LENGTH

        start = local(datetime.date(2026, 6, 1), 9, 0)
        VisitFactory(
            account=AccountFactory(owner=manager),
            owner=manager,
            planned_start=start,
            planned_end=start + MAX_VISIT_LENGTH,
        )
        last_day = datetime.date(2026, 6, 8)
        shown = selectors.visits_between(
            user=director, start=last_day, end=last_day + datetime.timedelta(days=1), person=manager
        )
        assert shown.count() == 1
        after = selectors.visits_between(
            user=director, start=datetime.date(2026, 6, 9), end=datetime.date(2026, 6, 10), person=manager
        )
        assert after.count() == 0

    def test_team_calendar_and_people(self, manager, make_user):
        from users.roles import Role

        member = make_user(Role.MANAGER, username="member")
        TeamFactory(leader=manager, members=[manager, member])
        outsider = make_user(Role.MANAGER, username="outsider")
        assert set(selectors.calendar_people(user=manager)) == {manager, member}
        assert outsider not in set(selectors.calendar_people(user=member))
        visit = VisitFactory(account=AccountFactory(owner=member), owner=member)
        day = timezone.localdate(visit.planned_start)
        team = manager.led_teams.first() if hasattr(manager, "led_teams") else None
        from users.models import Team

        team = Team.objects.get(leader=manager)
        found = selectors.visits_between(user=manager, start=day, end=day + datetime.timedelta(days=1), team=team)
        assert list(found) == [visit]

    def test_visits_joined_as_participant_show_once_in_the_range_only(self, manager, other_manager, make_user):
        """A person's (and their team's) calendar holds the visits they lead and those they join,
        each once; a joined visit outside the days asked for, or on an account the viewer may not
        see, is not there."""
        from users.models import Team
        from users.roles import Role

        member = make_user(Role.MANAGER, username="joiner")
        TeamFactory(leader=manager, members=[manager, member])
        team = Team.objects.get(leader=manager)
        start = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0) + datetime.timedelta(days=3)
        day = timezone.localdate(start)
        led = VisitFactory(account=AccountFactory(owner=manager), owner=manager, planned_start=start)
        joined = VisitFactory(
            account=AccountFactory(owner=manager), owner=manager, planned_start=start + datetime.timedelta(hours=2)
        )
        joined.participants.add(member)
        later = VisitFactory(
            account=AccountFactory(owner=manager), owner=manager, planned_start=start + datetime.timedelta(days=9)
        )
        later.participants.add(member)
        hidden = VisitFactory(account=AccountFactory(owner=other_manager), owner=other_manager, planned_start=start)
        hidden.participants.add(member)
        one_day = {"start": day, "end": day + datetime.timedelta(days=1)}
        assert list(selectors.visits_between(user=manager, person=member, **one_day)) == [joined]
        assert list(selectors.visits_between(user=manager, person=manager, **one_day)) == [led, joined]
        assert list(selectors.visits_between(user=manager, team=team, **one_day)) == [led, joined]
        days = selectors.calendar_days(user=manager, person=member, per_day=4, **one_day)
        assert {d: (v["count"], v["visits"]) for d, v in days.items()} == {day: (1, [joined])}


class TestCallerLookup:
    def test_finds_contact_by_part_of_the_number(self, service_agent, manager):
        from tests.accounts.factories import ContactFactory

        account = AccountFactory(owner=manager, name="Hengtong")
        ContactFactory(account=account, name="Chen", phone="138 0013 8999")
        ContactFactory(account=account, name="Wang", phone="13912345678")
        matches = selectors.caller_matches(user=service_agent, phone="+86 138-0013-8999")
        assert [(m["account"].name, m["contact"].name) for m in matches] == [("Hengtong", "Chen")]
        assert selectors.caller_matches(user=service_agent, phone="13") == []

    def test_other_managers_contacts_are_not_found(self, manager, other_manager):
        from tests.accounts.factories import ContactFactory

        ContactFactory(account=AccountFactory(owner=other_manager), phone="13700001111")
        assert selectors.caller_matches(user=manager, phone="13700001111") == []


class TestCalendarCap:
    """A calendar page draws a bounded number of visits per day, whatever the number of visits,
    and says how many more there are; a visit a person leads and joins counts once."""

    def test_a_busy_day_shows_the_first_visits_and_how_many_more(self, director, manager):
        account = AccountFactory(owner=manager)
        june_2 = datetime.date(2026, 6, 2)
        for hour in range(8, 15):  # seven visits on one day
            VisitFactory(account=account, owner=manager, planned_start=local(june_2, hour, 0))
        VisitFactory(account=account, owner=manager, planned_start=local(datetime.date(2026, 6, 3), 9, 0))
        days = selectors.calendar_days(
            user=director, start=datetime.date(2026, 6, 1), end=datetime.date(2026, 6, 8), person=manager, per_day=4
        )
        busy = days[june_2]
        assert busy["count"] == 7 and busy["more"] == 3
        assert [timezone.localtime(v.planned_start).hour for v in busy["visits"]] == [8, 9, 10, 11]
        assert days[datetime.date(2026, 6, 3)]["count"] == 1

    def test_a_visit_led_and_joined_counts_once(self, director, manager):
        visit = VisitFactory(
            account=AccountFactory(owner=manager), owner=manager, planned_start=local(datetime.date(2026, 6, 2), 9, 0)
        )
        visit.participants.add(manager)
        days = selectors.calendar_days(
            user=director, start=datetime.date(2026, 6, 1), end=datetime.date(2026, 6, 8), person=manager, per_day=4
        )
        assert days[datetime.date(2026, 6, 2)]["count"] == 1
        assert len(days[datetime.date(2026, 6, 2)]["visits"]) == 1
