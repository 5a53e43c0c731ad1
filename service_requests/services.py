"""Write use cases for service requests. Pages, API, admin, the callback hook and the sweep call these.

SLA rules (MISSION.md §4, 000 fourth part):
- dispatch (a department and an assignee) within 24 working hours of intake;
- first response and resolution within the targets of the account's tier *at intake*
  (tiering's TierBenefit, scaled by priority: PRIORITY_FACTORS); a later tier change does not
  move an open request's targets;
- the clocks stop while the request waits on the customer and while it sits resolved or closed
  (a reopened request continues where it stopped);
- a department with business hours counts only its working time (ServiceCalendar).
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact, Tier
from accounts.services import account_update
from core.locking import require_version, save_versioned
from tiering.selectors import tier_benefits_for

from . import events, sla
from .models import (
    DEFAULT_TARGET_HOURS,
    PRIORITY_FACTORS,
    TRANSITIONS,
    Attachment,
    Comment,
    ServiceCalendar,
    ServiceRequest,
)

Status = ServiceRequest.Status
EDITABLE = [
    "contact",
    "channel",
    "category",
    "priority",
    "subject",
    "description",
    "change_kind",
    "new_name",
    "new_holder",
    "new_address",
    "new_region",
    "suspend_from",
    "suspend_until",
    "new_capacity",
    "external_ref",
]
ATTACHMENT_TYPES = {".pdf", ".png", ".jpg", ".jpeg", ".gif", ".txt", ".csv", ".xlsx", ".xls", ".docx", ".doc", ".zip"}
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


class InvalidTransition(ValidationError):
    """A status move the request's flow does not allow."""


# --- the SLA clocks ---------------------------------------------------------------------------


def targets_for(*, tier: str, priority: str) -> tuple[int, int]:
    """(response, resolution) targets in minutes for a tier and priority."""
    benefit = tier_benefits_for(tier)
    if benefit is not None:
        hours = (benefit.response_hours, benefit.resolution_hours)
    else:
        hours = DEFAULT_TARGET_HOURS.get(tier, DEFAULT_TARGET_HOURS[Tier.SMALL])
    factor = PRIORITY_FACTORS[priority]
    return tuple(max(1, round(h * 60 * factor)) for h in hours)


def working_hours_of(department_id) -> sla.WorkingHours | None:
    if department_id is None:
        return sla.CALENDAR_HOURS
    calendar = ServiceCalendar.objects.filter(department_id=department_id).first()
    return calendar.working_hours() if calendar else sla.CALENDAR_HOURS


def _hours(request: ServiceRequest) -> sla.WorkingHours | None:
    return working_hours_of(request.department_id) if request.business_hours else sla.CALENDAR_HOURS


def clock_deadlines(request: ServiceRequest, hours=None) -> dict[str, tuple[datetime.datetime, datetime.datetime]]:
    """{clock: (80% mark, deadline)} for each clock, ignoring whether it still runs. The response and
    resolution clocks move by the time the request was paused."""
    hours = _hours(request) if hours is None else hours
    paused = datetime.timedelta(minutes=request.paused_minutes)
    start = request.received_at
    targets = {
        "dispatch": sla.DISPATCH_TARGET,
        "response": datetime.timedelta(minutes=request.response_target_minutes),
        "resolution": datetime.timedelta(minutes=request.resolution_target_minutes),
    }
    result = {}
    for clock, target in targets.items():
        moved = paused if clock != "dispatch" else datetime.timedelta(0)
        result[clock] = (
            sla.add_working_time(start, target * sla.AT_RISK_SHARE + moved, hours),
            sla.add_working_time(start, target + moved, hours),
        )
    return result


def running_clocks(request: ServiceRequest) -> list[str]:
    """The clocks still running: not stopped by their event, and not paused."""
    if request.paused_at is not None or not request.is_open:
        return ["dispatch"] if request.dispatched_at is None and request.is_open else []
    clocks = []
    if request.dispatched_at is None:
        clocks.append("dispatch")
    if request.first_response_at is None:
        clocks.append("response")
    if request.resolved_at is None:
        clocks.append("resolution")
    return clocks


