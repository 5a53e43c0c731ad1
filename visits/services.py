"""Write use cases for visits, callbacks, notes and follow-ups. Pages, API, admin and demo call these."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.models import Account, Contact, Feedback
from accounts.services import account_touch_contact, feedback_create
from core.locking import require_version, save_versioned
from service_requests.models import ServiceRequest
from service_requests.services import request_open

from . import events
from .models import MAX_VISIT_LENGTH, VISIT_TRANSITIONS, CalendarFeed, Callback, CoverageTarget, FollowUp, Note, Visit

VISIT_EDITABLE = [
    "kind",
    "purpose",
    "planned_start",
    "planned_end",
    "location",
    "materials",
    "materials_cost",
    "preparation",
    "owner",
]
FOLLOW_UP_EDITABLE = ["title", "notes", "assignee", "due_on"]
# a little slack for clocks of phones and other systems
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


class InvalidTransition(ValidationError):
    """A status move the visit's flow does not allow."""


def _check_transition(visit: Visit, to: str) -> None:
    if to not in VISIT_TRANSITIONS[visit.status]:
        raise InvalidTransition(
            _("A visit that is %(old)s cannot become %(new)s.")
            % {"old": visit.get_status_display().lower(), "new": Visit.Status(to).label.lower()},
            code="invalid_transition",
        )


def _check_not_future(value: datetime.datetime, field: str) -> None:
    if value > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({field: _("This cannot be in the future.")})


def _check_contacts(account: Account, contacts) -> list[Contact]:
    contacts = [c for c in (contacts or []) if c is not None]
    for contact in contacts:
        if contact.account_id != account.pk:
            raise ValidationError(
                {"contacts": _("%(name)s is not a contact of this account.") % {"name": contact.name}}
            )
    return contacts


def _check_account_open(account: Account) -> None:
    if account.is_archived:
        raise ValidationError(_("This account is archived; restore it before recording anything on it."))


def _local_noon_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


# --- visits ---------------------------------------------------------------------------------


@transaction.atomic
def visit_create(*, actor, account: Account, participants=(), contacts=(), **fields) -> Visit:
    """Plan a visit. The owner defaults to the person planning it."""
    _check_account_open(account)
    data = {k: v for k, v in fields.items() if k in VISIT_EDITABLE}
    data.setdefault("owner", actor)
    if data.get("planned_start") and not data.get("planned_end"):
        data["planned_end"] = data["planned_start"] + datetime.timedelta(hours=1)
    visit = Visit(account=account, created_by=actor, **data)
    visit.full_clean()
    _check_times(visit)
    visit.save()
    visit.participants.set([p for p in participants if p.pk != visit.owner_id])
    visit.contacts.set(_check_contacts(account, contacts))
    events.visit_planned_event(visit=visit, actor=actor)
    return visit


def _check_times(visit: Visit) -> None:
    if visit.planned_end < visit.planned_start:
        raise ValidationError({"planned_end": _("A visit cannot end before it starts.")})
    if visit.planned_end - visit.planned_start > MAX_VISIT_LENGTH:
        raise ValidationError({"planned_end": _("A visit lasts at most a week.")})


@transaction.atomic
def visit_update(
    *, visit: Visit, actor, expected_version: int | None, data: dict, participants=None, contacts=None
) -> Visit:
    """Change a planned or confirmed visit. A confirmed visit whose time moves needs confirming again."""
    if not visit.is_open:
        raise ValidationError(_("Only a planned or confirmed visit can be changed."))
    require_version(expected_version, actor=actor)
    old_start, old_end = visit.planned_start, visit.planned_end
    for field, value in data.items():
        if field not in VISIT_EDITABLE:
            raise ValidationError({field: _("This field cannot be changed here.")})
        setattr(visit, field, value)
    _check_times(visit)
    moved = (visit.planned_start, visit.planned_end) != (old_start, old_end)
    if moved and visit.status == Visit.Status.CONFIRMED:
        visit.status = Visit.Status.PLANNED
        visit.confirmed_at = None
    save_versioned(visit, expected_version=expected_version)
    if participants is not None:
        visit.participants.set([p for p in participants if p.pk != visit.owner_id])
    if contacts is not None:
        visit.contacts.set(_check_contacts(visit.account, contacts))
    return visit


