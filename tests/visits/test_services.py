import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Account, AccountEvent, Feedback
from core.locking import StaleVersionError
from service_requests.models import ServiceRequest
from tests.accounts.factories import AccountFactory, ContactFactory
from visits import services
from visits.models import Callback, FollowUp, Visit

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _plan(account, actor, **kwargs):
    start = kwargs.pop("planned_start", timezone.now() + datetime.timedelta(days=1))
    return services.visit_create(actor=actor, account=account, purpose="Review", planned_start=start, **kwargs)


class TestVisitFlow:
    def test_plan_confirm_complete(self, manager):
        account = AccountFactory(owner=manager)
        contact = ContactFactory(account=account)
        visit = _plan(account, manager, contacts=[contact], planned_start=timezone.now() - datetime.timedelta(hours=2))
        assert visit.status == Visit.Status.PLANNED and visit.owner == manager
        assert visit.planned_end - visit.planned_start == datetime.timedelta(hours=1)
        services.visit_confirm(visit=visit, actor=manager, expected_version=visit.version)
        assert visit.status == Visit.Status.CONFIRMED and visit.confirmed_at
        services.visit_complete(
            visit=visit,
            actor=manager,
            outcome="Agreed renewal",
            satisfaction=4,
            suggestions="Faster invoices",
            needs="More bandwidth",
            next_step="Send the proposal",
            follow_up_on=timezone.localdate() + datetime.timedelta(days=7),
        )
        visit.refresh_from_db()
        assert visit.status == Visit.Status.DONE and visit.recorded_by == manager
        # the feedback form is the account's feedback too
        feedback = Feedback.objects.get(account=account)
        assert feedback.channel == Feedback.Channel.VISIT and feedback.satisfaction == 4
        assert "Faster invoices" in feedback.suggestion and "More bandwidth" in feedback.suggestion
        assert visit.feedback == feedback and feedback.contact == contact
        # the next step became a follow-up for the visit's owner
        follow_up = FollowUp.objects.get(visit=visit)
        assert follow_up.assignee == manager and follow_up.title == "Send the proposal"
        # contacted, and on the timeline
        account.refresh_from_db()
        assert account.last_contact_at == visit.happened_at
        kinds = list(AccountEvent.objects.filter(account=account).values_list("kind", flat=True))
        assert {"visit.planned", "visit.confirmed", "visit.done", "followup.created"} <= set(kinds)

    @pytest.mark.parametrize("start", ["done", "cancelled", "missed"])
    def test_a_closed_visit_moves_no_more(self, manager, start):
        visit = _plan(
            AccountFactory(owner=manager), manager, planned_start=timezone.now() - datetime.timedelta(hours=3)
        )
        if start == "done":
            services.visit_complete(visit=visit, actor=manager, outcome="ok")
        else:
            services.visit_cancel(visit=visit, actor=manager, reason="Customer busy", missed=start == "missed")
        label = dict(Visit.Status.choices)[start].lower()
        with pytest.raises(services.InvalidTransition, match=f"A visit that is {label} cannot become confirmed"):
            services.visit_confirm(visit=visit, actor=manager)
        with pytest.raises(ValidationError, match=f"A visit that is {label} cannot become"):
            services.visit_set_status(visit=visit, actor=manager, status="done", outcome="again")
        with pytest.raises(ValidationError, match="Only a planned or confirmed visit can be changed"):
            services.visit_update(visit=visit, actor=manager, expected_version=None, data={"purpose": "x"})

    def test_a_confirmed_visit_cannot_be_confirmed_again_nor_go_back_to_planned(self, manager):
        visit = _plan(AccountFactory(owner=manager), manager)
        services.visit_confirm(visit=visit, actor=manager)
        with pytest.raises(
            ValidationError, match="A visit that is confirmed with the customer cannot become confirmed"
        ):
            services.visit_confirm(visit=visit, actor=manager)
        with pytest.raises(ValidationError, match="cannot become planned"):
            services.visit_set_status(visit=visit, actor=manager, status="planned")

    def test_cancel_needs_a_reason_and_done_needs_an_outcome(self, manager):
        visit = _plan(
            AccountFactory(owner=manager), manager, planned_start=timezone.now() - datetime.timedelta(hours=3)
        )
        with pytest.raises(ValidationError, match="Give a reason"):
            services.visit_cancel(visit=visit, actor=manager, reason="  ")
        with pytest.raises(ValidationError, match="Say what came out of the visit"):
            services.visit_complete(visit=visit, actor=manager, outcome="")
        visit.refresh_from_db()
        assert visit.status == Visit.Status.PLANNED

    def test_cannot_record_a_visit_in_the_future(self, manager):
        visit = _plan(AccountFactory(owner=manager), manager)
        with pytest.raises(ValidationError, match="cannot be in the future"):
            services.visit_complete(
                visit=visit, actor=manager, outcome="ok", happened_at=timezone.now() + datetime.timedelta(days=1)
            )

    def test_end_before_start_is_refused(self, manager):
        start = timezone.now() + datetime.timedelta(days=1)
        with pytest.raises(ValidationError, match="cannot end before it starts|end"):
            _plan(
                AccountFactory(owner=manager),
                manager,
                planned_start=start,
                planned_end=start - datetime.timedelta(hours=1),
            )

    def test_moving_a_confirmed_visit_needs_confirming_again(self, manager):
        visit = _plan(AccountFactory(owner=manager), manager)
        services.visit_confirm(visit=visit, actor=manager)
        services.visit_update(
            visit=visit,
            actor=manager,
            expected_version=visit.version,
            data={
                "planned_start": visit.planned_start + datetime.timedelta(days=1),
                "planned_end": visit.planned_end + datetime.timedelta(days=1),
            },
        )
        assert visit.status == Visit.Status.PLANNED and visit.confirmed_at is None

    def test_stale_version_is_refused(self, manager):
        visit = _plan(AccountFactory(owner=manager), manager)
        old = visit.version
        services.visit_update(visit=visit, actor=manager, expected_version=old, data={"purpose": "New goal"})
        with pytest.raises(StaleVersionError):
            services.visit_update(
                visit=Visit.objects.get(pk=visit.pk), actor=manager, expected_version=old, data={"purpose": "x"}
            )

    def test_contacts_of_another_account_are_refused(self, manager):
        account = AccountFactory(owner=manager)
        stranger = ContactFactory(name="Stranger")
        with pytest.raises(ValidationError, match="Stranger is not a contact of this account"):
            _plan(account, manager, contacts=[stranger])

    def test_archived_account_takes_no_new_visit(self, manager):
        account = AccountFactory(owner=manager, is_archived=True)
        with pytest.raises(ValidationError, match="This account is archived"):
            _plan(account, manager)


