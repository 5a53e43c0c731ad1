"""Timeline events of service requests: one function per event, called by the services inside their
transaction. The account's 360° timeline shows them; `events_about(request)` is the request's own."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.timeline import record_event, register_event_kind

CATEGORY = "requests"


def _link(event) -> str:
    return reverse("service_requests:detail", args=[event.subject_id])


def _label(model_choices, value):
    try:
        return str(model_choices(value).label)
    except ValueError:
        return value or ""


def _describe_opened(data):
    from .models import ServiceRequest

    return _("%(number)s %(subject)s — %(category)s, %(priority)s priority, by %(channel)s") % {
        "number": data.get("number", ""),
        "subject": data.get("subject", ""),
        "category": _label(ServiceRequest.Category, data.get("category")),
        "priority": _label(ServiceRequest.Priority, data.get("priority")).lower(),
        "channel": _label(ServiceRequest.Channel, data.get("channel")).lower(),
    }


def _describe_assigned(data):
    return _("%(number)s routed to %(department)s, %(assignee)s") % {
        "number": data.get("number", ""),
        "department": data.get("department") or "—",
        "assignee": data.get("assignee") or _("nobody yet"),
    }


def _describe_status(data):
    from .models import ServiceRequest

    text = _("%(number)s: %(old)s → %(new)s") % {
        "number": data.get("number", ""),
        "old": _label(ServiceRequest.Status, data.get("old")),
        "new": _label(ServiceRequest.Status, data.get("new")),
    }
    if data.get("rating"):
        text += " · " + _("rated %(rating)s/5") % {"rating": data["rating"]}
    if data.get("note"):
        text += f" · {data['note']}"
    return text


def _describe_comment(data):
    prefix = _("internal note") if data.get("internal") else _("told the customer")
    return _("%(number)s %(kind)s: %(body)s") % {
        "number": data.get("number", ""),
        "kind": prefix,
        "body": data.get("body", ""),
    }


def _describe_attachment(data):
    return _("%(number)s: attached %(name)s") % {"number": data.get("number", ""), "name": data.get("name", "")}


def _describe_change(data):
    from .models import ServiceRequest

    return _("%(number)s applied the change: %(change)s") % {
        "number": data.get("number", ""),
        "change": _label(ServiceRequest.ChangeKind, data.get("change")),
    }


def _describe_escalated(data):
    from .models import Escalation

    return _("%(number)s: %(clock)s %(level)s, %(who)s notified") % {
        "number": data.get("number", ""),
        "clock": _label(Escalation.Clock, data.get("clock")),
        "level": _label(Escalation.Level, data.get("level")).lower(),
        "who": data.get("notified") or "—",
    }


def register_kinds() -> None:
    kinds = [
        ("request.opened", gettext_lazy("Request opened"), "life-preserver", _describe_opened),
        ("request.assigned", gettext_lazy("Request routed"), "signpost-split", _describe_assigned),
        ("request.status", gettext_lazy("Request status"), "arrow-repeat", _describe_status),
        ("request.comment", gettext_lazy("Request comment"), "chat-left-text", _describe_comment),
        ("request.attachment", gettext_lazy("Request attachment"), "paperclip", _describe_attachment),
        ("request.change_applied", gettext_lazy("Change applied"), "pencil-square", _describe_change),
        ("request.escalated", gettext_lazy("Request escalated"), "exclamation-octagon", _describe_escalated),
    ]
    for kind, label, icon, describe in kinds:
        register_event_kind(kind, label=label, icon=icon, describe=describe, category=CATEGORY, link=_link)


def request_opened_event(*, request, actor):
    return record_event(
        account=request.account,
        kind="request.opened",
        subject=request,
        actor=actor,
        occurred_at=request.received_at,
        data={
            "number": request.number,
            "subject": request.subject,
            "category": request.category,
            "priority": request.priority,
            "channel": request.channel,
        },
    )


def request_assigned_event(*, request, actor):
    return record_event(
        account=request.account,
        kind="request.assigned",
        subject=request,
        actor=actor,
        data={
            "number": request.number,
            "department": str(request.department or ""),
            "assignee": str(request.assignee or ""),
        },
    )


def request_status_changed_event(*, request, actor, old, note=""):
    return record_event(
        account=request.account,
        kind="request.status",
        subject=request,
        actor=actor,
        data={"number": request.number, "old": old, "new": request.status, "note": note, "rating": request.rating},
    )


def request_commented_event(*, request, comment, actor):
    return record_event(
        account=request.account,
        kind="request.comment",
        subject=request,
        actor=actor,
        occurred_at=comment.created_at,
        data={"number": request.number, "internal": comment.is_internal, "body": comment.body[:200]},
    )


def request_attachment_event(*, request, attachment, actor):
    return record_event(
        account=request.account,
        kind="request.attachment",
        subject=request,
        actor=actor,
        data={"number": request.number, "name": attachment.name},
    )


def request_change_applied_event(*, request, actor):
    return record_event(
        account=request.account,
        kind="request.change_applied",
        subject=request,
        actor=actor,
        data={"number": request.number, "change": request.change_kind},
    )


def request_escalated_event(*, request, escalation):
    return record_event(
        account=request.account,
        kind="request.escalated",
        subject=request,
        occurred_at=escalation.created_at,
        data={
            "number": request.number,
            "clock": escalation.clock,
            "level": escalation.level,
            "notified": str(escalation.notified or ""),
        },
    )
