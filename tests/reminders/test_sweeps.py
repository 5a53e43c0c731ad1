"""Each rule with the time frozen (`now` given to the sweep): who is reminded of what, with which
due date, on which local date (Asia/Shanghai)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Contact
from contracts.models import Contract
from reminders.models import Notification, Rule
from reminders.rules import describe
from reminders.services import rule_sweep
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.contracts.factories import ContractFactory, InstallmentFactory
from tests.service_requests.factories import EscalationFactory, ServiceRequestFactory
from tests.tiering.factories import TierChangeFactory
from tests.users.factories import UserFactory
from tests.visits.factories import FollowUpFactory, VisitFactory, set_cadence
from users.models import Team
from users.roles import Role

from .factories import at

pytestmark = pytest.mark.django_db


def reminders(rule):
    return list(Notification.objects.filter(rule=rule).order_by("subject_id", "recipient_id"))


def sweep(code, now):
    return rule_sweep(code=code, now=now, deliver=False)


class TestBirthdays:
    def test_three_days_ahead_to_the_owner(self, manager):
        account = AccountFactory(owner=manager)
        soon = ContactFactory(account=account, birth_month=3, birth_day=3, name="Li Na")
        ContactFactory(account=account, birth_month=3, birth_day=4)  # four days ahead: not yet
        assert sweep("birthday_upcoming", at(2027, 2, 28)) == 1
        [n] = reminders("birthday_upcoming")
        assert (n.subject_id, n.recipient, n.due_on) == (soon.pk, manager, datetime.date(2027, 3, 3))
        assert n.data["days"] == 3
        assert "Li Na" in describe(n) and "in 3 days" in describe(n)

    def test_the_local_date_decides_not_utc(self, manager):
        """23:30 UTC on 2 March is 07:30 on 3 March in Shanghai: the birthday is today."""
        contact = ContactFactory(account=AccountFactory(owner=manager), birth_month=3, birth_day=3)
        now = datetime.datetime(2027, 3, 2, 23, 30, tzinfo=datetime.UTC)
        assert timezone.localdate(now) == datetime.date(2027, 3, 3)
        assert sweep("birthday_today", now) == 1
        [n] = reminders("birthday_today")
        assert n.subject_id == contact.pk and n.due_on == datetime.date(2027, 3, 3)
        assert "birthday today" in describe(n)

    def test_29_february_is_kept_on_28_february_in_a_common_year(self, manager):
        contact = ContactFactory(account=AccountFactory(owner=manager), birth_month=2, birth_day=29, birth_year=1980)
        assert sweep("birthday_today", at(2027, 2, 27)) == 0
        assert sweep("birthday_today", at(2027, 2, 28)) == 1
        [n] = reminders("birthday_today")
        assert n.subject_id == contact.pk and n.due_on == datetime.date(2027, 2, 28)
        assert n.data["feb29"] is True and "29 February" in describe(n)
        # in a leap year it is on the 29th, not on the 28th
        assert sweep("birthday_today", at(2028, 2, 28)) == 0
        assert sweep("birthday_today", at(2028, 2, 29)) == 1

    def test_a_lunar_birthday_follows_the_lunar_calendar(self, manager):
        """正月初一 is 6 February in 2027 (17 February in 2026)."""
        account = AccountFactory(owner=manager)
        spring = ContactFactory(
            account=account, birthday_calendar=Contact.Calendar.LUNAR, birth_month=1, birth_day=1, name="王伟"
        )
        # a Gregorian 1 January birthday is not on 6 February
        ContactFactory(account=account, birth_month=1, birth_day=1)
        assert sweep("birthday_upcoming", at(2027, 2, 4)) == 1
        [n] = reminders("birthday_upcoming")
        assert n.subject_id == spring.pk and n.due_on == datetime.date(2027, 2, 6)
        assert n.data["lunar"] is True and "lunar" in describe(n)
        assert sweep("birthday_today", at(2027, 2, 6)) == 1
        assert sweep("birthday_today", at(2027, 1, 1)) == 1  # only the Gregorian one
        assert {n.subject_id for n in reminders("birthday_today")} == {spring.pk, spring.pk + 1}

    def test_a_lunar_30th_in_a_29_day_month_is_on_the_29th(self, manager):
        """腊月三十: the twelfth month of lunar 2026 has 29 days, so the birthday is on 腊月廿九 = 5 Feb 2027."""
        contact = ContactFactory(
            account=AccountFactory(owner=manager),
            birthday_calendar=Contact.Calendar.LUNAR,
            birth_month=12,
            birth_day=30,
        )
        assert sweep("birthday_today", at(2027, 2, 5)) == 1
        assert reminders("birthday_today")[0].subject_id == contact.pk

    def test_archived_contacts_and_accounts_are_left_out(self, manager):
        account = AccountFactory(owner=manager)
        ContactFactory(account=account, birth_month=5, birth_day=5, is_archived=True)
        ContactFactory(account=AccountFactory(owner=manager, is_archived=True), birth_month=5, birth_day=5)
        assert sweep("birthday_today", at(2027, 5, 5)) == 0

    def test_a_rule_switched_off_reminds_nobody(self, manager):
        ContactFactory(account=AccountFactory(owner=manager), birth_month=5, birth_day=5)
        Rule.objects.filter(code="birthday_today").update(enabled=False)
        assert sweep("birthday_today", at(2027, 5, 5)) == 0

    def test_catching_up_after_downtime_finds_those_not_past(self, manager):
        """The sweep did not run for two days: the birthday of the day after tomorrow is still found
        (lead 3: from 3 days before up to the day before)."""
        ContactFactory(account=AccountFactory(owner=manager), birth_month=6, birth_day=10)
        assert sweep("birthday_upcoming", at(2027, 6, 9)) == 1
        assert reminders("birthday_upcoming")[0].data["days"] == 1


class TestFollowUpsAndVisits:
    def test_follow_ups_due_today_and_overdue_go_to_the_assignee(self, manager, service_agent):
        account = AccountFactory(owner=manager)
        today = FollowUpFactory(account=account, assignee=service_agent, due_on=datetime.date(2027, 4, 1))
        late = FollowUpFactory(account=account, due_on=datetime.date(2027, 3, 28))
        FollowUpFactory(account=account, due_on=datetime.date(2027, 3, 20), done_at=timezone.now())
        FollowUpFactory(account=account, due_on=datetime.date(2027, 4, 2))
        now = at(2027, 4, 1)
        assert sweep("followup_due", now) == 1
        assert sweep("followup_overdue", now) == 1
        [due] = reminders("followup_due")
        [overdue] = reminders("followup_overdue")
        assert (due.subject_id, due.recipient) == (today.pk, service_agent)
        assert (overdue.subject_id, overdue.recipient, overdue.due_on) == (late.pk, manager, late.due_on)
        assert "overdue since" in describe(overdue)
        # the next day the overdue one is not reminded again; yesterday's due one now is overdue
        assert sweep("followup_overdue", at(2027, 4, 2)) == 1
        assert {n.subject_id for n in reminders("followup_overdue")} == {late.pk, today.pk}

    def test_visits_tomorrow_to_who_goes(self, manager, make_user):
        colleague = make_user(Role.MANAGER, username="colleague")
        account = AccountFactory(owner=manager)
        tomorrow = VisitFactory(account=account, owner=manager, planned_start=at(2027, 4, 2, 10))
        tomorrow.participants.add(colleague)
        VisitFactory(account=account, planned_start=at(2027, 4, 3, 10))  # the day after
        VisitFactory(account=account, planned_start=at(2027, 4, 2, 9), status="cancelled")
        late_evening = VisitFactory(account=account, planned_start=at(2027, 4, 2, 23, 30))
        assert sweep("visit_upcoming", at(2027, 4, 1, 7, 30)) == 3
        rows = reminders("visit_upcoming")
        assert {(n.subject_id, n.recipient_id) for n in rows} == {
            (tomorrow.pk, manager.pk),
            (tomorrow.pk, colleague.pk),
            (late_evening.pk, manager.pk),
        }
        assert all(n.due_on == datetime.date(2027, 4, 2) for n in rows)


class TestContracts:
    def test_installment_due_in_seven_days_to_owner_and_finance(self, manager, finance_user):
        contract = ContractFactory(account=AccountFactory(owner=manager), end_on=datetime.date(2027, 12, 31))
        due = InstallmentFactory(contract=contract, due_on=datetime.date(2027, 4, 8), amount=Decimal("5000.00"))
        InstallmentFactory(contract=contract, due_on=datetime.date(2027, 4, 9))  # 8 days: not yet
        assert sweep("installment_due", at(2027, 4, 1)) == 2
        rows = reminders("installment_due")
        assert {n.recipient_id for n in rows} == {manager.pk, finance_user.pk}
        assert all(n.subject_id == due.pk and n.due_on == due.due_on for n in rows)
        assert "¥5,000.00" in describe(rows[0])

    def test_overdue_installment_with_the_late_fee_so_far(self, manager, finance_user):
        contract = ContractFactory(
            account=AccountFactory(owner=manager), late_fee_rate=Decimal("0.05"), end_on=datetime.date(2027, 12, 31)
        )
        late = InstallmentFactory(contract=contract, due_on=datetime.date(2027, 3, 22), amount=Decimal("10000.00"))
        InstallmentFactory(contract=contract, due_on=datetime.date(2027, 4, 1))  # due today: not overdue
        ContractFactory(status=Contract.Status.DRAFT)  # drafts have nothing due
        assert sweep("installment_overdue", at(2027, 4, 1)) == 2
        n = reminders("installment_overdue")[0]
        # 10 days at 0.05 % a day of 10,000 = 50.00
        assert n.subject_id == late.pk and n.due_on == late.due_on
        assert (n.data["open"], n.data["fee"], n.data["days"]) == ("10000.00", "50.00", 10)
        assert "late fee so far ¥50.00" in describe(n)
        # reminded once: the next day's sweep adds only the installment that fell due yesterday
        assert sweep("installment_overdue", at(2027, 4, 2)) == 2
        assert Notification.objects.filter(rule="installment_overdue", subject_id=late.pk).count() == 2

    def test_a_part_payment_leaves_the_rest_overdue_and_lowers_the_fee(self, manager, finance_user):
        from contracts.services import payment_record

        contract = ContractFactory(account=AccountFactory(owner=manager), late_fee_rate=Decimal("0.05"))
        late = InstallmentFactory(contract=contract, due_on=datetime.date(2026, 3, 1), amount=Decimal("10000.00"))
        payment_record(
            actor=finance_user, contract=contract, received_on=datetime.date(2026, 3, 11), amount=Decimal("4000.00")
        )
        assert sweep("installment_overdue", at(2026, 4, 1)) == 2
        n = reminders("installment_overdue")[0]
        # 10 days on 10,000 (50.00) + 21 days on 6,000 (63.00) at 0.05 % a day
        assert n.subject_id == late.pk
        assert (n.data["open"], n.data["fee"], n.data["days"]) == ("6000.00", "113.00", 31)

    def test_contracts_expiring_at_90_60_30_days(self, manager):
        account = AccountFactory(owner=manager)
        today = datetime.date(2027, 4, 1)
        in75 = ContractFactory(account=account, end_on=today + datetime.timedelta(days=75))
        in45 = ContractFactory(account=account, end_on=today + datetime.timedelta(days=45))
        in10 = ContractFactory(account=account, end_on=today + datetime.timedelta(days=10))
        in100 = ContractFactory(account=account, end_on=today + datetime.timedelta(days=100))
        ContractFactory(account=account, end_on=today + datetime.timedelta(days=20), status=Contract.Status.DRAFT)
        assert sweep("contract_expiring", at(2027, 4, 1)) == 3
        milestones = {n.subject_id: n.data["milestone"] for n in reminders("contract_expiring")}
        assert milestones == {in75.pk: 90, in45.pk: 60, in10.pk: 30}
        # 16 days later: the 75-day one reaches 60, the 45-day one 30, the 100-day one 90; each once
        assert sweep("contract_expiring", at(2027, 4, 17)) == 3
        latest = Notification.objects.filter(rule="contract_expiring", created_at=at(2027, 4, 17))
        assert {(n.subject_id, n.data["milestone"]) for n in latest} == {(in75.pk, 60), (in45.pk, 30), (in100.pk, 90)}
        assert sweep("contract_expiring", at(2027, 4, 18)) == 0


class TestServiceRequests:
    def test_at_risk_and_breached_follow_the_escalation_ladder(self, manager, make_user):
        leader = make_user(Role.MANAGER, username="leader")
        director = make_user(Role.DIRECTOR, username="boss")
        request = ServiceRequestFactory(account=AccountFactory(owner=manager), assignee=manager)
        now = at(2027, 4, 1, 10)
        risk = EscalationFactory(
            request=request, level="at_risk", notified=manager, due_at=at(2027, 4, 1, 11), created_at=now
        )
        breached = EscalationFactory(
            request=request, level="breached", notified=leader, due_at=at(2027, 4, 1, 9), created_at=now
        )
        critical = EscalationFactory(
            request=request,
            level="critical",
            clock="resolution",
            notified=director,
            due_at=at(2027, 3, 31, 9),
            created_at=now,
        )
        closed = ServiceRequestFactory(account=request.account, status="resolved")
        EscalationFactory(request=closed, level="breached", notified=leader, created_at=now)
        assert sweep("request_at_risk", now) == 1
        assert sweep("request_breached", now) == 2
        [r] = reminders("request_at_risk")
        assert (r.subject_id, r.recipient) == (risk.pk, manager)
        assert "80% of the first response time" in describe(r)
        assert {(n.subject_id, n.recipient_id) for n in reminders("request_breached")} == {
            (breached.pk, leader.pk),
            (critical.pk, director.pk),
        }
        # the sweep every five minutes adds nothing more
        assert sweep("request_breached", at(2027, 4, 1, 10, 5)) == 0


class TestCadenceAndTiers:
    def test_accounts_overdue_for_contact_once_per_silence(self, manager):
        set_cadence(vip=(30, 60), regular=(60, 90), small=(90, 180))
        quiet = AccountFactory(owner=manager, tier="vip", last_contact_at=at(2027, 2, 20, 15))
        AccountFactory(owner=manager, tier="vip", last_contact_at=at(2027, 3, 15))  # within 30 days
        never = AccountFactory(owner=manager, tier="small")
        assert sweep("contact_overdue", at(2027, 4, 1)) == 2
        by_account = {n.subject_id: n for n in reminders("contact_overdue")}
        assert by_account[quiet.pk].due_on == datetime.date(2027, 3, 23)  # 20 Feb + 30 + 1
        assert by_account[quiet.pk].data["days"] == 40
        assert by_account[never.pk].due_on == timezone.localdate(never.created_at)
        assert "never been visited" in describe(by_account[never.pk])
        assert sweep("contact_overdue", at(2027, 4, 2)) == 0

    def test_tier_changes_to_the_owner(self, manager):
        account = AccountFactory(owner=manager)
        change = TierChangeFactory(account=account, previous_tier="small", new_tier="vip", at=at(2027, 3, 31, 2))
        TierChangeFactory(account=account, at=at(2027, 3, 1, 2))  # a month ago: before the catch-up window
        assert sweep("tier_changed", at(2027, 4, 1)) == 1
        [n] = reminders("tier_changed")
        assert (n.subject_id, n.recipient, n.due_on) == (change.pk, manager, datetime.date(2027, 3, 31))
        assert "from Small to VIP" in describe(n)


class TestRecipients:
    def test_team_leader_and_directors_when_the_rule_names_them(self, manager, make_user):
        leader = make_user(Role.MANAGER, username="leader")
        director = make_user(Role.DIRECTOR, username="boss")
        make_user(Role.DIRECTOR, username="gone", is_active=False)
        team = Team.objects.create(name="East", leader=leader)
        team.members.add(manager)
        ContactFactory(account=AccountFactory(owner=manager), birth_month=5, birth_day=5)
        Rule.objects.filter(code="birthday_today").update(recipients=["owner", "team_leader", "directors"])
        assert sweep("birthday_today", at(2027, 5, 5)) == 3
        assert {n.recipient_id for n in reminders("birthday_today")} == {manager.pk, leader.pk, director.pk}

    def test_an_inactive_owner_gets_nothing(self):
        owner = UserFactory(role=Role.MANAGER, is_active=False)
        ContactFactory(account=AccountFactory(owner=owner), birth_month=5, birth_day=5)
        assert sweep("birthday_today", at(2027, 5, 5)) == 0


class TestChurnWarning:
    """The last complete month (October 2026, swept on 3 November) against October 2025."""

    @staticmethod
    def revenue(account, day, amount):
        from tests.accounts.factories import TransactionFactory

        TransactionFactory(account=account, occurred_at=at(day.year, day.month, day.day, 12), amount=Decimal(amount))

    def test_top_accounts_down_10_and_20_percent_to_owner_and_directors(self, manager, director):
        steady = AccountFactory(owner=manager, name="Steady", revenue_12m=9000)
        dipping = AccountFactory(owner=manager, name="Dipping", revenue_12m=8000)
        falling = AccountFactory(owner=manager, name="Falling", revenue_12m=7000)
        for account, before, after in ((steady, "1000", "950"), (dipping, "1000", "900"), (falling, "1000", "790")):
            self.revenue(account, datetime.date(2025, 10, 10), before)
            self.revenue(account, datetime.date(2026, 10, 10), after)
        assert sweep("revenue_drop", at(2026, 11, 3)) == 4  # two accounts, to the owner and the director
        rows = reminders("revenue_drop")
        assert {(n.subject_id, n.recipient_id) for n in rows} == {
            (dipping.pk, manager.pk),
            (dipping.pk, director.pk),
            (falling.pk, manager.pk),
            (falling.pk, director.pk),
        }
        by_account = {n.subject_id: n for n in rows}
        assert by_account[falling.pk].due_on == datetime.date(2026, 10, 1)
        assert by_account[falling.pk].data["flag"] == "drop_20" and by_account[dipping.pk].data["flag"] == "drop_10"
        assert "Falling (top 50): revenue of 2026-10 is 21% below its baseline" in describe(by_account[falling.pk])

    def test_once_per_account_and_month(self, manager, director):
        falling = AccountFactory(owner=manager, revenue_12m=7000)
        self.revenue(falling, datetime.date(2025, 10, 10), "1000")
        self.revenue(falling, datetime.date(2026, 10, 10), "500")
        assert sweep("revenue_drop", at(2026, 11, 3)) == 2
        assert sweep("revenue_drop", at(2026, 11, 20)) == 0  # the same month: nothing new
