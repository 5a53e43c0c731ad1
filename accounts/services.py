"""Write use cases for accounts and their records. Pages, API, admin and imports all call these."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import bulk_history_insert, bulk_update_fields
from core.locking import require_version, save_versioned
from users.models import User
from users.visibility import sees_all

from . import events
from .models import (
    CONTACT_FIELDS,
    Account,
    AccountEvent,
    Competitor,
    CompetitorPresence,
    Contact,
    Feedback,
    Transaction,
)
from .revenue import monthly_revenue_apply
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
CONTACT_EDITABLE = CONTACT_FIELDS
BULK_LIMIT = 1000


def _local_today() -> datetime.date:
    return timezone.localdate()


def account_check_owner_and_team(*, actor, account: Account, before: Account | None = None) -> None:
    """The one owner-and-team rule, for form, API, admin and import alike.

    Administrators and directors may give an account to any active account manager (or none)
    and any team. Anyone else must still see the account afterwards, and so must the team leader
    who saw it through its owner: it always has an owner, a new owner is the actor or a member of
    a team the actor leads, and a new team is one the actor leads or the owner belongs to.
    Keeping what is already there is always allowed. System work (actor None) is not limited."""
    if actor is None:
        return
    from users.models import Team

    from .selectors import account_assignable_owners

    owner_changed = before is None or account.owner_id != before.owner_id
    team_changed = before is None or account.team_id != before.team_id
    manages_all = sees_all(actor, Account)
    errors = {}
    if account.owner_id is None and not manages_all:
        errors["owner"] = ValidationError(_("Choose the account manager who owns this account."), code="owner_required")
    elif (
        owner_changed
        and account.owner_id is not None
        and not account_assignable_owners(user=actor).filter(pk=account.owner_id).exists()
    ):
        errors["owner"] = ValidationError(
            _("You cannot give this account to that account manager."), code="owner_not_assignable"
        )
    if team_changed and account.team_id is not None and not manages_all:
        allowed = Team.objects.filter(pk=account.team_id).filter(Q(leader_id=actor.pk) | Q(members=account.owner_id))
        if not allowed.exists():
            errors["team"] = ValidationError(
                _("Choose a team you lead or one the account manager belongs to."), code="team_not_allowed"
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def account_create(*, actor, **fields) -> Account:
    account = Account(**{k: v for k, v in fields.items() if k in ACCOUNT_EDITABLE})
    account.status_changed_on = _local_today()
    errors = {}
    for check in (
        lambda: account.full_clean(exclude=["number"]),
        lambda: account_check_owner_and_team(actor=actor, account=account),
    ):
        try:
            check()
        except ValidationError as exc:  # every field's message at once
            for field, field_errors in exc.error_dict.items():
                errors.setdefault(field, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)
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
    account_check_owner_and_team(actor=actor, account=account, before=before)
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
    events.contact_added_event(contact=contact, actor=actor)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor, expected_version: int | None, data: dict) -> Contact:
    require_version(expected_version, actor=actor)
    data = dict(data)
    account = data.pop("account", contact.account)
    if getattr(account, "pk", account) != contact.account_id:
        raise ValidationError(
            {"account": ValidationError(_("A contact cannot move to another account."), code="contact_moved")}
        )
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
    with transaction.atomic():
        txn.full_clean()
        txn.save()
        monthly_revenue_apply(rows=[txn])  # the rollup moves with the transaction (accounts.revenue)
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
    """The one `source_system` an integration's service account may record under: its user name,
    so that one integration cannot take another's refs. People (finance keying in or importing an
    ERP export) and system work may name any source; None means "not restricted"."""
    if actor is not None and getattr(actor, "is_service_account", False):
        return actor.username
    return None


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


_INSERT_COLUMNS = [*Transaction.RECORDED_FIELDS, "created_at"]


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
            # table and column names come from the model (quoted); every value is a parameter
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(chunk))} "  # nosec B608
                # the partial unique index's own predicate, word for word: SQLite matches it as
                # written (PostgreSQL would accept any predicate that implies it)
                f"ON CONFLICT ({qn('source_system')}, {qn('external_ref')}) WHERE NOT ({qn('external_ref')} = '') "
                f"DO NOTHING RETURNING {qn('id')}, {qn('external_ref')}",
                params,
            )
            inserted.update({ref: pk for pk, ref in cursor.fetchall()})
    return inserted


@transaction.atomic
def transactions_push(*, actor, rows: Iterable[dict]) -> dict:
    """Record revenue rows pushed by another system; idempotent on (source_system, external_ref).

    Each row is a validated dict (account, kind, amount, occurred_at, product_line, source_system,
    external_ref, note). An integration's service account pushes under its own name
    (`transaction_source_for`): another source is refused (`PermissionDenied`). Answers which
    refs this request stored (`created`) and which were stored before with the same account, kind
    and amount (`existing`); a ref stored for a different record, or for one the caller cannot
    see, is a `TransactionConflict` naming it, and the whole push stores nothing. A ref repeated
    in the batch with other values is refused naming both rows; repeated identically it is
    stored once.
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
    # the monthly rollup moves in the same transaction, with only the rows this push inserted
    # (ON CONFLICT DO NOTHING: a row a concurrent push stored first is not counted twice)
    monthly_revenue_apply(rows=stored_now)

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


