"""Write use cases for accounts and their records. Pages, API, admin and imports all call these."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.locking import require_version, save_versioned

from . import events
from .models import Account, CompetitorPresence, Contact, Feedback, Transaction
from .search import refresh_search_text

ACCOUNT_EDITABLE = [
    "name",
    "nickname",
    "category",
    "industry",
    "region",
    "address",
    "phone",
    "email",
    "website",
    "parent",
    "owner",
    "team",
    "status",
    "source",
    "tags",
    "notes",
]
CONTACT_EDITABLE = [
    "name",
    "title",
    "department",
    "role",
    "attitude",
    "influence",
    "phone",
    "email",
    "birthday_calendar",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_leap_month",
    "interests",
    "family_notes",
    "preferred_channel",
    "is_primary",
]
BULK_LIMIT = 1000


def _local_today() -> datetime.date:
    return timezone.localdate()


def _check_owner(*, actor, owner_id) -> None:
    """Only an owner the actor may assign (and still see the account afterwards): pages and
    API alike. System work (actor None: imports, demo data) is not limited."""
    if actor is None or owner_id is None:
        return
    from .selectors import account_assignable_owners

    if not account_assignable_owners(user=actor).filter(pk=owner_id).exists():
        raise ValidationError({"owner": _("You cannot give this account to that account manager.")})


@transaction.atomic
def account_create(*, actor, **fields) -> Account:
    account = Account(**{k: v for k, v in fields.items() if k in ACCOUNT_EDITABLE})
    _check_owner(actor=actor, owner_id=account.owner_id)
    account.status_changed_on = _local_today()
    account.full_clean(exclude=["number"])
    account.save()
    account.number = f"KA{account.pk:08d}"
    account.save(update_fields=["number"])
    refresh_search_text([account.pk])
    events.account_created_event(account=account, actor=actor)
    return account


@transaction.atomic
def account_update(*, account: Account, actor, expected_version: int | None, data: dict) -> Account:
    require_version(expected_version, actor=actor)
    before = Account.objects.select_related("owner").get(pk=account.pk)
    for field, value in data.items():
        if field not in ACCOUNT_EDITABLE:
            raise ValidationError({field: _("This field cannot be changed here.")})
        setattr(account, field, value)
    if account.owner_id != before.owner_id:
        _check_owner(actor=actor, owner_id=account.owner_id)
    if account.status != before.status:
        account.status_changed_on = _local_today()
    save_versioned(account, expected_version=expected_version)
    refresh_search_text([account.pk])
    if account.status != before.status:
        events.account_status_changed_event(account=account, actor=actor, old=before.status, new=account.status)
    if account.owner_id != before.owner_id:
        events.account_owner_changed_event(
            account=account, actor=actor, old_owner=before.owner, new_owner=account.owner
        )
    return account


@transaction.atomic
def account_archive(*, account: Account, actor, reason: str = "") -> Account:
    """Customer records are archived, never deleted; an archived account leaves every list."""
    if account.is_archived:
        raise ValidationError(_("This account is already archived."))
    if account.subsidiaries.filter(is_archived=False).exists():
        raise ValidationError(_("Archive or move its subsidiaries first."))
    account.is_archived = True
    account.archived_at = timezone.now()
    save_versioned(account, expected_version=None)
    events.account_archived_event(account=account, actor=actor, reason=reason)
    return account


@transaction.atomic
def account_restore(*, account: Account, actor) -> Account:
    if not account.is_archived:
        raise ValidationError(_("This account is not archived."))
    account.is_archived = False
    account.archived_at = None
    save_versioned(account, expected_version=None)
    events.account_restored_event(account=account, actor=actor)
    return account


def account_touch_contact(*, account_id: int, at: datetime.datetime) -> None:
    """Other apps (visits, callbacks) call this when someone spoke with the customer."""
    Account.objects.filter(pk=account_id).exclude(last_contact_at__gte=at).update(last_contact_at=at)


@transaction.atomic
def contact_create(*, account: Account, actor, **fields) -> Contact:
    contact = Contact(account=account, **{k: v for k, v in fields.items() if k in CONTACT_EDITABLE})
    contact.full_clean()
    contact.save()
    _keep_one_primary(contact)
    refresh_search_text([contact.account_id])
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor, expected_version: int | None, data: dict) -> Contact:
    require_version(expected_version, actor=actor)
    for field, value in data.items():
        if field not in CONTACT_EDITABLE:
            raise ValidationError({field: _("This field cannot be changed here.")})
        setattr(contact, field, value)
    save_versioned(contact, expected_version=expected_version)
    _keep_one_primary(contact)
    refresh_search_text([contact.account_id])
    return contact


@transaction.atomic
def contact_archive(*, contact: Contact, actor) -> Contact:
    contact.is_archived = True
    contact.is_primary = False
    save_versioned(contact, expected_version=None)
    refresh_search_text([contact.account_id])
    events.contact_archived_event(contact=contact, actor=actor)
    return contact


def _keep_one_primary(contact: Contact) -> None:
    if contact.is_primary:
        Contact.objects.filter(account_id=contact.account_id, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False
        )


def transaction_record(
    *,
    actor,
    account: Account,
    kind: str,
    amount: Decimal,
    occurred_at,
    product_line="",
    source_system="",
    external_ref="",
    note="",
) -> Transaction:
    source_system = source_system or transaction_source_for(actor) or MANUAL_SOURCE
    _check_source(actor=actor, source=source_system)
    txn = Transaction(
        account=account,
        kind=kind,
        amount=amount,
        occurred_at=occurred_at,
        product_line=product_line,
        source_system=source_system,
        external_ref=external_ref,
        note=note,
        created_by=actor,
    )
    txn.full_clean()
    txn.save()
    return txn


class TransactionConflict(ValidationError):
    """An `external_ref` already stored for a different record (or one the caller cannot see):
    refused, never answered as "existing"."""

    def __init__(self, message, *, refs: list[str]):
        super().__init__(message, code="conflict")
        self.refs = refs


#: the source_system of rows recorded by people (pages, finance's manual entries)
MANUAL_SOURCE = "manual"


def transaction_source_for(actor) -> str | None:
    """The one `source_system` a caller may record under: an integration's service account
    records under its user name, a person under "manual"; system work (actor None) is free."""
    if actor is None:
        return None
    if getattr(actor, "is_service_account", False):
        return actor.username
    return MANUAL_SOURCE


def _check_source(*, actor, source: str, row_label: str = "") -> None:
    allowed = transaction_source_for(actor)
    if allowed is not None and source != allowed:
        raise PermissionDenied(
            _(
                "%(row)ssource_system %(source)s does not belong to you: your records are stored "
                "under %(allowed)s (an integration pushes under its own service account)."
            )
            % {"row": row_label, "source": repr(source), "allowed": repr(allowed)}
        )


def _same_record(row: dict, stored) -> bool:
    """Whether a pushed row is the record already stored under its key (account, kind, amount)."""
    account_id = row["account"].pk if hasattr(row["account"], "pk") else row["account"]
    return (
        account_id == stored["account_id"]
        and row.get("kind", Transaction.Kind.PURCHASE) == stored["kind"]
        and Decimal(row["amount"]) == stored["amount"]
    )


_INSERT_COLUMNS = [
    "account",
    "kind",
    "amount",
    "occurred_at",
    "product_line",
    "source_system",
    "external_ref",
    "note",
    "created_by",
    "created_at",
]


def _insert_new(objs: list[Transaction]) -> dict[str, int]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: only the rows this statement stored come
    back (a concurrent push of the same keys gets nothing back for them). Answers ref -> id."""
    fields = [Transaction._meta.get_field(name) for name in _INSERT_COLUMNS]
    qn = connection.ops.quote_name
    table = qn(Transaction._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    inserted: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(objs), 500):
            chunk = objs[start : start + 500]
            params = []
            for obj in chunk:
                params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(chunk))} "
                f"ON CONFLICT ({qn('source_system')}, {qn('external_ref')}) WHERE {qn('external_ref')} <> '' "
                f"DO NOTHING RETURNING {qn('id')}, {qn('external_ref')}",
                params,
            )
            inserted.update({ref: pk for pk, ref in cursor.fetchall()})
    return inserted


