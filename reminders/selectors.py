"""Read queries of reminders. A notification belongs to its recipient: nobody else reads it (the
one access function answers 404 for anyone else's), whatever their role."""

from django.db import connection
from django.db.models import F, Func, JSONField, Q, TextField, Value
from django.db.models.functions import Cast
from django.http import Http404

from .models import ChannelChoice, Notification, Rule, UserSettings, WebhookDelivery, WebhookEndpoint
from .rules import RULES, describe, link


def notification_get_for_user(*, user, pk) -> Notification:
    try:
        return Notification.objects.get(pk=pk, recipient_id=user.pk, in_app=True)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def inbox(*, user, unread_only: bool = False, rule: str | None = None, q: str = ""):
    """The person's reminders in the app, newest first: unread only, one kind, and a text search
    (`q`) over what the reminders say — names, titles and numbers they carry, the account's name,
    and the kind's label in the reader's language."""
    qs = Notification.objects.filter(recipient_id=user.pk, in_app=True).order_by("-created_at", "-id")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if rule:
        qs = qs.filter(rule=rule)
    q = (q or "").strip()[:100]
    return _search(qs, q) if q else qs


def _search(qs, term: str):
    """A reminder's stored details (jsonb as text: the names, titles, numbers and dates its sentence
    is built from), its account's name, or a kind whose label contains the term."""
    kinds = [spec.code for spec in RULES if term.lower() in str(spec.label).lower()]
    matches = Q(details_text__icontains=term) | Q(account__name__icontains=term)
    if kinds:
        matches |= Q(rule__in=kinds)
    return qs.annotate(details_text=_values_text()).filter(matches)


def _values_text():
    """The details' values as one text (not their keys: "account" must not match every reminder).
    On PostgreSQL the jsonb values as an array; elsewhere (the embedded SQLite) the whole JSON."""
    if connection.vendor == "postgresql":
        values = Func(F("data"), Value("$.*"), function="jsonb_path_query_array", output_field=JSONField())
        return Cast(values, TextField())
    return Cast("data", TextField())


def unread_count(*, user) -> int:
    """The bell: one COUNT on a partial index (recipient, unread, in the app)."""
    return Notification.objects.filter(recipient_id=user.pk, in_app=True, read_at__isnull=True).count()


def present(notifications) -> list[dict]:
    """What a template or the API shows for each row, in the reader's language (no query)."""
    out = []
    for n in notifications:
        spec = RULES.get(n.rule)
        out.append(
            {
                "obj": n,
                "text": describe(n),
                "link": link(n),
                "label": spec.label if spec else n.rule,
                "icon": spec.icon if spec else "bell",
            }
        )
    return out


def settings_for(*, user) -> dict:
    """The person's settings page: their language, digest and channels per rule (3 queries)."""
    own = UserSettings.objects.filter(user=user).first()
    chosen = {c.rule: c for c in ChannelChoice.objects.filter(user=user)}
    rules = {r.code: r for r in Rule.objects.all()}
    rows = []
    for spec in RULES:
        rule = rules.get(spec.code)
        if rule is None:
            continue
        choice = chosen.get(spec.code)
        rows.append(
            {
                "code": spec.code,
                "label": spec.label,
                "help": spec.help,
                "icon": spec.icon,
                "enabled": rule.enabled,
                "in_app": choice.in_app if choice else True,
                "email": choice.email if choice else rule.email_by_default,
            }
        )
    return {
        "language": own.language if own else "",
        "email_digest": own.email_digest if own else False,
        "rules": rows,
    }


def webhook_endpoints():
    return WebhookEndpoint.objects.all()


def webhook_deliveries(*, endpoint=None):
    qs = WebhookDelivery.objects.select_related("endpoint", "event").order_by("-id")
    return qs.filter(endpoint=endpoint) if endpoint is not None else qs
