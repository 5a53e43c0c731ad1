"""Timeline event kinds written by the accounts app."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .timeline import register_event_kind


def _status_text(data):
    from .models import Account

    labels = dict(Account.Status.choices)
    return _("Status changed from %(old)s to %(new)s.") % {
        "old": labels.get(data.get("old"), data.get("old")),
        "new": labels.get(data.get("new"), data.get("new")),
    }


register_event_kind(
    "account.created",
    label=gettext_lazy("Account created"),
    icon="plus-circle",
    describe=lambda d: _("Account %(name)s created.") % {"name": d.get("name", "")},
)
register_event_kind(
    "account.status_changed",
    label=gettext_lazy("Status changed"),
    icon="arrow-left-right",
    describe=_status_text,
)
register_event_kind(
    "account.owner_changed",
    label=gettext_lazy("Account manager changed"),
    icon="person-check",
    describe=lambda d: (
        _("Account manager changed from %(old)s to %(new)s.") % {"old": d.get("old") or "—", "new": d.get("new") or "—"}
    ),
)
register_event_kind(
    "account.archived",
    label=gettext_lazy("Archived"),
    icon="archive",
    describe=lambda d: _("Account archived. %(reason)s") % {"reason": d.get("reason", "")},
)
register_event_kind(
    "account.restored",
    label=gettext_lazy("Restored"),
    icon="arrow-counterclockwise",
    describe=lambda d: _("Account restored from the archive."),
)
register_event_kind(
    "contact.added",
    label=gettext_lazy("Contact added"),
    icon="person-plus",
    describe=lambda d: (
        (_("%(name)s (%(title)s) added as a contact.") if d.get("title") else _("%(name)s added as a contact."))
        % {"name": d.get("name", ""), "title": d.get("title", "")}
    ),
)
register_event_kind(
    "contact.archived",
    label=gettext_lazy("Contact archived"),
    icon="person-dash",
    describe=lambda d: _("%(name)s is no longer a contact.") % {"name": d.get("name", "")},
)
register_event_kind(
    "feedback.received",
    label=gettext_lazy("Feedback"),
    icon="chat-heart",
    category="callbacks",
    describe=lambda d: (
        _("Satisfaction %(score)s/5. %(suggestion)s")
        % {"score": d.get("satisfaction"), "suggestion": d.get("suggestion", "")}
    ),
)


def _competitor_text(data):
    from .models import CompetitorPresence

    # newer events store the strength's code; older ones its English label
    labels = {
        **{str(c.label): c.label for c in CompetitorPresence.Strength},
        **dict(CompetitorPresence.Strength.choices),
    }
    strength = data.get("strength")
    values = {"competitor": data.get("competitor"), "strength": labels.get(strength, strength)}
    if data.get("products"):
        return _("%(competitor)s present (%(strength)s): %(products)s") % {**values, "products": data["products"]}
    return _("%(competitor)s present (%(strength)s).") % values


register_event_kind("competitor.noted", label=gettext_lazy("Competitor"), icon="flag", describe=_competitor_text)