def _refresh_sla(request: ServiceRequest, *, now: datetime.datetime) -> None:
    """Store the deadlines, the next one and its 80% mark, and the breached flag."""
    deadlines = clock_deadlines(request)
    request.dispatch_due_at = deadlines["dispatch"][1]
    running = running_clocks(request)
    # while paused these move on resume; as stored they are the deadlines had it resumed now
    request.response_due_at = deadlines["response"][1]
    request.resolution_due_at = deadlines["resolution"][1]
    if running:
        request.next_due_at = min(deadlines[c][1] for c in running)
        request.at_risk_at = min(deadlines[c][0] for c in running)
    else:
        request.next_due_at = request.at_risk_at = None
    # a clock that stopped late, or runs past its deadline, breaches the request for good
    stops = {
        "dispatch": request.dispatched_at,
        "response": request.first_response_at,
        "resolution": request.resolved_at,
    }
    for clock, (_warn, due) in deadlines.items():
        stopped = stops[clock]
        if (stopped is not None and stopped > due) or (clock in running and now > due):
            request.breached = True


def _pause(request: ServiceRequest, now: datetime.datetime) -> None:
    if request.paused_at is None:
        request.paused_at = now


def _resume(request: ServiceRequest, now: datetime.datetime) -> None:
    if request.paused_at is not None:
        stopped = sla.working_time(request.paused_at, now, _hours(request))
        request.paused_minutes += sla.minutes(stopped)
        request.paused_at = None


# --- checks -----------------------------------------------------------------------------------


def _check_transition(request: ServiceRequest, to: str) -> None:
    if to not in TRANSITIONS[request.status]:
        raise InvalidTransition(
            _("A request that is %(old)s cannot become %(new)s.")
            % {"old": request.get_status_display().lower(), "new": Status(to).label.lower()},
            code="invalid_transition",
        )


def _check_contact(account: Account, contact: Contact | None) -> None:
    if contact is not None and (contact.account_id != account.pk or contact.is_archived):
        raise ValidationError({"contact": _("Choose a contact of this account.")})


def _check_change(request: ServiceRequest) -> None:
    """A change request names its change and the fields that change needs."""
    kind = request.change_kind
    if request.category != ServiceRequest.Category.CHANGE:
        if kind:
            raise ValidationError({"change_kind": _("Only a change request names a change.")})
        return
    K = ServiceRequest.ChangeKind
    if not kind:
        raise ValidationError({"change_kind": _("Say which change the customer asks for.")})
    needed = {
        K.RENAME: ["new_name"],
        K.TRANSFER: ["new_holder"],
        K.RELOCATION: ["new_address"],
        K.SUSPENSION: ["suspend_from"],
        K.CAPACITY: ["new_capacity"],
    }[kind]
    errors = {field: _("This change needs this field.") for field in needed if not getattr(request, field)}
    if request.suspend_from and request.suspend_until and request.suspend_until < request.suspend_from:
        errors["suspend_until"] = _("The suspension cannot end before it starts.")
    if errors:
        raise ValidationError(errors)


def _check_assignment(department, assignee) -> None:
    if assignee is not None and (not assignee.is_active or assignee.is_service_account):
        raise ValidationError({"assignee": _("Assign the request to an active staff member.")})
    if department is None:
        raise ValidationError({"department": _("Choose the department responsible.")})


def _number(request: ServiceRequest) -> str:
    return f"SR{timezone.localdate(request.received_at):%y%m}-{request.pk:06d}"


# --- use cases --------------------------------------------------------------------------------


