"""Write use cases for accounts and their records. Pages, API, admin and imports all call these."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.locking import save_versioned

from . import events
from .models import CONTACT_FIELDS, Account, CompetitorPresence, Contact, Feedback, Transaction
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
    source_system="manual",
    external_ref="",
    note="",
) -> Transaction:
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


@transaction.atomic
def transactions_push(*, actor, rows: Iterable[dict]) -> dict:
    """Record revenue rows pushed by another system; idempotent on (source_system, external_ref).

    Each row is a validated dict (account, kind, amount, occurred_at, product_line,
    source_system, external_ref). Answers which refs were created and which already existed.
    """
    rows = list(rows)
    if len(rows) > BULK_LIMIT:
        raise ValidationError(_("At most %(n)s rows per request.") % {"n": BULK_LIMIT})
    keys = {(r["source_system"], r["external_ref"]) for r in rows}
    existing = set()
    for source in {s for s, _ref in keys}:
        refs = [ref for s, ref in keys if s == source]
        for start in range(0, len(refs), 500):
            existing.update(
                Transaction.objects.filter(
                    source_system=source, external_ref__in=refs[start : start + 500]
                ).values_list("source_system", "external_ref")
            )
    to_create, seen = [], set(existing)
    created_refs, existing_refs = [], []
    for row in rows:
        key = (row["source_system"], row["external_ref"])
        if key in seen:
            existing_refs.append(row["external_ref"])
            continue
        seen.add(key)
        to_create.append(Transaction(created_by=actor, **row))
        created_refs.append(row["external_ref"])
    # ignore_conflicts: a concurrent push of the same rows cannot create duplicates
    Transaction.objects.bulk_create(to_create, batch_size=500, ignore_conflicts=True)
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
