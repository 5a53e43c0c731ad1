"""Read queries for service requests, always scoped by the visibility policy."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from accounts.timeline import events_about, render_event
from users.models import User
from users.roles import Role
from users.visibility import get_visible_or_404, visible_to

from . import sla
from .models import Escalation, ServiceRequest
from .services import clock_deadlines, running_clocks, working_hours_of

Status = ServiceRequest.Status
OPEN = ~Q(status__in=[Status.RESOLVED, Status.CLOSED])

QUEUES = ("mine", "department", "at_risk", "breached", "open", "all")
SORTS = {
    "due": ("next_due_at", "-id"),
    "-due": ("-next_due_at", "-id"),
    "received": ("received_at", "id"),
    "-received": ("-received_at", "-id"),
    "priority": ("priority", "-received_at"),
    "number": ("number",),
    "-number": ("-number",),
    "status": ("status", "-received_at"),
}
DEFAULT_SORT = "-received"


def request_get_for_user(*, user, pk) -> ServiceRequest:
    """The one access function: a request the user may see, or 404."""
    return get_visible_or_404(
        user,
        ServiceRequest.objects.select_related("account", "contact", "department", "assignee", "created_by"),
        pk=pk,
    )


def queue_q(queue: str, *, user, now: datetime.datetime | None = None) -> Q:
    now = now or timezone.now()
    if queue == "mine":
        return OPEN & Q(assignee_id=user.pk)
    if queue == "department":
        return OPEN & Q(department_id=user.department_id) if user.department_id else Q(pk__in=[])
    if queue == "at_risk":
        return OPEN & Q(at_risk_at__lte=now, breached=False, paused_at__isnull=True)
    if queue == "breached":
        return OPEN & Q(breached=True)
    if queue == "open":
        return OPEN
    return Q()


def request_list(*, user, queue: str = "open", filterset_qs=None, sort: str = DEFAULT_SORT):
    qs = filterset_qs if filterset_qs is not None else ServiceRequest.objects.all()
    qs = visible_to(user, qs).filter(queue_q(queue if queue in QUEUES else "open", user=user))
    order = SORTS.get(sort, SORTS[DEFAULT_SORT])
    return qs.select_related("account", "department", "assignee").order_by(*order)


def queue_counts(*, user, now: datetime.datetime | None = None) -> dict[str, int]:
    """How many requests each queue holds for this user: one aggregate query."""
    now = now or timezone.now()
    aggregates = {name: Count("pk", filter=queue_q(name, user=user, now=now)) for name in QUEUES if name != "all"}
    return visible_to(user, ServiceRequest.objects.all()).aggregate(**aggregates)


def assignable_users():
    """Who a request can be assigned to: active staff (no integrations), by name."""
    return (
        User.objects.filter(is_active=True, is_service_account=False)
        .filter(groups__name__in=[Role.SERVICE.value, Role.MANAGER.value, Role.DIRECTOR.value, Role.ADMIN.value])
        .distinct()
        .order_by("full_name", "username")
    )


def sla_clocks(request: ServiceRequest, *, now: datetime.datetime | None = None) -> list[dict]:
    """Each clock as the request page shows it: deadline, when it stopped, time left, state."""
    from django.utils.translation import gettext_lazy as _

    now = now or timezone.now()
    deadlines = clock_deadlines(request)
    running = running_clocks(request)
    hours = working_hours_of(request.department_id) if request.business_hours else sla.CALENDAR_HOURS
    stops = {
        "dispatch": request.dispatched_at,
        "response": request.first_response_at,
        "resolution": request.resolved_at,
    }
    labels = {"dispatch": _("Dispatch"), "response": _("First response"), "resolution": _("Resolution")}
    clocks = []
    for clock, (warn, due) in deadlines.items():
        stopped = stops[clock]
        if stopped is not None:
            state = "met" if stopped <= due else "missed"
            left = None
        elif clock in running:
            state = "breached" if now >= due else "at_risk" if now >= warn else "running"
            left = sla.working_time(now, due, hours) if now < due else -(sla.working_time(due, now, hours))
        else:
            state = "paused" if request.is_open else "stopped"
            left = None
        clocks.append(
            {
                "clock": clock,
                "label": labels[clock],
                "due": due,
                "warn": warn,
                "stopped": stopped,
                "state": state,
                "left_minutes": sla.minutes(left) if left is not None else None,
                "left_text": _duration_text(abs(sla.minutes(left))) if left is not None else "",
            }
        )
    return clocks


def _duration_text(minutes: int) -> str:
    from django.utils.translation import gettext as _

    hours, mins = divmod(minutes, 60)
    if hours >= 48:
        return _("%(d)s d %(h)s h") % {"d": hours // 24, "h": hours % 24}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins}
    return _("%(m)s min") % {"m": mins}


def request_timeline(request: ServiceRequest, limit: int = 100) -> list[dict]:
    events = events_about(request).select_related("actor").order_by("-occurred_at", "-id")[:limit]
    return [render_event(e) for e in events]


def request_escalations(request: ServiceRequest):
    return Escalation.objects.filter(request=request).select_related("notified")


def account_requests(*, user, account, limit: int = 5) -> dict:
    """The account page's card: open requests (newest first), with at-risk and breached counts."""
    now = timezone.now()
    qs = visible_to(user, ServiceRequest.objects.filter(account=account))
    counts = qs.aggregate(
        open=Count("pk", filter=OPEN),
        at_risk=Count("pk", filter=OPEN & Q(at_risk_at__lte=now, breached=False, paused_at__isnull=True)),
        breached=Count("pk", filter=OPEN & Q(breached=True)),
        total=Count("pk"),
    )
    rows = list(qs.filter(OPEN).select_related("assignee").order_by("next_due_at", "-received_at")[:limit])
    return {"counts": counts, "rows": rows, "account": account}


def account_request_alerts(*, user, account) -> list:
    """Service requests' line in the 360° header (accounts.alerts): open requests of the account,
    breached and at risk first. One query."""
    from django.urls import reverse
    from django.utils.translation import ngettext

    from accounts.alerts import AccountAlert

    now = timezone.now()
    counts = ServiceRequest.objects.filter(OPEN, account=account).aggregate(
        n_open=Count("pk"),
        n_breached=Count("pk", filter=queue_q("breached", user=user, now=now)),
        n_at_risk=Count("pk", filter=queue_q("at_risk", user=user, now=now)),
    )
    url = f"{reverse('service_requests:list')}?account={account.pk}&queue="
    alerts = []
    if counts["n_breached"]:
        text = ngettext(
            "%(n)s service request past its deadline",
            "%(n)s service requests past their deadline",
            counts["n_breached"],
        ) % {"n": counts["n_breached"]}
        alerts.append(
            AccountAlert(level="danger", icon="alarm", text=text, url=url + "breached", count=counts["n_breached"])
        )
    if counts["n_at_risk"]:
        text = ngettext(
            "%(n)s service request close to its deadline",
            "%(n)s service requests close to their deadline",
            counts["n_at_risk"],
        ) % {"n": counts["n_at_risk"]}
        alerts.append(
            AccountAlert(
                level="warning", icon="hourglass-split", text=text, url=url + "at_risk", count=counts["n_at_risk"]
            )
        )
    rest = counts["n_open"] - counts["n_breached"] - counts["n_at_risk"]
    if rest:
        text = ngettext("%(n)s open service request", "%(n)s open service requests", rest) % {"n": rest}
        alerts.append(AccountAlert(level="info", icon="life-preserver", text=text, url=url + "open", count=rest))
    return alerts
