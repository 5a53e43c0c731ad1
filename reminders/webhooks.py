"""Outbound webhooks: events for integrations, signed, retried, recorded, replayable.

Where the events come from — the apps' own records, read as an outbox (no app is imported upward
and nothing is added to their transactions):
- the account timeline (`accounts.AccountEvent`, which every app's events.py writes in its
  transaction, and the tier recompute in bulk): tier.changed, request.opened, request.status
  (closed), request.escalated (breached / critical), contract.activated;
- the account history (django-simple-history's rows, written by the services and the imports):
  account.created ("+") and account.updated ("~");
- the overdue-installment sweep of reminders itself: payment.overdue.

`collect_events` reads each source after its cursor in bounded batches and records every event once
(`OutboundEvent.key` is unique: "timeline:<id>", "history:<id>", "installment:<id>:<due date>"). A
row committed late with a smaller id than one already read would be skipped by a plain cursor, so
the cursor only moves up to the newest id seen on the previous run (one run of lag): a writer's
transaction has a minute to commit. A delivery is made per active endpoint that wants the event.

Each delivery POSTs the JSON body with `X-CRM-Signature: sha256=<HMAC-SHA256 of the body with the
endpoint's secret>`, `X-CRM-Event` and `X-CRM-Delivery`; a 2xx answer delivers it; anything else is
recorded (status, response code, error) and retried with exponential backoff, up to MAX_ATTEMPTS.
"""

import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.request

from django.db import transaction
from django.utils import timezone

from accounts.models import AccountEvent

from .models import Cursor, OutboundEvent, WebhookDelivery, WebhookEndpoint, WebhookEvent

BATCH = 1000
MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10
USER_AGENT = "keyaccount-crm-webhooks/1"


def backoff_seconds(attempts: int) -> int:
    """30 s, 1 min, 2 min ... at most an hour."""
    return min(30 * 2 ** max(attempts - 1, 0), 3600)


# --- events ------------------------------------------------------------------------------------


def _timeline_event(row) -> tuple[str, dict] | None:
    data = row.data or {}
    base = {"account_id": row.account_id, "subject_type": row.subject_type, "subject_id": row.subject_id}
    if row.kind == "tier.changed":
        return WebhookEvent.TIER_CHANGED, {**base, "data": data}
    if row.kind == "request.opened":
        return WebhookEvent.REQUEST_OPENED, {**base, "number": data.get("number"), "data": data}
    if row.kind == "request.status" and data.get("new") == "closed":
        return WebhookEvent.REQUEST_CLOSED, {**base, "number": data.get("number"), "data": data}
    if row.kind == "request.escalated" and data.get("level") in ("breached", "critical"):
        return WebhookEvent.REQUEST_BREACHED, {**base, "number": data.get("number"), "data": data}
    if row.kind == "contract.activated":
        return WebhookEvent.CONTRACT_ACTIVATED, {**base, "number": data.get("number"), "data": data}
    return None


TIMELINE_KINDS = ["tier.changed", "request.opened", "request.status", "request.escalated", "contract.activated"]
ACCOUNT_FIELDS = ["id", "number", "name", "status", "category", "industry", "region", "tier", "owner_id", "team_id"]


def _cursor(name: str, newest: int) -> Cursor:
    """The source's cursor, locked for the run; a new one starts at the newest row (what happened
    before the webhooks were set up is not sent)."""
    Cursor.objects.get_or_create(name=name, defaults={"position": newest, "seen_max": newest})
    return Cursor.objects.select_for_update().get(name=name)


def _advance(cursor: Cursor, newest_now: int) -> int:
    """Read up to the newest id seen on the previous run; remember today's newest for the next."""
    upto = max(cursor.position, min(cursor.seen_max, newest_now))
    return upto


def _collect_timeline() -> list[tuple]:
    newest = AccountEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    cursor = _cursor("timeline", newest)
    upto = _advance(cursor, newest)
    rows = list(
        AccountEvent.objects.filter(id__gt=cursor.position, id__lte=upto, kind__in=TIMELINE_KINDS).order_by("id")[
            :BATCH
        ]
    )
    events = []
    for row in rows:
        mapped = _timeline_event(row)
        if mapped:
            event, payload = mapped
            events.append((event, f"timeline:{row.pk}", payload, row.occurred_at))
    cursor.position = rows[-1].pk if len(rows) == BATCH else upto
    cursor.seen_max = newest
    cursor.save()
    return events