def _recorded_at(day: datetime.date) -> datetime.datetime:
    """When a dated record happened: now if it is today's (the timeline shows the time it was
    recorded, not 12:00), local noon of an earlier day."""
    return timezone.now() if day == timezone.localdate() else _noon(day)


@transaction.atomic
def feedback_create(*, account: Account, actor, heard_at: datetime.datetime | None = None, **fields) -> Feedback:
    """`heard_at`: when the customer said it, where the caller knows (a visit, a call); otherwise
    the received date stands for it (see `_recorded_at`)."""
    contact = fields.get("contact")
    if contact is not None and (contact.account_id != account.pk or contact.is_archived):
        raise ValidationError(
            {"contact": ValidationError(_("Choose a contact of this account."), code="contact_not_of_account")}
        )
    feedback = Feedback(account=account, created_by=actor, **fields)
    feedback.full_clean()
    feedback.save()
    heard_at = heard_at or _recorded_at(feedback.received_on)
    events.feedback_received_event(feedback=feedback, actor=actor, occurred_at=heard_at)
    if feedback.channel in CONTACT_CHANNELS:  # someone spoke with the customer to hear it
        account_touch_contact(account_id=account.pk, at=min(heard_at, timezone.now()))
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


COMPETITOR_EDITABLE = ["name", "website", "strengths", "weaknesses", "notes"]


@transaction.atomic
def competitor_create(*, actor, **fields) -> Competitor:
    """The competitor list is master data (directors and administrators keep it)."""
    competitor = Competitor(**{k: v for k, v in fields.items() if k in COMPETITOR_EDITABLE})
    competitor.full_clean()
    competitor.save()
    return competitor


@transaction.atomic
def competitor_update(*, competitor: Competitor, actor, data: dict) -> Competitor:
    for field, value in data.items():
        if field not in COMPETITOR_EDITABLE:
            raise ValidationError({field: _("This field cannot be changed here.")})
        setattr(competitor, field, value)
    competitor.full_clean()
    competitor.save()
    return competitor


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


# --- imports: the same rules as the single-record services, applied set-based ------------------
# (core.imports reads and parses the file; accounts.imports maps cells to the dicts below.)

IMPORT_CHUNK = 1000