@transaction.atomic
def transactions_push(*, actor, rows: Iterable[dict]) -> dict:
    """Record revenue rows pushed by another system; idempotent on (source_system, external_ref).

    Each row is a validated dict (account, kind, amount, occurred_at, product_line, source_system,
    external_ref, note). `source_system` is the caller's own (`transaction_source_for`): another
    one is refused (`PermissionDenied`). Answers which refs this request stored (`created`) and
    which were stored before with the same account, kind and amount (`existing`); a ref stored
    for a different record, or for one the caller cannot see, is a `TransactionConflict` naming
    it, and the whole push stores nothing. A ref repeated in the batch with other values is
    refused naming both rows; repeated identically it is stored once.
    Every stored row gets its history row, as single saves do.
    """
    rows = list(rows)
    if len(rows) > BULK_LIMIT:
        raise ValidationError(_("At most %(n)s rows per request.") % {"n": BULK_LIMIT})
    allowed = transaction_source_for(actor)
    first_row: dict[tuple[str, str], int] = {}
    errors, unique_rows = [], []
    for number, row in enumerate(rows, start=1):
        row.setdefault("source_system", allowed or MANUAL_SOURCE)
        row.setdefault("kind", Transaction.Kind.PURCHASE)
        _check_source(actor=actor, source=row["source_system"], row_label=_("Row %(n)s: ") % {"n": number})
        if not row.get("external_ref"):
            errors.append(_("Row %(n)s: external_ref is required (it makes the push idempotent).") % {"n": number})
            continue
        key = (row["source_system"], row["external_ref"])
        if key in first_row:
            earlier = rows[first_row[key] - 1]
            account = earlier["account"]
            earlier_view = {
                "account_id": account.pk if hasattr(account, "pk") else account,
                "kind": earlier["kind"],
                "amount": Decimal(earlier["amount"]),
            }
            if not _same_record(row, earlier_view):
                errors.append(
                    _(
                        "Row %(n)s repeats external_ref %(ref)s of row %(first)s with a different account, "
                        "kind or amount; each record needs its own external_ref."
                    )
                    % {"n": number, "ref": row["external_ref"], "first": first_row[key]}
                )
            continue
        first_row[key] = number
        unique_rows.append(row)
    if errors:
        raise ValidationError({"rows": errors})

    now = timezone.now()
    objs = []
    for row in unique_rows:
        obj = Transaction(created_by=actor, created_at=now, **row)
        objs.append(obj)
    inserted = {}
    for source in {o.source_system for o in objs}:
        inserted.update(
            {(source, ref): pk for ref, pk in _insert_new([o for o in objs if o.source_system == source]).items()}
        )
    stored_now = []
    for obj in objs:
        pk = inserted.get((obj.source_system, obj.external_ref))
        if pk is not None:
            obj.pk = pk
            stored_now.append(obj)
    if stored_now:
        Transaction.history.bulk_history_create(stored_now, default_user=actor, default_date=now)

    # the rest was stored before: compare through the caller's visibility
    others = [o for o in objs if (o.source_system, o.external_ref) not in inserted]
    stored = {}
    if others:
        from django.db.models import Q

        from .selectors import transaction_list

        keys = Q()
        for source in {o.source_system for o in others}:
            keys |= Q(
                source_system=source, external_ref__in=[o.external_ref for o in others if o.source_system == source]
            )
        queryset = Transaction.objects.all() if actor is None else transaction_list(user=actor)
        for item in queryset.filter(keys).values("source_system", "external_ref", "account_id", "kind", "amount"):
            stored[(item["source_system"], item["external_ref"])] = item
    conflicts = []
    for obj, row in zip(objs, unique_rows, strict=True):
        if (obj.source_system, obj.external_ref) in inserted:
            continue
        match = stored.get((obj.source_system, obj.external_ref))
        if match is None or not _same_record(row, match):
            conflicts.append(obj.external_ref)
    if conflicts:
        raise TransactionConflict(
            _(
                "external_ref %(refs)s is already stored for a different record (another account, kind "
                "or amount, or an account you cannot see). Nothing was stored; send those rows with "
                "their own external_ref."
            )
            % {"refs": ", ".join(conflicts)},
            refs=conflicts,
        )
    created_keys = {(o.source_system, o.external_ref) for o in stored_now}
    created_refs, existing_refs = [], []
    for row in rows:
        if not row.get("external_ref"):
            continue
        key = (row["source_system"], row["external_ref"])
        if key in created_keys:
            created_refs.append(row["external_ref"])
            created_keys.discard(key)  # an identical repeat in the batch is reported as existing
        else:
            existing_refs.append(row["external_ref"])
    return {"created": created_refs, "existing": existing_refs}


