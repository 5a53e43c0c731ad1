"""Delivery of the ledger's rows: in the app a row is in the inbox as soon as it is written; by
e-mail it goes out once, in the recipient's language, alone or in the daily digest.

`deliver_pending` handles the rows whose `sent_at` is empty, each in its own transaction with the
row locked (FOR UPDATE SKIP LOCKED): two delivery runs never send the same row, and a run that dies
between the ledger write and the send leaves the row for the next run (the task is acks_late and
retried, and beat runs it every minute). A mail server that fails raises, so the task retries with
backoff; the rows already sent stay sent.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import rules
from .models import Notification, UserSettings

log = logging.getLogger(__name__)
BATCH = 200


def _language_of(user) -> str:
    setting = UserSettings.objects.filter(user=user).values_list("language", flat=True).first()
    return setting or settings.LANGUAGE_CODE


def _digest_users(user_ids) -> set[int]:
    return set(UserSettings.objects.filter(user_id__in=user_ids, email_digest=True).values_list("user_id", flat=True))


def _site_url() -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/")


def _items(notifications) -> list[dict]:
    return [
        {"text": rules.describe(n), "link": _site_url() + rules.link(n), "rule": rules.RULES.get(n.rule)}
        for n in notifications
    ]


def send_single(notification) -> None:
    user = notification.recipient
    with translation.override(_language_of(user)):
        spec = rules.RULES.get(notification.rule)
        subject = _("Reminder: %(rule)s") % {"rule": spec.label if spec else notification.rule}
        context = {"user": user, "items": _items([notification]), "digest": False}
        body = render_to_string("reminders/email/reminders.txt", context)
        html = render_to_string("reminders/email/reminders.html", context)
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    message.send()


def deliver_pending(*, batch: int = BATCH) -> int:
    """Send what the ledger holds and nobody has sent. Returns how many rows were handled."""
    handled = 0
    # rows that need no single e-mail (in the app only, or left for the digest): one UPDATE
    pending = Notification.objects.filter(sent_at__isnull=True)
    quiet_ids = list(pending.filter(email=False).values_list("pk", flat=True)[: batch * 10])
    digest_users = _digest_users(pending.filter(email=True).values_list("recipient_id", flat=True).distinct())
    quiet_ids += list(
        pending.filter(email=True, recipient_id__in=digest_users).values_list("pk", flat=True)[: batch * 10]
    )
    if quiet_ids:
        handled += Notification.objects.filter(pk__in=quiet_ids, sent_at__isnull=True).update(sent_at=timezone.now())
    ids = list(
        Notification.objects.filter(sent_at__isnull=True, email=True)
        .exclude(recipient_id__in=digest_users)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in ids:
        error = None
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if row is None:  # another run has it, or has sent it
                continue
            try:
                send_single(row)
            except Exception as exc:  # the mail server: the row stays unsent, the task retries
                error = exc
            else:
                now = timezone.now()
                Notification.objects.filter(pk=pk).update(sent_at=now, emailed_at=now, attempts=row.attempts + 1)
                handled += 1
        if error is not None:
            Notification.objects.filter(pk=pk).update(attempts=row.attempts + 1, last_error=str(error)[:300])
            log.warning("reminder %s not sent: %s", pk, error)
            raise error
    return handled


def send_digests(*, now=None) -> int:
    """One e-mail per digest reader with every reminder not mailed yet. Returns how many e-mails."""
    now = now or timezone.now()
    sent = 0
    user_ids = list(
        Notification.objects.filter(email=True, emailed_at__isnull=True, sent_at__isnull=False)
        .filter(recipient_id__in=UserSettings.objects.filter(email_digest=True).values("user_id"))
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    for user_id in user_ids:
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .filter(recipient_id=user_id, email=True, emailed_at__isnull=True, sent_at__isnull=False)
                .order_by("created_at", "id")[:500]
            )
            if not rows:
                continue
            user = rows[0].recipient
            with translation.override(_language_of(user)):
                subject = _("Your reminders of %(date)s") % {"date": timezone.localdate(now).isoformat()}
                context = {"user": user, "items": _items(rows), "digest": True}
                body = render_to_string("reminders/email/reminders.txt", context)
                html = render_to_string("reminders/email/reminders.html", context)
            message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            message.attach_alternative(html, "text/html")
            message.send()
            Notification.objects.filter(pk__in=[r.pk for r in rows]).update(emailed_at=now)
            sent += 1
    return sent
