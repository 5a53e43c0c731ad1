"""Timeline events of visits, callbacks, notes and follow-ups: one function per event.

Each writes one row on the account timeline (accounts.timeline) inside the caller's transaction,
dated when the thing happened. The kinds and their sentences are registered in `register_kinds`.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.timeline import record_event, register_event_kind


def _record(*, account, kind, subject, data, actor, occurred_at):
    return record_event(account=account, kind=kind, subject=subject, data=data, actor=actor, occurred_at=occurred_at)


def _link(url_name: str):
    """The kind's link: to the visit, callback or follow-up the event is about (built when shown)."""

    def link(event) -> str:
        return reverse(url_name, args=[event.subject_id]) if event.subject_id else ""

    return link


# --- the events -----------------------------------------------------------------------------


def visit_planned_event(*, visit, actor):
    return _record(
        account=visit.account,
        kind="visit.planned",
        subject=visit,
        actor=actor,
        occurred_at=None,
        data={
            "visit": visit.pk,
            "purpose": visit.purpose[:200],
            "kind": visit.kind,
            "start": visit.planned_start.isoformat(),
        },
    )


def visit_confirmed_event(*, visit, actor):
    return _record(
        account=visit.account,
        kind="visit.confirmed",
        subject=visit,
        actor=actor,
        occurred_at=None,
        data={"visit": visit.pk, "purpose": visit.purpose[:200], "start": visit.planned_start.isoformat()},
    )


def visit_completed_event(*, visit, actor):
    return _record(
        account=visit.account,
        kind="visit.done",
        subject=visit,
        actor=actor,
        occurred_at=visit.happened_at,
        data={
            "visit": visit.pk,
            "purpose": visit.purpose[:200],
            "kind": visit.kind,
            "outcome": visit.outcome[:200],
            "satisfaction": visit.satisfaction,
            # the contacts met (accounts.timeline's convention: other apps read who was met when)
            "met_contacts": sorted(visit.contacts.values_list("pk", flat=True)),
        },
    )


def visit_cancelled_event(*, visit, actor):
    return _record(
        account=visit.account,
        kind=f"visit.{visit.status}",  # cancelled or missed
        subject=visit,
        actor=actor,
        occurred_at=None,
        data={"visit": visit.pk, "purpose": visit.purpose[:200], "reason": visit.status_reason[:200]},
    )


def callback_logged_event(*, callback, actor):
    return _record(
        account=callback.account,
        kind="callback.logged",
        subject=callback,
        actor=actor,
        occurred_at=callback.occurred_at,
        data={
            "callback": callback.pk,
            "kind": callback.kind,
            "channel": callback.channel,
            "contact": callback.contact.name if callback.contact_id else "",
            "met_contacts": [callback.contact_id] if callback.contact_id else [],
            "summary": callback.summary[:200],
            "problem": callback.problem_raised,
        },
    )


def callback_problem_resolved_event(*, callback, actor):
    return _record(
        account=callback.account,
        kind="callback.problem_resolved",
        subject=callback,
        actor=actor,
        occurred_at=None,
        data={"callback": callback.pk, "problem": callback.problem[:200]},
    )


def note_added_event(*, note, actor):
    return _record(
        account=note.account,
        kind="note.added",
        subject=note,
        actor=actor,
        occurred_at=note.occurred_at,
        data={"note": note.pk, "body": note.body[:300]},
    )


def follow_up_created_event(*, follow_up, actor):
    return _record(
        account=follow_up.account,
        kind="followup.created",
        subject=follow_up,
        actor=actor,
        occurred_at=None,
        data={
            "follow_up": follow_up.pk,
            "title": follow_up.title[:200],
            "due": follow_up.due_on.isoformat(),
            "assignee": str(follow_up.assignee),
        },
    )


def follow_up_done_event(*, follow_up, actor):
    return _record(
        account=follow_up.account,
        kind="followup.done",
        subject=follow_up,
        actor=actor,
        occurred_at=follow_up.done_at,
        data={"follow_up": follow_up.pk, "title": follow_up.title[:200]},
    )