@transaction.atomic
def request_open(
    *,
    actor,
    account: Account,
    subject: str,
    department=None,
    assignee=None,
    received_at: datetime.datetime | None = None,
    **fields,
) -> ServiceRequest:
    """Take in a request from any channel. With a department (and optionally an assignee) it is
    dispatched in the same save."""
    if account.is_archived:
        raise ValidationError(_("This account is archived; restore it before opening a request on it."))
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + FUTURE_TOLERANCE:
        raise ValidationError({"received_at": _("This cannot be in the future.")})
    data = {k: v for k, v in fields.items() if k in EDITABLE}
    request = ServiceRequest(account=account, subject=subject, received_at=received_at, created_by=actor, **data)
    _check_contact(account, request.contact)
    _check_change(request)
    request.tier_at_intake = account.tier
    request.response_target_minutes, request.resolution_target_minutes = targets_for(
        tier=account.tier, priority=request.priority
    )
    request.number = f"tmp-{uuid.uuid4().hex[:12]}"  # unique until the id is known
    request.full_clean(exclude=["number"])
    request.save()
    request.number = _number(request)
    _refresh_sla(request, now=now)
    request.save(
        update_fields=[
            "number",
            "dispatch_due_at",
            "response_due_at",
            "resolution_due_at",
            "next_due_at",
            "at_risk_at",
            "breached",
        ]
    )
    events.request_opened_event(request=request, actor=actor)
    if department is not None:
        request = request_assign(
            request=request, actor=actor, department=department, assignee=assignee, expected_version=request.version
        )
    return request


@transaction.atomic
def request_update(*, request: ServiceRequest, actor, expected_version, data: dict) -> ServiceRequest:
    """Edit what the request is about. A new priority recomputes its targets (same tier at intake)."""
    require_version(expected_version, actor=actor)
    if not request.is_open:
        raise ValidationError(_("Reopen the request before changing it."))
    old_priority = request.priority
    for field, value in data.items():
        if field not in EDITABLE:
            raise ValidationError({field: _("This field cannot be changed here.")})
        setattr(request, field, value)
    _check_contact(request.account, request.contact)
    _check_change(request)
    if request.priority != old_priority:
        request.response_target_minutes, request.resolution_target_minutes = targets_for(
            tier=request.tier_at_intake, priority=request.priority
        )
    _refresh_sla(request, now=timezone.now())
    save_versioned(request, expected_version=expected_version)
    return request


@transaction.atomic
def request_assign(*, request: ServiceRequest, actor, department, assignee=None, expected_version) -> ServiceRequest:
    """Route to a department and person. A new request becomes dispatched (the 24-hour clock stops)."""
    if not request.is_open:
        raise ValidationError(_("Reopen the request before assigning it."))
    _check_assignment(department, assignee)
    now = timezone.now()
    request.department, request.assignee = department, assignee
    if request.status == Status.NEW:
        request.status = Status.DISPATCHED
        request.dispatched_at = now
        # business hours follow the department that takes the request
        request.business_hours = bool(working_hours_of(department.pk))
    _refresh_sla(request, now=now)
    save_versioned(request, expected_version=expected_version)
    events.request_assigned_event(request=request, actor=actor)
    return request


@transaction.atomic
def requests_bulk_assign(*, actor, requests, department, assignee=None) -> int:
    """Assign many open requests at once (the queue's bulk action); all or nothing."""
    count = 0
    for request in requests:
        request_assign(
            request=request, actor=actor, department=department, assignee=assignee, expected_version=request.version
        )
        count += 1
    return count


@transaction.atomic
def request_transition(
    *,
    request: ServiceRequest,
    actor,
    to: str,
    expected_version,
    note: str = "",
    resolution: str = "",
    customer_informed: bool = False,
    rating: int | None = None,
    customer_unreachable: bool = False,
    contact_attempts: str = "",
) -> ServiceRequest:
    """Move the request along its flow (TRANSITIONS); each move's rule is checked here."""
    _check_transition(request, to)
    now = timezone.now()
    old = request.status
    if to == Status.IN_PROGRESS:
        if old in (Status.RESOLVED, Status.CLOSED):
            if not note.strip():
                raise ValidationError({"note": _("Say why the request is reopened.")})
            request.resolved_at = request.closed_at = None
            request.reopen_count += 1
            request.customer_informed = request.customer_unreachable = False
            request.rating = None
        if request.assignee_id is None:
            raise ValidationError({"assignee": _("Assign the request to someone before work starts.")})
        _resume(request, now)
        if request.first_response_at is None:
            request.first_response_at = now
    elif to == Status.WAITING:
        _pause(request, now)
    elif to == Status.RESOLVED:
        if not resolution.strip():
            raise ValidationError({"resolution": _("Describe how the request was resolved.")})
        request.resolution = resolution.strip()
        _resume(request, now)
        if request.first_response_at is None:
            request.first_response_at = now
        request.resolved_at = now
        _apply_change(request, actor=actor, now=now)
        _pause(request, now)  # the clocks stop while it sits resolved
    elif to == Status.CLOSED:
        _check_close(customer_informed, rating, customer_unreachable, contact_attempts)
        request.customer_informed = customer_informed
        request.rating = rating if customer_informed else None
        request.customer_unreachable = customer_unreachable and not customer_informed
        request.contact_attempts = contact_attempts.strip()
        request.closed_at = now
    request.status = to
    _refresh_sla(request, now=now)
    save_versioned(request, expected_version=expected_version)
    events.request_status_changed_event(request=request, actor=actor, old=old, note=note)
    return request


