"""Write use cases of reminders: sweeps into the ledger, reading and settings, rules, webhooks.

Every page, API view, admin action and task calls these (one write path)."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.locking import require_version, save_versioned
from users.roles import Role
from users.visibility import has_role

from . import ledger, rules, webhooks
from .models import (
    ChannelChoice,
    Notification,
    Recipient,
    Rule,
    UserSettings,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

log = logging.getLogger(__name__)


def _enqueue_delivery() -> None:
    from .tasks import deliver_notifications

    transaction.on_commit(lambda: deliver_notifications.delay())


# --- sweeps ------------------------------------------------------------------------------------


def rules_ensure_defaults() -> int:
    """Make the rule rows the data migration makes (after a flush, or for a rule added in code);
    rows already there are left as they are. Returns how many were made."""
    made = 0
    for spec in rules.RULES:
        _rule, created = Rule.objects.get_or_create(
            code=spec.code,
            defaults={
                "lead_days": spec.default_lead,
                "recipients": [str(r) for r in spec.default_recipients],
                "email_by_default": spec.email_by_default,
            },
        )
        made += created
    return made


def rule_sweep(*, code: str, now=None, deliver: bool = True) -> int:
    """Run one rule's sweep and write its reminders to the ledger (those already there are kept as
    they are). Returns how many reminders were new. A rule switched off writes nothing."""
    now = now or timezone.now()
    spec = rules.RULES.get(code)
    rule = Rule.objects.filter(code=code).first()
    if spec is None or rule is None or not rule.enabled:
        return 0
    candidates = spec.sweep(rule=rule, now=now)
    rows = ledger.resolve(rule, candidates)
    with transaction.atomic():
        written = ledger.write(code, rows, now=now)
        if code == "installment_overdue" and candidates:
            webhooks.record_events(webhooks.payment_overdue_events(candidates))
        if written and deliver:
            _enqueue_delivery()
    log.info("reminder rule %s: %s candidates, %s new reminders", code, len(candidates), written)
    return written


def sweeps_run(*, schedule: str = "daily", now=None, deliver: bool = True) -> dict[str, int]:
    """Every rule of a schedule ("daily" or "frequent"); one rule's failure does not stop the others."""
    counts = {}
    for spec in rules.RULES:
        if spec.schedule != schedule:
            continue
        try:
            counts[spec.code] = rule_sweep(code=spec.code, now=now, deliver=deliver)
        except Exception:
            log.exception("reminder rule %s failed", spec.code)
            counts[spec.code] = -1
    return counts


# --- reading -----------------------------------------------------------------------------------


def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notification_mark_unread(*, actor, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied
    notification.read_at = None
    Notification.objects.filter(pk=notification.pk).update(read_at=None)
    return notification


def notifications_mark_all_read(*, actor) -> int:
    return Notification.objects.filter(recipient=actor, in_app=True, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- a person's settings -----------------------------------------------------------------------


def settings_update(*, actor, language: str, email_digest: bool, channels: dict[str, tuple[bool, bool]]) -> None:
    """The person's e-mail language, digest, and channels per rule ({code: (in_app, email)})."""
    from django.conf import settings as dj_settings

    if language and language not in dict(dj_settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the languages offered.")}, code="invalid")
    unknown = sorted(set(channels) - set(rules.RULES.keys()))
    if unknown:
        raise ValidationError(
            {"channels": _("Unknown rules: %(codes)s.") % {"codes": ", ".join(unknown)}}, code="invalid"
        )
    with transaction.atomic():
        UserSettings.objects.update_or_create(user=actor, defaults={"language": language, "email_digest": email_digest})
        for code, (in_app, email) in channels.items():
            ChannelChoice.objects.update_or_create(
                user=actor, rule=code, defaults={"in_app": bool(in_app), "email": bool(email)}
            )


# --- rules (admin) -----------------------------------------------------------------------------


def _require_admin(actor) -> None:
    if not (actor.is_superuser or has_role(actor, Role.ADMIN)):
        raise PermissionDenied


def rule_update(*, actor, rule: Rule, data: dict, expected_version: int | None) -> Rule:
    """On/off, lead time, recipients, e-mail by default."""
    require_version(expected_version, actor=actor)
    if not (actor.is_superuser or has_role(actor, Role.ADMIN, Role.DIRECTOR)):
        raise PermissionDenied
    recipients = data.get("recipients", rule.recipients)
    bad = sorted(set(recipients) - set(Recipient.values))
    if bad:
        raise ValidationError({"recipients": _("Unknown recipients: %(codes)s.") % {"codes": ", ".join(bad)}})
    if not recipients:
        raise ValidationError({"recipients": _("Choose at least one recipient.")}, code="required")
    for field in ("enabled", "lead_days", "recipients", "email_by_default"):
        if field in data:
            setattr(rule, field, data[field])
    with transaction.atomic():
        save_versioned(rule, expected_version=expected_version)
    return rule


# --- webhooks ----------------------------------------------------------------------------------


def _clean_endpoint(endpoint: WebhookEndpoint) -> None:
    bad = sorted(set(endpoint.events or []) - set(WebhookEvent.values))
    if bad:
        raise ValidationError({"events": _("Unknown events: %(codes)s.") % {"codes": ", ".join(bad)}}, code="invalid")
    if not endpoint.events:
        raise ValidationError({"events": _("Choose at least one event.")}, code="required")
    if not endpoint.url.lower().startswith(("http://", "https://")):
        raise ValidationError({"url": _("Use an http or https address.")}, code="invalid")


def webhook_endpoint_create(*, actor, name: str, url: str, events: list[str], is_active: bool = True, secret=None):
    _require_admin(actor)
    endpoint = WebhookEndpoint(name=name, url=url, events=list(events), is_active=is_active, created_by=actor)
    if secret:
        endpoint.secret = secret
    _clean_endpoint(endpoint)
    with transaction.atomic():
        endpoint.full_clean()
        endpoint.save()
    return endpoint


def webhook_endpoint_update(*, actor, endpoint: WebhookEndpoint, data: dict, expected_version: int | None):
    require_version(expected_version, actor=actor)
    _require_admin(actor)
    for field in ("name", "url", "events", "is_active", "secret"):
        if field in data:
            setattr(endpoint, field, data[field])
    _clean_endpoint(endpoint)
    with transaction.atomic():
        save_versioned(endpoint, expected_version=expected_version)
    return endpoint


def webhook_delivery_replay(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (delivered, failed or pending): back to pending, due now."""
    from .tasks import deliver_webhook

    _require_admin(actor)
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), delivered_at=None
        )
        transaction.on_commit(lambda: deliver_webhook.delay(delivery.pk))
    delivery.refresh_from_db()
    return delivery