class TestCallbacks:
    def test_log_with_score_touches_contact_and_feedback(self, service_agent):
        account = AccountFactory()
        contact = ContactFactory(account=account)
        at = timezone.now() - datetime.timedelta(minutes=5)
        callback = services.callback_log(
            actor=service_agent, account=account, contact=contact, summary="Happy", satisfaction=5, occurred_at=at
        )
        assert callback.problem_status == "" and callback.created_by == service_agent
        assert Feedback.objects.get(account=account).channel == Feedback.Channel.CALLBACK
        account.refresh_from_db()
        assert account.last_contact_at >= at
        event = AccountEvent.objects.get(account=account, kind="callback.logged")
        assert event.occurred_at == at and event.data["contact"] == contact.name

    def test_a_problem_opens_a_service_request_in_the_same_save(self, service_agent, manager):
        account = AccountFactory(owner=manager)
        contact = ContactFactory(account=account)
        callback = services.callback_log(
            actor=service_agent,
            account=account,
            contact=contact,
            summary="Two outages last week",
            problem_raised=True,
            satisfaction=2,
        )
        assert callback.problem == "Two outages last week"
        assert callback.problem_status == Callback.ProblemStatus.HANDED_OVER
        request = callback.service_request
        assert request.account == account and request.contact == contact
        assert request.channel == ServiceRequest.Channel.CALLBACK
        assert request.category == ServiceRequest.Category.COMPLAINT  # unhappy (2/5): a complaint
        assert request.subject == "Two outages last week" and request.received_at == callback.occurred_at
        assert request.created_by == service_agent
        assert not FollowUp.objects.filter(callback=callback).exists()  # the request carries it now
        with pytest.raises(ValidationError, match=f"handed over as service request {request.number}"):
            services.callback_resolve_problem(callback=callback, actor=manager)  # closed with the request

    def test_a_problem_without_a_low_score_is_filed_as_other(self, service_agent):
        callback = services.callback_log(
            actor=service_agent, account=AccountFactory(), summary="Wants a second invoice copy", problem_raised=True
        )
        assert callback.service_request.category == ServiceRequest.Category.OTHER

    def test_refusals(self, service_agent):
        account = AccountFactory()
        with pytest.raises(ValidationError, match="Say in a sentence what was said"):
            services.callback_log(actor=service_agent, account=account, summary=" ")
        with pytest.raises(ValidationError, match="cannot be in the future"):
            services.callback_log(
                actor=service_agent,
                account=account,
                summary="x",
                occurred_at=timezone.now() + datetime.timedelta(hours=2),
            )
        with pytest.raises(ValidationError, match="is not a contact of this account"):
            services.callback_log(actor=service_agent, account=account, summary="x", contact=ContactFactory())
        with pytest.raises(ValidationError, match="Give the next step a date"):
            services.callback_log(actor=service_agent, account=account, summary="x", next_step="Call again")
        assert not Callback.objects.exists()

    def test_next_step_becomes_my_follow_up(self, service_agent):
        due = timezone.localdate() + datetime.timedelta(days=2)
        callback = services.callback_log(
            actor=service_agent,
            account=AccountFactory(),
            summary="Call back Friday",
            next_step="Call",
            next_step_on=due,
        )
        follow_up = FollowUp.objects.get(callback=callback)
        assert follow_up.assignee == service_agent and follow_up.due_on == due

    def test_a_callback_just_after_midnight_shanghai_belongs_to_that_local_day(self, service_agent):
        """00:30 in Shanghai on 1 March is 16:30 UTC on 28 February: the feedback and the
        follow-up dates are the local day."""
        at = datetime.datetime(2026, 3, 1, 0, 30, tzinfo=SHANGHAI)
        callback = services.callback_log(
            actor=service_agent,
            account=AccountFactory(),
            summary="Late call",
            satisfaction=3,
            occurred_at=at,
            next_step="Send",
            next_step_on=datetime.date(2026, 3, 1),
        )
        assert at.astimezone(datetime.UTC).date() == datetime.date(2026, 2, 28)
        assert callback.feedback.received_on == datetime.date(2026, 3, 1)
        with pytest.raises(ValidationError, match="cannot be due before today"):
            services.callback_log(
                actor=service_agent,
                account=AccountFactory(),
                summary="Late call",
                occurred_at=at,
                next_step="Send",
                next_step_on=datetime.date(2026, 2, 28),
            )