# --- how they read --------------------------------------------------------------------------


def _visit_kind(code):
    from .models import Visit

    return dict(Visit.Kind.choices).get(code, code or "")


def _channel(code):
    from .models import Callback

    return dict(Callback.Channel.choices).get(code, code or "")


def _when(iso: str) -> str:
    import datetime

    from django.utils import formats, timezone

    try:
        moment = datetime.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _describe_planned(d):
    return _("%(kind)s visit planned for %(when)s: %(purpose)s") % {
        "kind": _visit_kind(d.get("kind")),
        "when": _when(d.get("start")),
        "purpose": d.get("purpose", ""),
    }


def _describe_confirmed(d):
    return _("Visit on %(when)s confirmed with the customer: %(purpose)s") % {
        "when": _when(d.get("start")),
        "purpose": d.get("purpose", ""),
    }


def _describe_done(d):
    text = _("%(kind)s visit: %(purpose)s. %(outcome)s") % {
        "kind": _visit_kind(d.get("kind")),
        "purpose": d.get("purpose", ""),
        "outcome": d.get("outcome", ""),
    }
    if d.get("satisfaction"):
        text += " " + _("Satisfaction %(score)s/5.") % {"score": d["satisfaction"]}
    return text.strip()


def _describe_cancelled(d):
    return _("Visit cancelled: %(purpose)s. %(reason)s") % {
        "purpose": d.get("purpose", ""),
        "reason": d.get("reason", ""),
    }


def _describe_missed(d):
    return _("Visit missed: %(purpose)s. %(reason)s") % {"purpose": d.get("purpose", ""), "reason": d.get("reason", "")}


def _describe_callback(d):
    from .models import Callback

    label = dict(Callback.Kind.choices).get(d.get("kind"), "")
    who = d.get("contact") or _("the customer")
    text = _("%(kind)s · %(channel)s · %(who)s: %(summary)s") % {
        "kind": label,
        "channel": _channel(d.get("channel")),
        "who": who,
        "summary": d.get("summary", ""),
    }
    if d.get("problem"):
        text += " " + _("Problem raised.")
    return text


LINKS = {
    "visit": "visits:visit_detail",
    "callback": "visits:callback_detail",
    "followup": "visits:followup_detail",
}


def register_kinds() -> None:
    kinds = [
        ("visit.planned", gettext_lazy("Visit planned"), "calendar-plus", "visits", _describe_planned),
        ("visit.confirmed", gettext_lazy("Visit confirmed"), "calendar-check", "visits", _describe_confirmed),
        ("visit.done", gettext_lazy("Visit"), "person-walking", "visits", _describe_done),
        ("visit.cancelled", gettext_lazy("Visit cancelled"), "calendar-x", "visits", _describe_cancelled),
        ("visit.missed", gettext_lazy("Visit missed"), "calendar-minus", "visits", _describe_missed),
        ("callback.logged", gettext_lazy("Callback"), "telephone", "callbacks", _describe_callback),
        (
            "callback.problem_resolved",
            gettext_lazy("Problem resolved"),
            "check2-circle",
            "callbacks",
            lambda d: _("Problem resolved and the customer told: %(problem)s") % {"problem": d.get("problem", "")},
        ),
        ("note.added", gettext_lazy("Note"), "sticky", "notes", lambda d: d.get("body", "")),
        (
            "followup.created",
            gettext_lazy("Follow-up"),
            "flag",
            "follow-ups",
            lambda d: (
                _("%(title)s — %(who)s, due %(due)s")
                % {"title": d.get("title", ""), "who": d.get("assignee", ""), "due": d.get("due", "")}
            ),
        ),
        (
            "followup.done",
            gettext_lazy("Follow-up done"),
            "check2-square",
            "follow-ups",
            lambda d: _("Done: %(title)s") % {"title": d.get("title", "")},
        ),
    ]
    for kind, label, icon, category, describe in kinds:
        url_name = LINKS.get(kind.split(".")[0])
        register_event_kind(
            kind,
            label=label,
            icon=icon,
            describe=describe,
            category=category,
            link=_link(url_name) if url_name else None,
        )