@transaction.atomic
def visit_confirm(*, visit: Visit, actor, expected_version: int | None = None) -> Visit:
    """The customer agreed to the time (003: confirm the time with the customer)."""
    _check_transition(visit, Visit.Status.CONFIRMED)
    visit.status = Visit.Status.CONFIRMED
    visit.confirmed_at = timezone.now()
    save_versioned(visit, expected_version=expected_version)
    events.visit_confirmed_event(visit=visit, actor=actor)
    return visit


@transaction.atomic
def visit_complete(
    *,
    visit: Visit,
    actor,
    outcome: str,
    expected_version: int | None = None,
    happened_at: datetime.datetime | None = None,
    satisfaction: int | None = None,
    suggestions: str = "",
    needs: str = "",
    next_step: str = "",
    follow_up_on: datetime.date | None = None,
    contacts=None,
) -> Visit:
    """Record what happened and the customer's feedback form (客户拜访征询函).

    The feedback is stored as the account's feedback too; a next step with a date becomes a
    follow-up for the visit's owner; the account counts as contacted."""
    _check_transition(visit, Visit.Status.DONE)
    if not (outcome or "").strip():
        raise ValidationError({"outcome": _("Say what came out of the visit.")})
    happened_at = happened_at or min(visit.planned_start, timezone.now())
    _check_not_future(happened_at, "happened_at")
    if follow_up_on and not (next_step or "").strip():
        raise ValidationError({"next_step": _("Say what the next step is, or leave its date empty.")})
    if follow_up_on and follow_up_on < timezone.localdate(happened_at):
        raise ValidationError({"follow_up_on": _("The follow-up date cannot be before the visit.")})
    visit.status = Visit.Status.DONE
    visit.happened_at = happened_at
    visit.outcome = outcome.strip()
    visit.satisfaction = satisfaction
    visit.suggestions = suggestions or ""
    visit.needs = needs or ""
    visit.next_step = next_step or ""
    visit.follow_up_on = follow_up_on
    visit.recorded_by = actor
    visit.recorded_at = timezone.now()
    if contacts is not None:
        visit.contacts.set(_check_contacts(visit.account, contacts))
    if satisfaction:
        suggestion = "\n".join(s for s in [suggestions, needs and _("Needs: %(needs)s") % {"needs": needs}] if s)
        first_contact = visit.contacts.order_by("-influence").first()
        visit.feedback = feedback_create(
            account=visit.account,
            actor=actor,
            received_on=timezone.localdate(happened_at),
            heard_at=happened_at,
            channel=Feedback.Channel.VISIT,
            satisfaction=satisfaction,
            suggestion=suggestion,
            contact=first_contact,
        )
    save_versioned(visit, expected_version=expected_version)
    account_touch_contact(account_id=visit.account_id, at=happened_at)
    events.visit_completed_event(visit=visit, actor=actor)
    if follow_up_on:
        follow_up_create(
            actor=actor,
            account=visit.account,
            title=next_step,
            assignee=visit.owner,
            due_on=follow_up_on,
            visit=visit,
        )
    return visit


@transaction.atomic
def visit_record(
    *, actor, account: Account, kind: str, purpose: str, outcome: str, happened_at=None, contacts=(), **form
) -> Visit:
    """A visit that was not planned in the system, recorded after it happened (the composer's 'visit outcome')."""
    happened_at = happened_at or timezone.now()
    _check_not_future(happened_at, "happened_at")
    visit = visit_create(
        actor=actor,
        account=account,
        kind=kind,
        purpose=purpose,
        planned_start=happened_at,
        planned_end=happened_at + datetime.timedelta(hours=1),
        contacts=contacts,
    )
    return visit_complete(visit=visit, actor=actor, outcome=outcome, happened_at=happened_at, **form)


@transaction.atomic
def visit_cancel(
    *, visit: Visit, actor, reason: str, expected_version: int | None = None, missed: bool = False
) -> Visit:
    """Cancel a visit (or mark it missed: it did not happen as planned). A reason is required."""
    to = Visit.Status.MISSED if missed else Visit.Status.CANCELLED
    _check_transition(visit, to)
    if not (reason or "").strip():
        raise ValidationError({"status_reason": _("Give a reason.")})
    visit.status = to
    visit.status_reason = reason.strip()
    save_versioned(visit, expected_version=expected_version)
    events.visit_cancelled_event(visit=visit, actor=actor)
    return visit