def _check_close(customer_informed: bool, rating, customer_unreachable: bool, contact_attempts: str) -> None:
    if customer_informed:
        if rating is None:
            raise ValidationError({"rating": _("Record the customer's rating (1-5) before closing.")})
        if not 1 <= int(rating) <= 5:
            raise ValidationError({"rating": _("The rating is from 1 to 5.")})
        return
    if customer_unreachable:
        if not contact_attempts.strip():
            raise ValidationError({"contact_attempts": _("Record when and how you tried to reach the customer.")})
        return
    raise ValidationError(
        {
            "customer_informed": _(
                "Close only when the customer knows the outcome, or record that they were unreachable."
            )
        }
    )


def _apply_change(request: ServiceRequest, *, actor, now) -> None:
    """A completed change request changes the account in the same transaction (its history names the request)."""
    if request.category != ServiceRequest.Category.CHANGE or request.change_applied_at is not None:
        return
    account = Account.objects.select_for_update().get(pk=request.account_id)
    K = ServiceRequest.ChangeKind
    data: dict = {}
    line = ""
    if request.change_kind in (K.RENAME, K.TRANSFER) and request.new_name:
        data["name"] = request.new_name
    if request.change_kind == K.TRANSFER:
        line = _("Transferred to %(holder)s (request %(number)s).") % {
            "holder": request.new_holder,
            "number": request.number,
        }
    elif request.change_kind == K.RELOCATION:
        data["address"] = request.new_address
        if request.new_region:
            data["region"] = request.new_region
    elif request.change_kind == K.SUSPENSION:
        data["status"] = Account.Status.DORMANT
        line = _("Suspended from %(start)s until %(end)s (request %(number)s).") % {
            "start": request.suspend_from,
            "end": request.suspend_until or "—",
            "number": request.number,
        }
    elif request.change_kind == K.CAPACITY:
        line = _("Capacity changed to %(capacity)s (request %(number)s).") % {
            "capacity": request.new_capacity,
            "number": request.number,
        }
    if line:
        data["notes"] = f"{account.notes}\n{line}".strip()
    account._change_reason = request.number  # simple-history: the account's history names the request
    account_update(account=account, actor=actor, expected_version=account.version, data=data)
    request.change_applied_at = now
    events.request_change_applied_event(request=request, actor=actor)