# Feedback heard through these channels means someone was in touch with the customer.
CONTACT_CHANNELS = {Feedback.Channel.CALLBACK, Feedback.Channel.VISIT, Feedback.Channel.PHONE}


def _noon(day: datetime.date) -> datetime.datetime:
    """A date-only record's moment: local noon of that day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@transaction.atomic
def feedback_create(*, account: Account, actor, **fields) -> Feedback:
    feedback = Feedback(account=account, created_by=actor, **fields)
    feedback.full_clean()
    feedback.save()
    events.feedback_received_event(feedback=feedback, actor=actor, occurred_at=_noon(feedback.received_on))
    if feedback.channel in CONTACT_CHANNELS:  # someone spoke with the customer to hear it
        account_touch_contact(account_id=account.pk, at=min(_noon(feedback.received_on), timezone.now()))
    return feedback


FEEDBACK_TRANSITIONS = {
    Feedback.Status.NEW: {Feedback.Status.ACKNOWLEDGED, Feedback.Status.DONE},
    Feedback.Status.ACKNOWLEDGED: {Feedback.Status.DONE},
    Feedback.Status.DONE: set(),
}


@transaction.atomic
def feedback_set_status(*, feedback: Feedback, actor, status: str, handler=None) -> Feedback:
    if status not in FEEDBACK_TRANSITIONS[feedback.status]:
        raise ValidationError(
            _("Feedback cannot go from %(old)s to %(new)s.")
            % {"old": feedback.get_status_display(), "new": Feedback.Status(status).label}
        )
    feedback.status = status
    feedback.handler = handler or feedback.handler or actor
    feedback.full_clean()
    feedback.save()
    return feedback


@transaction.atomic
def competitor_presence_save(*, account: Account, actor, competitor, **fields) -> CompetitorPresence:
    presence, created = CompetitorPresence.objects.get_or_create(account=account, competitor=competitor)
    presence.was_created = created  # one entry per competitor and account: a second save updates it
    for key, value in fields.items():
        setattr(presence, key, value)
    presence.full_clean()
    presence.save()
    events.competitor_noted_event(presence=presence, actor=actor)
    return presence
