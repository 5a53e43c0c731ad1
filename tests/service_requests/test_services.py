"""Service-request rules: intake, clocks, flow, closing, change requests, escalation."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Account
from core.locking import StaleVersionError
from service_requests import services
from service_requests.models import Escalation, ServiceCalendar, ServiceRequest
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.users.factories import DepartmentFactory, TeamFactory, UserFactory
from users.roles import Role

from .conftest import local

pytestmark = pytest.mark.django_db
MONDAY_9 = local(2026, 11, 30, 9, 0)


@pytest.fixture
def agent():
    return UserFactory(role=Role.SERVICE, username="agent")


@pytest.fixture
def department():
    return DepartmentFactory(code="service", name="Service")


@pytest.fixture
def vip_account():
    return AccountFactory(tier="vip")


def open_request(at, actor, account, moment=MONDAY_9, **fields):
    fields.setdefault("subject", "Line down")
    with at(moment):
        return services.request_open(actor=actor, account=account, **fields)


def move(at, sr, actor, to, moment, **kwargs):
    with at(moment):
        return services.request_transition(request=sr, actor=actor, to=to, expected_version=sr.version, **kwargs)


def assign(at, sr, actor, department, moment, assignee=None):
    with at(moment):
        return services.request_assign(
            request=sr, actor=actor, department=department, assignee=assignee or actor, expected_version=sr.version
        )


def test_targets_come_from_the_tier_at_intake_and_the_priority(at, benefits, agent, vip_account):
    sr = open_request(at, agent, vip_account)
    assert (sr.tier_at_intake, sr.response_target_minutes, sr.resolution_target_minutes) == ("vip", 120, 1440)
    assert sr.dispatch_due_at == local(2026, 12, 1, 9, 0)
    assert sr.response_due_at == local(2026, 11, 30, 11, 0)
    assert sr.resolution_due_at == local(2026, 12, 1, 9, 0)
    # 80% of the earliest running clock (response: 96 minutes)
    assert sr.at_risk_at == local(2026, 11, 30, 10, 36)
    urgent = open_request(at, agent, vip_account, priority="urgent")
    assert (urgent.response_target_minutes, urgent.resolution_target_minutes) == (30, 360)
    small = open_request(at, agent, AccountFactory(tier="small"), priority="low")
    assert (small.response_target_minutes, small.resolution_target_minutes) == (48 * 60, 240 * 60)


def test_a_later_tier_change_does_not_move_an_open_requests_targets(at, benefits, agent, vip_account, department):
    sr = open_request(at, agent, vip_account)
    Account.objects.filter(pk=vip_account.pk).update(tier="small")
    sr = assign(at, ServiceRequest.objects.get(pk=sr.pk), agent, department, local(2026, 11, 30, 9, 30))
    assert sr.tier_at_intake == "vip" and sr.resolution_target_minutes == 1440
    assert sr.resolution_due_at == local(2026, 12, 1, 9, 0)


def test_waiting_on_the_customer_pauses_the_clocks(at, benefits, agent, vip_account, department):
    sr = open_request(at, agent, vip_account)
    sr = assign(at, sr, agent, department, local(2026, 11, 30, 9, 10))
    sr = move(at, sr, agent, "in_progress", local(2026, 11, 30, 9, 30))
    sr = move(at, sr, agent, "waiting", local(2026, 11, 30, 11, 0))
    assert sr.next_due_at is None and sr.at_risk_at is None  # nothing runs while paused
    sr = move(at, sr, agent, "in_progress", local(2026, 11, 30, 14, 0))
    assert sr.paused_minutes == 180
    assert sr.resolution_due_at == local(2026, 12, 1, 12, 0)  # 24 h + 3 h paused
    assert sr.first_response_at == local(2026, 11, 30, 9, 30)


def test_reopening_continues_the_clock_where_it_stopped(at, benefits, agent, vip_account, department):
    sr = open_request(at, agent, vip_account)
    sr = assign(at, sr, agent, department, local(2026, 11, 30, 9, 5))
    sr = move(at, sr, agent, "in_progress", local(2026, 11, 30, 9, 10))
    sr = move(at, sr, agent, "resolved", local(2026, 11, 30, 12, 0), resolution="Restarted the router")
    sr = move(at, sr, agent, "in_progress", local(2026, 11, 30, 17, 0), note="Down again")
    assert sr.reopen_count == 1 and sr.resolved_at is None
    assert sr.paused_minutes == 300  # the 5 hours it sat resolved do not count
    assert sr.resolution_due_at == local(2026, 12, 1, 14, 0)


def test_business_hours_of_the_department_apply_once_dispatched(at, benefits, agent, department):
    ServiceCalendar.objects.create(department=department, business_hours=True)
    friday_17 = local(2026, 11, 27, 17, 0)
    sr = open_request(at, agent, AccountFactory(tier="vip"), moment=friday_17)
    sr = assign(at, sr, agent, department, local(2026, 11, 27, 17, 5))
    assert sr.business_hours is True
    assert sr.response_due_at == local(2026, 11, 30, 10, 0)  # Fri 17-18 + Mon 9-10


def test_illegal_moves_are_refused_and_change_nothing(at, benefits, agent, vip_account):
    sr = open_request(at, agent, vip_account)
    with pytest.raises(services.InvalidTransition, match="A request that is new cannot become resolved"):
        move(at, sr, agent, "resolved", MONDAY_9, resolution="x")
    sr.refresh_from_db()
    assert sr.status == "new" and sr.version == 1


def test_work_cannot_start_before_someone_is_assigned(at, benefits, agent, vip_account, department):
    sr = open_request(at, agent, vip_account)
    with at(MONDAY_9):
        sr = services.request_assign(
            request=sr, actor=agent, department=department, assignee=None, expected_version=sr.version
        )
    with pytest.raises(ValidationError, match="Assign the request to someone"):
        move(at, sr, agent, "in_progress", MONDAY_9)


def _resolved(at, agent, account, department):
    sr = open_request(at, agent, account)
    sr = assign(at, sr, agent, department, local(2026, 11, 30, 9, 5))
    sr = move(at, sr, agent, "in_progress", local(2026, 11, 30, 9, 10))
    return move(at, sr, agent, "resolved", local(2026, 11, 30, 10, 0), resolution="Fixed")


def test_closing_needs_the_customer_informed_and_a_rating(at, benefits, agent, vip_account, department):
    sr = _resolved(at, agent, vip_account, department)
    with pytest.raises(ValidationError, match="Close only when the customer knows"):
        move(at, sr, agent, "closed", local(2026, 11, 30, 11, 0))
    with pytest.raises(ValidationError, match="rating"):
        move(at, sr, agent, "closed", local(2026, 11, 30, 11, 0), customer_informed=True)
    with pytest.raises(ValidationError, match="tried to reach the customer"):
        move(at, sr, agent, "closed", local(2026, 11, 30, 11, 0), customer_unreachable=True)
    sr.refresh_from_db()
    assert sr.status == "resolved"
    sr = move(at, sr, agent, "closed", local(2026, 11, 30, 11, 0), customer_informed=True, rating=4)
    assert (sr.status, sr.rating, sr.closed_at) == ("closed", 4, local(2026, 11, 30, 11, 0))


def test_closing_when_the_customer_is_unreachable_records_the_attempts(at, benefits, agent, vip_account, department):
    sr = _resolved(at, agent, vip_account, department)
    sr = move(
        at,
        sr,
        agent,
        "closed",
        local(2026, 11, 30, 11, 0),
        customer_unreachable=True,
        contact_attempts="Called 10:00 and 15:00",
    )
    assert sr.customer_unreachable and sr.rating is None and sr.contact_attempts == "Called 10:00 and 15:00"


def test_resolving_needs_a_resolution_and_reopening_a_reason(at, benefits, agent, vip_account, department):
    sr = open_request(at, agent, vip_account)
    sr = assign(at, sr, agent, department, local(2026, 11, 30, 9, 5))
    sr = move(at, sr, agent, "in_progress", local(2026, 11, 30, 9, 10))
    with pytest.raises(ValidationError, match="Describe how the request was resolved"):
        move(at, sr, agent, "resolved", local(2026, 11, 30, 9, 20))
    sr = move(at, sr, agent, "resolved", local(2026, 11, 30, 9, 20), resolution="Done")
    with pytest.raises(ValidationError, match="Say why the request is reopened"):
        move(at, sr, agent, "in_progress", local(2026, 11, 30, 9, 30))


def test_a_stale_save_is_refused(at, benefits, agent, vip_account, department):
    sr = open_request(at, agent, vip_account)
    stale_version = sr.version
    assign(at, sr, agent, department, local(2026, 11, 30, 9, 5))
    with pytest.raises(StaleVersionError):
        services.request_update(
            request=ServiceRequest.objects.get(pk=sr.pk),
            actor=agent,
            expected_version=stale_version,
            data={"subject": "Other"},
        )
    assert ServiceRequest.objects.get(pk=sr.pk).subject == "Line down"


def test_contact_must_belong_to_the_account(at, benefits, agent, vip_account):
    other_contact = ContactFactory()
    with pytest.raises(ValidationError, match="Choose a contact of this account"):
        open_request(at, agent, vip_account, contact=other_contact)
    assert not ServiceRequest.objects.exists()


def test_a_completed_rename_changes_the_account_and_its_history_names_the_request(
    at, benefits, agent, vip_account, department
):
    with pytest.raises(ValidationError, match="This change needs this field"):
        open_request(at, agent, vip_account, category="change", change_kind="rename")
    sr = open_request(at, agent, vip_account, category="change", change_kind="rename", new_name="New Name Ltd")
    sr = assign(at, sr, agent, department, local(2026, 11, 30, 9, 5))
    sr = move(at, sr, agent, "in_progress", local(2026, 11, 30, 9, 10))
    assert Account.objects.get(pk=vip_account.pk).name != "New Name Ltd"
    sr = move(at, sr, agent, "resolved", local(2026, 11, 30, 10, 0), resolution="Renamed")
    account = Account.objects.get(pk=vip_account.pk)
    assert account.name == "New Name Ltd"
    assert sr.change_applied_at == local(2026, 11, 30, 10, 0)
    latest = account.history.order_by("-history_id").first()
    assert latest.name == "New Name Ltd" and latest.history_change_reason == sr.number


def test_a_suspension_makes_the_account_dormant(at, benefits, agent, vip_account, department):
    sr = open_request(
        at,
        agent,
        vip_account,
        category="change",
        change_kind="suspension",
        suspend_from=datetime.date(2026, 12, 1),
        suspend_until=datetime.date(2027, 1, 31),
    )
    sr = assign(at, sr, agent, department, local(2026, 11, 30, 9, 5))
    sr = move(at, sr, agent, "in_progress", local(2026, 11, 30, 9, 10))
    move(at, sr, agent, "resolved", local(2026, 11, 30, 10, 0), resolution="Suspended")
    account = Account.objects.get(pk=vip_account.pk)
    assert account.status == "dormant" and sr.number in account.notes


def test_a_customer_facing_comment_is_the_first_response(at, benefits, agent, vip_account):
    sr = open_request(at, agent, vip_account)
    with at(local(2026, 11, 30, 9, 20)):
        services.comment_add(request=sr, actor=agent, body="Internal", is_internal=True)
    assert ServiceRequest.objects.get(pk=sr.pk).first_response_at is None
    with at(local(2026, 11, 30, 9, 40)):
        services.comment_add(request=sr, actor=agent, body="We are on it", is_internal=False)
    assert ServiceRequest.objects.get(pk=sr.pk).first_response_at == local(2026, 11, 30, 9, 40)


def test_escalation_at_80_percent_and_breach_to_the_minute_once(at, benefits, agent, vip_account, department):
    leader = UserFactory(role=Role.MANAGER, username="leader")
    TeamFactory(leader=leader, members=[agent])
    director = UserFactory(role=Role.DIRECTOR, username="boss")
    sr = open_request(at, agent, vip_account)
    sr = assign(at, sr, agent, department, local(2026, 11, 30, 9, 5))
    # response due 11:00, 80% at 10:36
    assert services.escalations_sweep(now=local(2026, 11, 30, 10, 35)) == 0
    assert services.escalations_sweep(now=local(2026, 11, 30, 10, 36)) == 1
    assert services.escalations_sweep(now=local(2026, 11, 30, 10, 50)) == 0  # ran twice: once
    first = Escalation.objects.get()
    assert (first.clock, first.level, first.notified) == ("response", "at_risk", agent)
    assert not ServiceRequest.objects.get(pk=sr.pk).breached
    assert services.escalations_sweep(now=local(2026, 11, 30, 10, 59)) == 0
    assert services.escalations_sweep(now=local(2026, 11, 30, 11, 0)) == 1
    breach = Escalation.objects.get(level="breached")
    assert breach.notified == leader
    assert ServiceRequest.objects.get(pk=sr.pk).breached
    # 150% of the 2 h target after intake: 12:00
    assert services.escalations_sweep(now=local(2026, 11, 30, 12, 0)) == 1
    assert Escalation.objects.get(level="critical").notified == director


def test_a_paused_request_does_not_escalate(at, benefits, agent, vip_account, department):
    sr = open_request(at, agent, vip_account)
    sr = assign(at, sr, agent, department, local(2026, 11, 30, 9, 5))
    sr = move(at, sr, agent, "in_progress", local(2026, 11, 30, 9, 10))
    move(at, sr, agent, "waiting", local(2026, 11, 30, 9, 20))
    assert services.escalations_sweep(now=local(2026, 12, 2, 9, 0)) == 0


def test_an_archived_account_takes_no_new_request(at, benefits, agent):
    account = AccountFactory(is_archived=True)
    with pytest.raises(ValidationError, match="archived"):
        open_request(at, agent, account)