def _collect_history() -> list[tuple]:
    from accounts.models import Account

    history = Account.history.model
    newest = history.objects.order_by("-history_id").values_list("history_id", flat=True).first() or 0
    cursor = _cursor("account_history", newest)
    upto = _advance(cursor, newest)
    rows = list(
        history.objects.filter(history_id__gt=cursor.position, history_id__lte=upto, history_type__in=["+", "~"])
        .order_by("history_id")
        .values("history_id", "history_type", "history_date", *ACCOUNT_FIELDS)[:BATCH]
    )
    events = []
    for row in rows:
        event = WebhookEvent.ACCOUNT_CREATED if row["history_type"] == "+" else WebhookEvent.ACCOUNT_UPDATED
        account = {k: row[k] for k in ACCOUNT_FIELDS}
        account["account_id"] = account.pop("id")
        events.append((event, f"history:{row['history_id']}", account, row["history_date"]))
    cursor.position = rows[-1]["history_id"] if len(rows) == BATCH else upto
    cursor.seen_max = newest
    cursor.save()
    return events


def record_events(events: list[tuple]) -> int:
    """(event, key, payload, occurred_at) -> OutboundEvent rows (once per key) and a delivery for each
    active endpoint that wants the event. Returns how many events were new."""
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).values_list("pk", "events"))
    wanted_anywhere = {event for _pk, wanted in endpoints for event in (wanted or [])}
    events = [e for e in events if e[0] in wanted_anywhere]  # nobody listens: nothing to keep
    if not events:
        return 0
    objs = [
        OutboundEvent(event=event, key=key, payload=payload, occurred_at=occurred_at or timezone.now())
        for event, key, payload, occurred_at in events
    ]
    OutboundEvent.objects.bulk_create(objs, ignore_conflicts=True, batch_size=1000)
    keys = [key for _e, key, _p, _o in events]
    stored = list(OutboundEvent.objects.filter(key__in=keys, deliveries__isnull=True).values_list("pk", "event"))
    deliveries = [
        WebhookDelivery(endpoint_id=endpoint_id, event_id=event_id)
        for event_id, event in stored
        for endpoint_id, wanted in endpoints
        if event in (wanted or [])
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)
    return len(stored)


def collect_events() -> int:
    """Read the sources after their cursors and record their events (single-flight: the cursors'
    rows are locked for the run)."""
    with transaction.atomic():
        events = _collect_timeline() + _collect_history()
        return record_events(events)


def payment_overdue_events(candidates) -> list[tuple]:
    """payment.overdue events from the overdue-installment sweep's candidates (once per installment
    and due date)."""
    return [
        (
            WebhookEvent.PAYMENT_OVERDUE,
            f"installment:{c.subject_id}:{c.due_on.isoformat()}",
            {"installment_id": c.subject_id, "account_id": c.account_id, **c.data},
            timezone.now(),
        )
        for c in candidates
    ]


# --- delivery ----------------------------------------------------------------------------------


def body_of(event: OutboundEvent) -> bytes:
    return json.dumps(
        {
            "id": event.pk,
            "event": event.event,
            "occurred_at": event.occurred_at.isoformat(),
            "data": event.payload,
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    ).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _post(url: str, body: bytes, headers: dict) -> int:
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("only http and https addresses are delivered to")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # nosec B310: scheme checked above
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def deliver(delivery_id: int, *, force: bool = False) -> WebhookDelivery | None:
    """Try one delivery once (row locked: two workers never post it twice at the same time).
    Returns the delivery, or None when there was nothing to do."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return None
        if not force and delivery.next_attempt_at > timezone.now():
            return None
        body = body_of(delivery.event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-CRM-Event": delivery.event.event,
            "X-CRM-Delivery": str(delivery.pk),
            "X-CRM-Signature": signature(delivery.endpoint.secret, body),
        }
        code, error = None, ""
        try:
            code = _post(delivery.endpoint.url, body, headers)
        except Exception as exc:  # refused, timed out, bad address: recorded and retried
            error = f"{type(exc).__name__}: {exc}"[:300]
        now = timezone.now()
        delivery.attempts += 1
        delivery.response_code = code
        delivery.last_error = error if error else ("" if code and 200 <= code < 300 else f"HTTP {code}")
        delivery.log = [*delivery.log[-9:], {"at": now.isoformat(), "code": code, "error": delivery.last_error}]
        if code is not None and 200 <= code < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = now
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            delivery.next_attempt_at = now + datetime.timedelta(seconds=backoff_seconds(delivery.attempts))
        delivery.save()
        return delivery


def due_deliveries(*, limit: int = 500) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