class TestNotesAndFollowUps:
    def test_note_on_the_timeline(self, manager):
        account = AccountFactory(owner=manager)
        note = services.note_add(actor=manager, account=account, body="New CIO")
        event = AccountEvent.objects.get(account=account, kind="note.added")
        assert event.data["body"] == "New CIO" and event.occurred_at == note.occurred_at

    def test_follow_up_done_once(self, manager):
        follow_up = services.follow_up_create(
            actor=manager,
            account=AccountFactory(owner=manager),
            title="Send quote",
            assignee=manager,
            due_on=timezone.localdate(),
        )
        services.follow_up_complete(follow_up=follow_up, actor=manager, expected_version=follow_up.version)
        assert follow_up.done_by == manager
        with pytest.raises(ValidationError, match="already done"):
            services.follow_up_complete(follow_up=follow_up, actor=manager)
        with pytest.raises(ValidationError, match="it cannot be changed"):
            services.follow_up_update(
                follow_up=follow_up, actor=manager, expected_version=follow_up.version, data={"title": "x"}
            )
        assert AccountEvent.objects.filter(kind="followup.done").count() == 1

    def test_follow_up_for_someone_who_left_is_refused(self, manager, make_user):
        gone = make_user(is_active=False)
        with pytest.raises(ValidationError, match="can no longer sign in"):
            services.follow_up_create(
                actor=manager,
                account=AccountFactory(owner=manager),
                title="x",
                assignee=gone,
                due_on=timezone.localdate(),
            )


class TestContactEvents:
    def test_adding_and_archiving_a_contact_reach_the_timeline(self, manager):
        from accounts import services as account_services

        account = AccountFactory(owner=manager)
        contact = account_services.contact_create(account=account, actor=manager, name="Wu Lei", title="CIO")
        account_services.contact_archive(contact=contact, actor=manager)
        kinds = list(AccountEvent.objects.filter(account=account).order_by("id").values_list("kind", flat=True))
        assert kinds == ["contact.added", "contact.archived"]
        assert Account.objects.get(pk=account.pk)