def visit_set_status(*, visit: Visit, actor, status: str, expected_version=None, reason: str = "", **outcome) -> Visit:
    """One entry point for the API: move a visit to `status` through the matching service."""
    if status not in Visit.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    _check_transition(visit, status)
    if status == Visit.Status.CONFIRMED:
        return visit_confirm(visit=visit, actor=actor, expected_version=expected_version)
    if status == Visit.Status.DONE:
        return visit_complete(visit=visit, actor=actor, expected_version=expected_version, **outcome)
    return visit_cancel(
        visit=visit, actor=actor, reason=reason, expected_version=expected_version, missed=status == Visit.Status.MISSED
    )


# --- callbacks and notes --------------------------------------------------------------------


@transaction.atomic
def callback_log(
    *,
    actor,
    account: Account,
    summary: str,
    contact: Contact | None = None,
    kind: str = Callback.Kind.CALLBACK,
    channel: str = Callback.Channel.PHONE,
    occurred_at: datetime.datetime | None = None,
    satisfaction: int | None = None,
    problem_raised: bool = False,
    problem: str = "",
    next_step: str = "",
    next_step_on: datetime.date | None = None,
) -> Callback:
    """Log a callback or call. A satisfaction score is kept as account feedback too; a problem goes
    to whoever registered for it (service requests), otherwise to a follow-up due within 24 hours."""
    _check_account_open(account)
    occurred_at = occurred_at or timezone.now()
    _check_not_future(occurred_at, "occurred_at")
    if contact is not None:
        _check_contacts(account, [contact])
    if not (summary or "").strip():
        raise ValidationError({"summary": _("Say in a sentence what was said.")})
    if problem_raised and not (problem or "").strip():
        problem = summary
    if not problem_raised and (problem or "").strip():
        problem_raised = True
    callback = Callback(
        account=account,
        contact=contact,
        kind=kind,
        channel=channel,
        occurred_at=occurred_at,
        summary=summary.strip(),
        satisfaction=satisfaction,
        problem_raised=problem_raised,
        problem=(problem or "").strip(),
        problem_status=Callback.ProblemStatus.OPEN if problem_raised else Callback.ProblemStatus.NONE,
        created_by=actor,
    )
    callback.full_clean()
    _check_next_step(next_step, next_step_on, occurred_at)
    if satisfaction:
        callback.feedback = feedback_create(
            account=account,
            actor=actor,
            received_on=timezone.localdate(occurred_at),
            heard_at=occurred_at,
            channel=Feedback.Channel.CALLBACK if kind == Callback.Kind.CALLBACK else Feedback.Channel.PHONE,
            satisfaction=satisfaction,
            suggestion=callback.summary[:1000],
            contact=contact,
        )
    callback.save()
    account_touch_contact(account_id=account.pk, at=occurred_at)
    events.callback_logged_event(callback=callback, actor=actor)
    if problem_raised:
        _route_problem(callback=callback, actor=actor)
    if next_step_on:
        follow_up_create(
            actor=actor, account=account, title=next_step, assignee=actor, due_on=next_step_on, callback=callback
        )
    return callback


def _check_next_step(next_step: str, next_step_on, at: datetime.datetime) -> None:
    if next_step_on and not (next_step or "").strip():
        raise ValidationError({"next_step": _("Say what the next step is, or leave its date empty.")})
    if (next_step or "").strip() and not next_step_on:
        raise ValidationError({"next_step_on": _("Give the next step a date.")})
    if next_step_on and next_step_on < timezone.localdate(at):
        raise ValidationError({"next_step_on": _("The next step cannot be due before today.")})


def _route_problem(*, callback: Callback, actor) -> None:
    """A problem raised on a callback becomes a service request in the same save (000 §5: to the
    responsible department within 24 hours); routing and its SLA clocks are service requests'."""
    unhappy = callback.satisfaction is not None and callback.satisfaction <= 2
    callback.service_request = request_open(
        actor=actor,
        account=callback.account,
        contact=callback.contact,
        channel=ServiceRequest.Channel.CALLBACK,
        category=ServiceRequest.Category.COMPLAINT if unhappy else ServiceRequest.Category.OTHER,
        subject=Truncator(callback.problem).chars(200),
        description=_("Raised on a callback: %(summary)s") % {"summary": callback.summary},
        received_at=callback.occurred_at,
    )
    callback.problem_status = Callback.ProblemStatus.HANDED_OVER
    callback.save(update_fields=["problem_status", "service_request"])


