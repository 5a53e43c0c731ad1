"""Opportunity and quote events on the account timeline: one function per event, called by the
services inside their transaction. The data keeps codes and numbers; the sentence is built in the
reader's language when the timeline is shown."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.timeline import record_event, register_event_kind


def _stage_name(data, key):
    from .models import DEFAULT_STAGE_NAMES, STAGE_CONTEXT

    name = data.get(key) or ""
    return pgettext(STAGE_CONTEXT, name) if name in DEFAULT_STAGE_NAMES else name


def _reason(code):
    from .models import CloseReason

    return dict(CloseReason.choices).get(code, code or "")


def _describe_moved(d):
    text = _("“%(title)s”: %(old)s → %(new)s.") % {
        "title": d.get("title", ""),
        "old": _stage_name(d, "old"),
        "new": _stage_name(d, "new"),
    }
    if d.get("reason"):
        text += " " + _("Reason: %(reason)s.") % {"reason": _reason(d["reason"])}
    if d.get("lost_to"):
        text += " " + _("Lost to %(competitor)s.") % {"competitor": d["lost_to"]}
    return text


OPPORTUNITY_KINDS = {
    "opportunity.created": (
        gettext_lazy("Opportunity opened"),
        "lightbulb",
        lambda d: (
            _("Opportunity “%(title)s” opened in %(stage)s (%(currency)s %(amount)s).")
            % {
                "title": d.get("title", ""),
                "stage": _stage_name(d, "stage"),
                "amount": d.get("amount"),
                "currency": d.get("currency", "CNY"),
            }
        ),
    ),
    "opportunity.moved": (gettext_lazy("Opportunity stage"), "kanban", _describe_moved),
}

QUOTE_KINDS = {
    "quote.created": (
        gettext_lazy("Quote drafted"),
        "receipt",
        lambda d: (
            _("Quote %(number)s drafted for “%(title)s”: %(total)s.")
            % {"number": d.get("number"), "title": d.get("title", ""), "total": d.get("total")}
        ),
    ),
    "quote.submitted": (
        gettext_lazy("Quote finished"),
        "receipt-cutoff",
        lambda d: (
            _("Quote %(number)s r%(revision)s finished (%(total)s).")
            % {"number": d.get("number"), "revision": d.get("revision"), "total": d.get("total")}
        ),
    ),
    "quote.approved": (
        gettext_lazy("Quote discount approved"),
        "check2-circle",
        lambda d: (
            _("Discount of quote %(number)s r%(revision)s approved.")
            % {"number": d.get("number"), "revision": d.get("revision")}
        ),
    ),
    "quote.sent_back": (
        gettext_lazy("Quote discount not approved"),
        "arrow-counterclockwise",
        lambda d: (
            _("Discount of quote %(number)s r%(revision)s not approved: %(comment)s")
            % {"number": d.get("number"), "revision": d.get("revision"), "comment": d.get("comment", "")}
        ),
    ),
    "quote.sent": (
        gettext_lazy("Quote sent"),
        "send",
        lambda d: (
            _("Quote %(number)s r%(revision)s sent to the customer.")
            % {"number": d.get("number"), "revision": d.get("revision")}
        ),
    ),
    "quote.revised": (
        gettext_lazy("Quote revised"),
        "files",
        lambda d: (
            _("Quote %(number)s revised (revision %(revision)s).")
            % {"number": d.get("number"), "revision": d.get("revision")}
        ),
    ),
    "quote.declined": (
        gettext_lazy("Quote declined"),
        "hand-thumbs-down",
        lambda d: (
            _("The customer declined quote %(number)s r%(revision)s.")
            % {"number": d.get("number"), "revision": d.get("revision")}
        ),
    ),
    "quote.expired": (
        gettext_lazy("Quote expired"),
        "hourglass-bottom",
        lambda d: (
            _("Quote %(number)s r%(revision)s expired: it was valid until %(date)s.")
            % {"number": d.get("number"), "revision": d.get("revision"), "date": d.get("valid_until", "")}
        ),
    ),
    "quote.accepted": (
        gettext_lazy("Quote accepted"),
        "hand-thumbs-up",
        lambda d: (
            _("The customer accepted quote %(number)s r%(revision)s (%(total)s); contract %(contract)s drafted.")
            % {
                "number": d.get("number"),
                "revision": d.get("revision"),
                "total": d.get("total"),
                "contract": d.get("contract", ""),
            }
        ),
    ),
}


def _opportunity_link(event) -> str:
    return reverse("opportunities:detail", args=[event.subject_id]) if event.subject_id else ""


def _quote_link(event) -> str:
    return reverse("opportunities:quote", args=[event.subject_id]) if event.subject_id else ""


def register_kinds() -> None:
    for kind, (label, icon, describe) in OPPORTUNITY_KINDS.items():
        register_event_kind(
            kind, label=label, icon=icon, describe=describe, category="opportunities", link=_opportunity_link
        )
    for kind, (label, icon, describe) in QUOTE_KINDS.items():
        register_event_kind(kind, label=label, icon=icon, describe=describe, category="opportunities", link=_quote_link)


def opportunity_created_event(*, opportunity, actor):
    from django.conf import settings

    data = {
        "title": opportunity.title[:200],
        "stage": opportunity.stage.name,
        "amount": str(opportunity.amount),
        "currency": getattr(settings, "CRM_CURRENCY", "CNY"),
    }
    return record_event(
        account=opportunity.account,
        kind="opportunity.created",
        subject=opportunity,
        data=data,
        actor=actor,
        occurred_at=opportunity.stage_entered_at,
    )


def opportunity_moved_event(*, opportunity, actor, old):
    data = {
        "title": opportunity.title[:200],
        "old": old.name,
        "new": opportunity.stage.name,
        "outcome": opportunity.stage.outcome,
        "reason": opportunity.close_reason,
        "lost_to": opportunity.lost_to.name if opportunity.lost_to_id else "",
    }
    return record_event(
        account=opportunity.account,
        kind="opportunity.moved",
        subject=opportunity,
        data=data,
        actor=actor,
        occurred_at=opportunity.stage_entered_at,
    )


def quote_event_data(quote, **extra) -> dict:
    """What a quote event keeps (the sweep writes these rows in bulk, with the same data)."""
    return {
        "number": quote.number,
        "revision": quote.revision,
        "title": quote.opportunity.title[:200],
        "total": str(quote.total),
        **{k: (str(v)[:300]) for k, v in extra.items()},
    }


def quote_event(*, quote, actor, kind, **extra):
    return record_event(
        account=quote.opportunity.account, kind=kind, subject=quote, data=quote_event_data(quote, **extra), actor=actor
    )