def _clean_quietly(instance, *, fields, exclude: list[str]) -> ValidationError | None:
    """full_clean of the fields given, without a query per row: references (owner, parent,
    account) are looked up in bulk by the caller, and uniqueness is the database's (numbers are
    assigned, not imported). Fields not given keep their default or stored (valid) value."""
    check = set(fields)
    if instance._state.adding:  # a new record: also every field that must not be blank
        check |= {f.name for f in instance._meta.fields if not f.blank}
    skip = [f.name for f in instance._meta.fields if f.name not in check] + list(exclude)
    try:
        instance.full_clean(exclude=skip, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc
    return None


def _assignable_owner_ids(actor) -> set[int] | None:
    """Owners `actor` may give an account to (None: anyone; system work has no actor)."""
    if actor is None:
        return None
    from .selectors import account_assignable_owners

    return set(account_assignable_owners(user=actor).values_list("pk", flat=True))


def _differs(instance, field_name: str, value) -> bool:
    if field_name in ("owner", "parent"):  # compare ids: no query for the current reference
        return getattr(instance, f"{field_name}_id") != (value.pk if value is not None else None)
    return getattr(instance, field_name) != value


def accounts_import_prepare(*, actor, creates: list[dict], updates: list[tuple[Account, dict]]):
    """Build and validate the accounts an import would create and change, without writing.

    Answers (new accounts, changed accounts with their changed fields, {index: ValidationError})
    where the index counts creates first, then updates. The rules are those of account_create
    and account_update: editable fields only, the owner rule, the model's validation."""
    allowed_owners = _assignable_owner_ids(actor)
    today = _local_today()
    new, changed, errors = [], [], {}

    def owner_error(owner_id):
        if allowed_owners is not None and owner_id is not None and owner_id not in allowed_owners:
            return ValidationError({"owner": _("You cannot give this account to that account manager.")})
        return None

    for index, data in enumerate(creates):
        unknown = [f for f in data if f not in ACCOUNT_EDITABLE]
        if unknown:  # (answers stay aligned with the input: one per create and per update)
            errors[index] = ValidationError({f: _("This field cannot be changed here.") for f in unknown})
            data = {k: v for k, v in data.items() if k not in unknown}
        account = Account(**data, status_changed_on=today)
        if account.owner_id is None and actor is not None and not sees_all(actor, Account):
            account.owner = actor  # a manager's new account is theirs (else they could not see it)
        error = owner_error(account.owner_id) or _clean_quietly(
            account, fields=data, exclude=["number", "owner", "parent", "team"]
        )
        if error and index not in errors:
            errors[index] = error
        new.append(account)
    for offset, (account, data) in enumerate(updates):
        index = len(creates) + offset
        unknown = [f for f in data if f not in ACCOUNT_EDITABLE]
        if unknown:
            errors[index] = ValidationError({f: _("This field cannot be changed here.") for f in unknown})
            data = {k: v for k, v in data.items() if k not in unknown}
        fields = {f for f, v in data.items() if _differs(account, f, v)}
        old_owner = account.owner_id
        for field_name in fields:
            setattr(account, field_name, data[field_name])
        error = (owner_error(account.owner_id) if account.owner_id != old_owner else None) or _clean_quietly(
            account, fields=fields, exclude=["number", "owner", "parent", "team"]
        )
        if error and index not in errors:
            errors[index] = error
        changed.append((account, fields))
    return new, changed, errors


@transaction.atomic
def accounts_import(*, actor, creates: list[dict], updates: list[tuple[Account, dict]]) -> dict:
    """Create and change many accounts at once (imports), by the rules of account_create and
    account_update: numbers assigned, versions bumped, search text, history and timeline events.
    Everything or nothing: any invalid account refuses the whole call."""
    new, changed, errors = accounts_import_prepare(actor=actor, creates=creates, updates=updates)
    if errors:
        first = errors[min(errors)]
        raise ValidationError(
            _("%(n)s accounts are not valid; nothing was imported. First: %(error)s")
            % {"n": len(errors), "error": " ".join(first.messages)}
        )
    return accounts_import_prepared(actor=actor, new=new, changed=changed)


@transaction.atomic
def accounts_import_prepared(*, actor, new: list[Account], changed: list[tuple[Account, set]]) -> dict:
    """The writing half of accounts_import, for accounts that accounts_import_prepare has just
    built and validated without errors (an import checks its rows once, then writes the good ones)."""
    now = timezone.now()
    today = _local_today()
    events = []
    # new accounts: one INSERT per chunk, then their numbers in one UPDATE per chunk
    for account in new:
        account.created_at = account.updated_at = now
    Account.objects.bulk_create(new, batch_size=IMPORT_CHUNK)
    new_ids = [a.pk for a in new]
    for start in range(0, len(new_ids), IMPORT_CHUNK * 5):
        chunk = new_ids[start : start + IMPORT_CHUNK * 5]
        Account.objects.filter(pk__in=chunk, number__isnull=True).update(
            number=Concat(Value("KA"), LPad(Cast("pk", output_field=CharField()), 8, Value("0")))
        )
    for account in new:
        account.number = f"KA{account.pk:08d}"
        events.append(_event(account, "account.created", actor, now, {"name": account.name}))
    bulk_history_insert(Account, new, history_type="+", user=actor, date=now)
    # changed accounts: lock, bump versions, write only the changed fields
    changed = [(a, f) for a, f in changed if f]
    if changed:
        before = {
            pk: (version, status, owner_id)
            for pk, version, status, owner_id in Account.objects.select_for_update()
            .filter(pk__in=[a.pk for a, _f in changed])
            .values_list("pk", "version", "status", "owner_id")
        }
        owners = {u.pk: str(u) for u in User.objects.filter(pk__in={o for _v, _s, o in before.values()} - {None})}
        written = set()
        for account, fields in changed:
            version, status, owner_id = before[account.pk]
            account.version = version + 1
            account.updated_at = now
            if account.status != status:
                account.status_changed_on = today
                fields.add("status_changed_on")
                events.append(
                    _event(account, "account.status_changed", actor, now, {"old": status, "new": account.status})
                )
            if account.owner_id != owner_id:
                events.append(
                    _event(
                        account,
                        "account.owner_changed",
                        actor,
                        now,
                        {"old": owners.get(owner_id, ""), "new": str(account.owner or "")},
                    )
                )
            written |= fields
        accounts = [a for a, _f in changed]
        bulk_update_fields(Account, accounts, [*sorted(written), "version", "updated_at"], batch_size=IMPORT_CHUNK)
        bulk_history_insert(Account, accounts, history_type="~", user=actor, date=now)
    AccountEvent.objects.bulk_create(events, batch_size=IMPORT_CHUNK)
    refresh_search_text([*new_ids, *(a.pk for a, _f in changed)])
    return {"created": len(new), "updated": len(changed)}


def _event(account, kind: str, actor, when, data: dict):
    """An unsaved timeline row about the account (as accounts.events writes one), to insert in bulk."""
    from .timeline import event_kinds, subject_type_of

    if kind not in event_kinds():
        raise ValueError(f"Unknown timeline event kind {kind!r}; register it first.")
    return AccountEvent(
        account_id=account.pk,
        kind=kind,
        data=data,
        actor=actor,
        occurred_at=when,
        subject_type=subject_type_of(account),
        subject_id=account.pk,
    )


def contacts_import_prepare(*, actor, creates: list[dict], updates: list[tuple[Contact, dict]]):
    """Build and validate the contacts an import would create and change (rules of contact_create
    and contact_update: editable fields, the model's validation; a contact keeps its account).
    Answers (new, changed with their fields, {index: ValidationError}); creates count first."""
    new, changed, errors = [], [], {}
    for index, data in enumerate(creates):
        unknown = [f for f in data if f not in [*CONTACT_EDITABLE, "account"]]
        if unknown:  # (answers stay aligned with the input: one per create and per update)
            errors[index] = ValidationError({f: _("This field cannot be changed here.") for f in unknown})
            data = {k: v for k, v in data.items() if k not in unknown}
        contact = Contact(**data)
        if (error := _clean_quietly(contact, fields=data, exclude=["account"])) and index not in errors:
            errors[index] = error
        new.append(contact)
    for offset, (contact, data) in enumerate(updates):
        index = len(creates) + offset
        if "account" in data and data["account"].pk != contact.account_id:
            errors[index] = ValidationError({"account": _("A contact cannot move to another account.")})
        data = {k: v for k, v in data.items() if k != "account"}
        unknown = [f for f in data if f not in CONTACT_EDITABLE]
        if unknown:
            errors.setdefault(index, ValidationError({f: _("This field cannot be changed here.") for f in unknown}))
            data = {k: v for k, v in data.items() if k not in unknown}
        fields = {f for f, v in data.items() if getattr(contact, f) != v}
        for field_name in fields:
            setattr(contact, field_name, data[field_name])
        if (error := _clean_quietly(contact, fields=fields, exclude=["account"])) and index not in errors:
            errors[index] = error
        changed.append((contact, fields))
    return new, changed, errors


@transaction.atomic
def contacts_import(*, actor, creates: list[dict], updates: list[tuple[Contact, dict]]) -> dict:
    """Create and change many contacts at once (imports): the rules of contact_create and
    contact_update, set-based (versions, one primary contact per account, search text, history)."""
    new, changed, errors = contacts_import_prepare(actor=actor, creates=creates, updates=updates)
    if errors:
        first = errors[min(errors)]
        raise ValidationError(
            _("%(n)s contacts are not valid; nothing was imported. First: %(error)s")
            % {"n": len(errors), "error": " ".join(first.messages)}
        )
    return contacts_import_prepared(actor=actor, new=new, changed=changed)


@transaction.atomic
def contacts_import_prepared(*, actor, new: list[Contact], changed: list[tuple[Contact, set]]) -> dict:
    """The writing half of contacts_import, for contacts contacts_import_prepare has just validated."""
    now = timezone.now()
    for contact in new:
        contact.created_at = contact.updated_at = now
    # one primary per account: of the file's primaries, the last one of each account wins
    primary_by_account = {}
    for contact in [*new, *(c for c, _f in changed)]:
        if contact.is_primary:
            primary_by_account[contact.account_id] = contact
    for contact in new:
        if contact.is_primary and primary_by_account[contact.account_id] is not contact:
            contact.is_primary = False
    Contact.objects.bulk_create(new, batch_size=IMPORT_CHUNK)
    bulk_history_insert(Contact, new, history_type="+", user=actor, date=now)
    changed = [(c, f) for c, f in changed if f]
    if changed:
        versions = dict(
            Contact.objects.select_for_update().filter(pk__in=[c.pk for c, _f in changed]).values_list("pk", "version")
        )
        written = set()
        for contact, fields in changed:
            if contact.is_primary and primary_by_account[contact.account_id] is not contact:
                contact.is_primary = False
                fields.add("is_primary")
            contact.version = versions[contact.pk] + 1
            contact.updated_at = now
            written |= fields
        contacts = [c for c, _f in changed]
        bulk_update_fields(Contact, contacts, [*sorted(written), "version", "updated_at"], batch_size=IMPORT_CHUNK)
        bulk_history_insert(Contact, contacts, history_type="~", user=actor, date=now)
    primaries = [c.pk for c in primary_by_account.values()]
    if primaries:
        Contact.objects.filter(account_id__in=list(primary_by_account), is_primary=True).exclude(
            pk__in=primaries
        ).update(is_primary=False, updated_at=now)
    refresh_search_text({c.account_id for c in new} | {c.account_id for c, _f in changed})
    return {"created": len(new), "updated": len(changed)}