@transaction.atomic
def callback_resolve_problem(*, callback: Callback, actor) -> Callback:
    """The problem is solved and the customer told; its open follow-ups are done with it."""
    if callback.problem_status == Callback.ProblemStatus.HANDED_OVER:
        raise ValidationError(
            _("This problem was handed over as service request %(number)s; it is closed there.")
            % {"number": callback.service_request.number if callback.service_request else "—"}
        )
    if callback.problem_status != Callback.ProblemStatus.OPEN:
        raise ValidationError(_("This callback has no open problem."))
    callback.problem_status = Callback.ProblemStatus.RESOLVED
    callback.save(update_fields=["problem_status"])
    for follow_up in callback.follow_ups.filter(done_at__isnull=True):
        follow_up_complete(follow_up=follow_up, actor=actor)
    events.callback_problem_resolved_event(callback=callback, actor=actor)
    return callback


@transaction.atomic
def note_add(*, actor, account: Account, body: str, occurred_at=None, next_step: str = "", next_step_on=None) -> Note:
    _check_account_open(account)
    occurred_at = occurred_at or timezone.now()
    _check_not_future(occurred_at, "occurred_at")
    note = Note(account=account, body=(body or "").strip(), occurred_at=occurred_at, created_by=actor)
    note.full_clean()
    _check_next_step(next_step, next_step_on, occurred_at)
    note.save()
    events.note_added_event(note=note, actor=actor)
    if next_step_on:
        follow_up_create(actor=actor, account=account, title=next_step, assignee=actor, due_on=next_step_on)
    return note


# --- follow-ups -----------------------------------------------------------------------------


@transaction.atomic
def follow_up_create(
    *, actor, account: Account, title: str, assignee, due_on: datetime.date, notes: str = "", visit=None, callback=None
) -> FollowUp:
    _check_account_open(account)
    if assignee is None:
        raise ValidationError({"assignee": _("Say who does it.")})
    if not assignee.is_active:
        raise ValidationError({"assignee": _("%(name)s can no longer sign in.") % {"name": assignee}})
    follow_up = FollowUp(
        account=account,
        title=(title or "").strip(),
        notes=notes or "",
        assignee=assignee,
        due_on=due_on,
        visit=visit,
        callback=callback,
        created_by=actor,
    )
    follow_up.full_clean()
    follow_up.save()
    events.follow_up_created_event(follow_up=follow_up, actor=actor)
    return follow_up


@transaction.atomic
def follow_up_update(*, follow_up: FollowUp, actor, expected_version: int | None, data: dict) -> FollowUp:
    require_version(expected_version, actor=actor)
    if follow_up.is_done:
        raise ValidationError(_("This follow-up is done; it cannot be changed."))
    for field, value in data.items():
        if field not in FOLLOW_UP_EDITABLE:
            raise ValidationError({field: _("This field cannot be changed here.")})
        setattr(follow_up, field, value)
    save_versioned(follow_up, expected_version=expected_version)
    return follow_up


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, actor, expected_version: int | None = None) -> FollowUp:
    if follow_up.is_done:
        raise ValidationError(_("This follow-up is already done."))
    follow_up.done_at = timezone.now()
    follow_up.done_by = actor
    save_versioned(follow_up, expected_version=expected_version)
    events.follow_up_done_event(follow_up=follow_up, actor=actor)
    return follow_up


# --- settings -------------------------------------------------------------------------------


@transaction.atomic
def coverage_target_save(*, actor, dimension: str, value: str, percent: Decimal) -> CoverageTarget:
    target, _created = CoverageTarget.objects.get_or_create(
        dimension=dimension, value=value or "", defaults={"percent": percent}
    )
    target.percent = percent
    target.full_clean()
    target.save()
    return target


@transaction.atomic
def calendar_feed_rotate(*, user) -> CalendarFeed:
    """A new secret address for the user's calendar; the old one stops working."""
    from .models import _new_token

    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if not created:
        feed.token = _new_token()
        feed.save(update_fields=["token"])
    return feed


def calendar_feed_for(*, user) -> CalendarFeed:
    return CalendarFeed.objects.get_or_create(user=user)[0]
