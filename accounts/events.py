"""The accounts app's timeline events (docs/decisions.md "Timeline events").

`register_event_kinds()` (called once from AccountsConfig.ready) declares the kinds; below it,
one function per event, which the services call inside their transaction (Saleor's
order/events.py). Each returns the AccountEvent it wrote.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .timeline import record_event, register_event_kind


def _status_text(data):
    from .models import Account

    labels = dict(Account.Status.choices)
    return _("Status changed from %(old)s to %(new)s.") % {
        "old": labels.get(data.get("old"), data.get("old")),
        "new": labels.get(data.get("new"), data.get("new")),
    }


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


def register_event_kinds() -> None:
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
            _("Account manager changed from %(old)s to %(new)s.")
            % {"old": d.get("old") or "—", "new": d.get("new") or "—"}
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
        describe=lambda d: _("Contact %(name)s archived.") % {"name": d.get("name", "")},
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
    register_event_kind("competitor.noted", label=gettext_lazy("Competitor"), icon="flag", describe=_competitor_text)


# --- one function per event ---------------------------------------------------------------------


def account_created_event(*, account, actor):
    return record_event(
        account=account, kind="account.created", subject=account, actor=actor, data={"name": account.name}
    )


def account_status_changed_event(*, account, actor, old: str, new: str):
    return record_event(
        account=account, kind="account.status_changed", subject=account, actor=actor, data={"old": old, "new": new}
    )


def account_owner_changed_event(*, account, actor, old_owner, new_owner):
    return record_event(
        account=account,
        kind="account.owner_changed",
        subject=account,
        actor=actor,
        data={"old": str(old_owner or ""), "new": str(new_owner or "")},
    )


def account_archived_event(*, account, actor, reason: str = ""):
    return record_event(account=account, kind="account.archived", subject=account, actor=actor, data={"reason": reason})


def account_restored_event(*, account, actor):
    return record_event(account=account, kind="account.restored", subject=account, actor=actor)


def contact_added_event(*, contact, actor):
    return record_event(
        account=contact.account,
        kind="contact.added",
        subject=contact,
        actor=actor,
        data={"name": contact.name, "title": contact.title},
    )


def contact_archived_event(*, contact, actor):
    return record_event(
        account=contact.account, kind="contact.archived", subject=contact, actor=actor, data={"name": contact.name}
    )


def feedback_received_event(*, feedback, actor, occurred_at):
    return record_event(
        account=feedback.account,
        kind="feedback.received",
        subject=feedback,
        actor=actor,
        occurred_at=occurred_at,
        data={"satisfaction": feedback.satisfaction, "suggestion": feedback.suggestion[:200]},
    )


def competitor_noted_event(*, presence, actor):
    return record_event(
        account=presence.account,
        kind="competitor.noted",
        subject=presence,
        actor=actor,
        data={
            "competitor": presence.competitor.name,
            "strength": presence.strength,  # the code: each reader sees it in their language
            "products": presence.products,
        },
    )
