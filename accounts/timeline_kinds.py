"""Timeline event kinds written by the accounts app."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

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
    label=_lazy("Account created"),
    icon="plus-circle",
    describe=lambda d: _("Account %(name)s created.") % {"name": d.get("name", "")},
)
register_event_kind(
    "account.status_changed",
    label=_lazy("Status changed"),
    icon="arrow-left-right",
    describe=_status_text,
)
register_event_kind(
    "account.owner_changed",
    label=_lazy("Account manager changed"),
    icon="person-check",
    describe=lambda d: (
        _("Account manager changed from %(old)s to %(new)s.") % {"old": d.get("old") or "—", "new": d.get("new") or "—"}
    ),
)
register_event_kind(
    "account.archived",
    label=_lazy("Archived"),
    icon="archive",
    describe=lambda d: _("Account archived. %(reason)s") % {"reason": d.get("reason", "")},
)
register_event_kind(
    "account.restored",
    label=_lazy("Restored"),
    icon="arrow-counterclockwise",
    describe=lambda d: _("Account restored from the archive."),
)
register_event_kind(
    "feedback.received",
    label=_lazy("Feedback"),
    icon="chat-heart",
    category="callbacks",
    describe=lambda d: (
        _("Satisfaction %(score)s/5. %(suggestion)s")
        % {"score": d.get("satisfaction"), "suggestion": d.get("suggestion", "")}
    ),
)
register_event_kind(
    "competitor.noted",
    label=_lazy("Competitor"),
    icon="flag",
    describe=lambda d: (
        _("%(competitor)s present (%(strength)s): %(products)s")
        % {
            "competitor": d.get("competitor"),
            "strength": d.get("strength"),
            "products": d.get("products", ""),
        }
    ),
)