@transaction.atomic
def comment_add(*, request: ServiceRequest, actor, body: str, is_internal: bool = True) -> Comment:
    """A note on the request. A customer-facing one is the first response if none was given yet."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something.")})
    comment = Comment(request=request, author=actor, body=body, is_internal=is_internal, created_at=timezone.now())
    comment.full_clean()
    comment.save()
    if not is_internal and request.first_response_at is None and request.is_open:
        locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
        locked.first_response_at = comment.created_at
        _refresh_sla(locked, now=comment.created_at)
        save_versioned(locked, expected_version=locked.version)
        request.refresh_from_db()
    events.request_commented_event(request=request, comment=comment, actor=actor)
    return comment


@transaction.atomic
def attachment_add(*, request: ServiceRequest, actor, file) -> Attachment:
    """Attach a document; size and type are checked (SERVICE_REQUEST_MAX_UPLOAD_MB, ATTACHMENT_TYPES)."""
    import os

    name = os.path.basename(getattr(file, "name", "") or "")
    limit = settings.SERVICE_REQUEST_MAX_UPLOAD_MB * 1024 * 1024
    if not name:
        raise ValidationError({"file": _("Choose a file.")})
    if os.path.splitext(name)[1].lower() not in ATTACHMENT_TYPES:
        raise ValidationError(
            {
                "file": _("This type of file is not accepted. Use: %(types)s.")
                % {"types": ", ".join(sorted(ATTACHMENT_TYPES))}
            }
        )
    if file.size > limit:
        raise ValidationError(
            {"file": _("The file is larger than %(mb)s MB.") % {"mb": settings.SERVICE_REQUEST_MAX_UPLOAD_MB}}
        )
    attachment = Attachment(request=request, name=name[:200], size=file.size, uploaded_by=actor)
    attachment.file.save(name, file, save=False)
    attachment.save()
    events.request_attachment_event(request=request, attachment=attachment, actor=actor)
    return attachment


# --- escalation -------------------------------------------------------------------------------

ESCALATION_BATCH = 500


def _level_reached(warn: datetime.datetime, due: datetime.datetime, now: datetime.datetime, start) -> str | None:
    from .models import Escalation

    critical = start + (due - start) * sla.CRITICAL_SHARE
    if now >= critical:
        return Escalation.Level.CRITICAL
    if now >= due:
        return Escalation.Level.BREACHED
    if now >= warn:
        return Escalation.Level.AT_RISK
    return None


def escalation_recipient(request: ServiceRequest, level: str, clock: str):
    """Who hears of it: at risk, the assignee (the account manager before dispatch); breached, their
    team leader; long breached, a sales director. Each falls back to the next when missing."""
    from users.models import Team, User
    from users.roles import Role

    from .models import Escalation

    first = request.assignee if clock != "dispatch" and request.assignee_id else request.account.owner
    if level == Escalation.Level.AT_RISK and first is not None:
        return first
    if level in (Escalation.Level.AT_RISK, Escalation.Level.BREACHED):
        person = first or request.account.owner
        team = (
            Team.objects.filter(members=person, leader__isnull=False).select_related("leader").first()
            if person is not None
            else None
        )
        if team is None and request.account.team_id:
            team = (
                Team.objects.filter(pk=request.account.team_id, leader__isnull=False).select_related("leader").first()
            )
        if team is not None and team.leader_id != getattr(person, "pk", None):
            return team.leader
    return (
        User.objects.filter(groups__name=Role.DIRECTOR.value, is_active=True, is_service_account=False)
        .order_by("pk")
        .first()
    )


def escalations_sweep(*, now: datetime.datetime | None = None, batch: int = ESCALATION_BATCH) -> int:
    """Escalate every open request whose running clock passed 80%, 100% or 150% of its target.

    Selects by state on an index (at_risk_at <= now among open requests, at most `batch` rows);
    each (request, clock, level, deadline) is recorded once (unique), so a second run or a second
    sweep at the same time escalates nothing twice. Returns how many escalations it recorded."""
    from .models import Escalation

    now = now or timezone.now()
    due_ids = list(
        ServiceRequest.objects.exclude(status__in=[Status.RESOLVED, Status.CLOSED])
        .filter(at_risk_at__lte=now, paused_at__isnull=True)
        .order_by("at_risk_at")
        .values_list("pk", flat=True)[:batch]
    )
    recorded = 0
    for request in ServiceRequest.objects.filter(pk__in=due_ids).select_related("account__owner", "assignee"):
        deadlines = clock_deadlines(request)
        hit = []
        for clock in running_clocks(request):
            warn, due = deadlines[clock]
            level = _level_reached(warn, due, now, request.received_at)
            if level is not None:
                hit.append((clock, level, due))
        for clock, level, due in hit:
            with transaction.atomic():
                escalation, created = Escalation.objects.get_or_create(
                    request=request,
                    clock=clock,
                    level=level,
                    due_at=due,
                    defaults={"notified": escalation_recipient(request, level, clock), "created_at": now},
                )
                if not created:
                    continue
                recorded += 1
                if level != Escalation.Level.AT_RISK and not request.breached:
                    ServiceRequest.objects.filter(pk=request.pk).update(breached=True)
                    request.breached = True
                events.request_escalated_event(request=request, escalation=escalation)
    return recorded
