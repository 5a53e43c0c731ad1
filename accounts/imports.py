"""What accounts, contacts and transactions import from a file (core.imports does the rest).

Each importer maps a row's cells to the dict its service takes, looking up what the rows refer
to (account numbers, user names, contacts) in a few queries for the whole file and through the
visibility policy: a number the user cannot see reads as "no such account", like a missing one.
A blank cell leaves a stored value as it is; fields the tier recompute owns (tier, ABC class,
RFM segment, 12-month revenue) and the team are never imported.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.imports import Column, Importer, Row, field_errors_to_row, register_importer
from users.models import User
from users.visibility import visible_to

from . import services
from .models import Account, Contact, Transaction

CHUNK = 5000

NOT_IMPORTED = {
    "tier": gettext_lazy("Tier"),
    "abc_class": gettext_lazy("ABC class"),
    "rfm_segment": gettext_lazy("RFM segment"),
    "revenue_12m": gettext_lazy("12-month revenue"),
    "last_contact_at": gettext_lazy("Last contact"),
    "team": gettext_lazy("Team"),
}


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def visible_accounts_by_number(actor, numbers) -> dict[str, Account]:
    """Live accounts the actor sees, by number (case-insensitive: the numbers are upper case)."""
    found = {}
    numbers = sorted({n.strip().upper() for n in numbers if n})
    for chunk in _chunks(numbers):
        qs = visible_to(actor, Account.objects.filter(number__in=chunk, is_archived=False))
        for account in qs:
            found[account.number] = account
    return found


def _no_account(number: str) -> str:
    return _("No account you can see has the number %(number)s.") % {"number": number}


def _users_by_name(names) -> dict[str, list[User]]:
    """Active users by user name and by display name (an export writes display names)."""
    names = {n.strip() for n in names if n and n.strip()}
    found = defaultdict(list)
    if not names:
        return found
    lowered = {n.casefold() for n in names}
    for chunk in _chunks(sorted(names)):
        for user in User.objects.filter(Q(username__in=chunk) | Q(full_name__in=chunk), is_active=True):
            keys = {user.username.casefold(), str(user).casefold()}
            for key in keys & lowered:
                if user not in found[key]:
                    found[key].append(user)
    return found


def _lookup_user(row: Row, column: Column, users: dict) -> User | None:
    name = row.values[column.key]
    candidates = users.get(name.casefold(), [])
    exact = [u for u in candidates if u.username.casefold() == name.casefold()]
    if len(exact) == 1 or len(candidates) == 1:
        return (exact or candidates)[0]
    if candidates:
        row.add_error(column, _("Several users have this name: write the user name instead."))
    else:
        row.add_error(column, _("No active user has this user name or name."))
    return None


def _keep_plan(creates, updates, new, changed, errors, by_key) -> None:
    """Put the services' errors on their rows, and keep on each row what the service built, so
    that the import writes the checked records without validating them a second time."""
    planned = [r for r, _d in creates] + [r for r, _u in updates]
    for index, error in errors.items():
        field_errors_to_row(planned[index], error, by_key)
    for row, record in zip(planned, [("new", n) for n in new] + [("update", c) for c in changed], strict=True):
        row.plan = record


def _choices(enum):
    return list(enum.choices)


class AccountImporter(Importer):
    key = "accounts.account"
    label = gettext_lazy("Accounts")
    help = gettext_lazy(
        "A row with an account number changes that account; a row without one creates a new account "
        "(its number is assigned). A blank cell leaves the stored value as it is."
    )
    done_url_name = "accounts:list"
    read_only = NOT_IMPORTED
    columns = [
        Column("number", gettext_lazy("Account no."), help=gettext_lazy("Blank for a new account.")),
        Column("name", gettext_lazy("Name"), required=True, help=gettext_lazy("The customer's full name.")),
        Column("nickname", gettext_lazy("Short name")),
        Column("category", gettext_lazy("Category"), kind="choice", choices=_choices(Account.Category)),
        Column("industry", gettext_lazy("Industry"), kind="choice", choices=_choices(Account.Industry)),
        Column("region", gettext_lazy("Region")),
        Column("address", gettext_lazy("Address")),
        Column("phone", gettext_lazy("Phone")),
        Column("email", gettext_lazy("E-mail")),
        Column("website", gettext_lazy("Website")),
        Column(
            "parent",
            gettext_lazy("Parent account no."),
            help=gettext_lazy("For a subsidiary: the number of its head company."),
        ),
        Column(
            "owner",
            gettext_lazy("Account manager"),
            help=gettext_lazy("User name or name of an account manager."),
        ),
        Column("status", gettext_lazy("Status"), kind="choice", choices=_choices(Account.Status)),
        Column("source", gettext_lazy("Source")),
        Column("tags", gettext_lazy("Tags"), help=gettext_lazy("Comma-separated.")),
        Column("notes", gettext_lazy("Notes")),
    ]

    def _plan(self, *, actor, rows: list[Row]):
        by_key = {c.key: c for c in self.columns}
        numbers = [r.values.get("number", "") for r in rows] + [r.values.get("parent", "") for r in rows]
        accounts = visible_accounts_by_number(actor, numbers)
        users = _users_by_name(r.values.get("owner") for r in rows)
        creates, updates, seen = [], [], {}
        for row in rows:
            data = {k: v for k, v in row.values.items() if k not in ("number", "parent", "owner")}
            if "parent" in row.values:
                parent = accounts.get(row.values["parent"].upper())
                if parent is None:
                    row.add_error(by_key["parent"], _no_account(row.values["parent"]))
                data["parent"] = parent
            if "owner" in row.values:
                data["owner"] = _lookup_user(row, by_key["owner"], users)
            number = row.values.get("number", "").upper()
            account = None
            if number:
                account = accounts.get(number)
                if account is None:
                    row.add_error(by_key["number"], _no_account(row.values["number"]))
                elif number in seen:
                    row.add_error(
                        by_key["number"],
                        _("This account is already on line %(line)s of the file.") % {"line": seen[number]},
                    )
                    account = None
                else:
                    seen[number] = row.line
            if account is not None and data.get("parent") is not None and data["parent"].pk == account.pk:
                row.add_error(by_key["parent"], _("An account cannot be its own parent."))
                data.pop("parent")
            # a row with errors is still validated (as a new account if its number failed), so
            # that every error of the row is reported at once; only good rows are ever written
            if account is None:
                creates.append((row, data))
            else:
                updates.append((row, (account, data)))
        return creates, updates

    def check(self, *, actor, rows, present):
        creates, updates = self._plan(actor=actor, rows=rows)
        new, changed, errors = services.accounts_import_prepare(
            actor=actor, creates=[d for _r, d in creates], updates=[u for _r, u in updates]
        )
        _keep_plan(creates, updates, new, changed, errors, {c.key: c for c in self.columns})
        return {
            "new": sum(1 for r, _d in creates if not r.errors),
            "update": sum(1 for r, _u in updates if not r.errors),
        }

    def write(self, *, actor, rows, present):
        if all(row.plan for row in rows):  # checked just now: write what the check built
            new = [row.plan[1] for row in rows if row.plan[0] == "new"]
            changed = [row.plan[1] for row in rows if row.plan[0] == "update"]
            return services.accounts_import_prepared(actor=actor, new=new, changed=changed)
        creates, updates = self._plan(actor=actor, rows=rows)
        return services.accounts_import(actor=actor, creates=[d for _r, d in creates], updates=[u for _r, u in updates])


class ContactImporter(Importer):
    key = "accounts.contact"
    label = gettext_lazy("Contacts")
    help = gettext_lazy(
        "Each row is a contact of the account with that number. A row with a contact no. changes that "
        "contact; a row without one adds a contact. A blank cell leaves the stored value as it is."
    )
    done_url_name = "accounts:list"
    columns = [
        Column("id", gettext_lazy("Contact no."), kind="int", help=gettext_lazy("Blank for a new contact.")),
        Column("account", gettext_lazy("Account no."), required=True),
        # a person's name: 姓名 in Chinese, not the account's 客户名称
        Column("name", pgettext_lazy("person", "Name"), required=True),
        Column("title", gettext_lazy("Job title")),
        Column("department", gettext_lazy("Department")),
        Column("role", gettext_lazy("Buying role"), kind="choice", choices=_choices(Contact.Role)),
        Column("attitude", gettext_lazy("Attitude"), kind="choice", choices=_choices(Contact.Attitude)),
        Column("influence", gettext_lazy("Influence"), kind="int", help=gettext_lazy("1 = little say, 5 = decides.")),
        Column("phone", gettext_lazy("Phone")),
        Column("email", gettext_lazy("E-mail")),
        Column(
            "birthday_calendar",
            gettext_lazy("Birthday calendar"),
            kind="choice",
            choices=_choices(Contact.Calendar),
        ),
        Column("birth_year", gettext_lazy("Birth year"), kind="int"),
        Column("birth_month", gettext_lazy("Birth month"), kind="int"),
        Column("birth_day", gettext_lazy("Birth day"), kind="int"),
        Column("interests", gettext_lazy("Interests")),
        Column(
            "preferred_channel",
            gettext_lazy("Preferred channel"),
            kind="choice",
            choices=_choices(Contact.Channel),
        ),
        Column("is_primary", gettext_lazy("Primary contact"), kind="bool", help=gettext_lazy("Yes or no.")),
    ]

    def _plan(self, *, actor, rows):
        by_key = {c.key: c for c in self.columns}
        accounts = visible_accounts_by_number(actor, [r.values.get("account", "") for r in rows])
        ids = sorted({r.values["id"] for r in rows if "id" in r.values})
        contacts = {}
        for chunk in _chunks(ids):
            for contact in visible_to(actor, Contact.objects.filter(pk__in=chunk, is_archived=False)):
                contacts[contact.pk] = contact
        creates, updates, seen = [], [], {}
        for row in rows:
            data = {k: v for k, v in row.values.items() if k not in ("id", "account")}
            account = accounts.get(row.values.get("account", "").upper())
            if account is None:
                row.add_error(by_key["account"], _no_account(row.values.get("account", "")))
            else:
                data["account"] = account
            contact = None
            if "id" in row.values:
                contact = contacts.get(row.values["id"])
                if contact is None:
                    row.add_error(by_key["id"], _("No contact you can see has this number."))
                elif contact.pk in seen:
                    row.add_error(
                        by_key["id"],
                        _("This contact is already on line %(line)s of the file.") % {"line": seen[contact.pk]},
                    )
                    contact = None
                else:
                    seen[contact.pk] = row.line
            if account is None:
                continue  # nothing to validate a contact against
            if contact is None:
                creates.append((row, data))
            else:
                updates.append((row, (contact, data)))
        return creates, updates

    def check(self, *, actor, rows, present):
        creates, updates = self._plan(actor=actor, rows=rows)
        new, changed, errors = services.contacts_import_prepare(
            actor=actor, creates=[d for _r, d in creates], updates=[u for _r, u in updates]
        )
        _keep_plan(creates, updates, new, changed, errors, {c.key: c for c in self.columns})
        return {
            "new": sum(1 for r, _d in creates if not r.errors),
            "update": sum(1 for r, _u in updates if not r.errors),
        }

    def write(self, *, actor, rows, present):
        if all(row.plan for row in rows):  # checked just now: write what the check built
            new = [row.plan[1] for row in rows if row.plan[0] == "new"]
            changed = [row.plan[1] for row in rows if row.plan[0] == "update"]
            return services.contacts_import_prepared(actor=actor, new=new, changed=changed)
        creates, updates = self._plan(actor=actor, rows=rows)
        return services.contacts_import(actor=actor, creates=[d for _r, d in creates], updates=[u for _r, u in updates])


class TransactionImporter(Importer):
    key = "accounts.transaction"
    label = gettext_lazy("Transactions")
    help = gettext_lazy(
        "Each row is a purchase, recharge or refund of the account with that number. The reference "
        "identifies it in its source system: a row already imported is skipped, so a file can be "
        "imported again safely."
    )
    done_url_name = "accounts:list"
    columns = [
        Column("account", gettext_lazy("Account no."), required=True),
        Column("kind", gettext_lazy("Kind"), required=True, kind="choice", choices=_choices(Transaction.Kind)),
        Column(
            "amount",
            gettext_lazy("Amount"),
            required=True,
            kind="decimal",
            help=gettext_lazy("Always positive; a refund subtracts by its kind."),
        ),
        Column(
            "occurred_at",
            gettext_lazy("Occurred at"),
            required=True,
            kind="datetime",
            help=gettext_lazy("Local time, e.g. 2026-09-04 14:30."),
        ),
        Column("product_line", gettext_lazy("Product line")),
        Column(
            "source_system",
            gettext_lazy("Source system"),
            help=gettext_lazy("Blank: import."),
        ),
        Column(
            "external_ref",
            gettext_lazy("Reference"),
            required=True,
            help=gettext_lazy("The record's id in the source system (invoice no. ...)."),
        ),
        Column("note", gettext_lazy("Note")),
    ]

    def _plan(self, *, actor, rows):
        by_key = {c.key: c for c in self.columns}
        accounts = visible_accounts_by_number(actor, [r.values.get("account", "") for r in rows])
        planned, seen = [], {}
        for row in rows:
            for column in self.columns:
                if (
                    column.required
                    and column.key not in row.values
                    and not any(e.column == str(column.label) for e in row.errors)
                ):
                    row.add_error(column, _("This field is required."))
            account = accounts.get(row.values.get("account", "").upper())
            if "account" in row.values and account is None:
                row.add_error(by_key["account"], _no_account(row.values["account"]))
            source = row.values.get("source_system") or "import"
            key = (source, row.values.get("external_ref", ""))
            if key[1] and key in seen:
                row.add_error(
                    by_key["external_ref"],
                    _("This reference is already on line %(line)s of the file.") % {"line": seen[key]},
                )
            seen.setdefault(key, row.line)
            failed = {c.key for c in self.columns if str(c.label) in {e.column for e in row.errors}}
            data = {
                "account": account,
                "kind": row.values.get("kind", ""),
                "amount": row.values.get("amount"),
                "occurred_at": row.values.get("occurred_at"),
                "product_line": row.values.get("product_line", ""),
                "source_system": source,
                "external_ref": row.values.get("external_ref", ""),
                "note": row.values.get("note", ""),
            }
            txn = Transaction(**data, created_by=actor)
            try:
                txn.full_clean(
                    exclude=["account", "created_by", *failed], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:  # under the cells' columns
                field_errors_to_row(row, exc, by_key)
            if "amount" not in failed and txn.amount is not None and txn.amount <= 0:
                row.add_error(by_key["amount"], _("The amount must be positive; a refund subtracts by its kind."))
            if row.errors:
                continue
            planned.append((row, data))
        return planned

    def check(self, *, actor, rows, present):
        planned = self._plan(actor=actor, rows=rows)
        existing = set()
        keys = defaultdict(list)
        for _row, data in planned:
            keys[data["source_system"]].append(data["external_ref"])
        for source, refs in keys.items():
            for chunk in _chunks(refs):
                existing.update(
                    Transaction.objects.filter(source_system=source, external_ref__in=chunk).values_list(
                        "source_system", "external_ref"
                    )
                )
        already = sum(1 for _r, d in planned if (d["source_system"], d["external_ref"]) in existing)
        return {"new": len(planned) - already, "existing": already}

    def write(self, *, actor, rows, present):
        planned = self._plan(actor=actor, rows=rows)
        created = existing = 0
        for chunk in _chunks([d for _r, d in planned], services.BULK_LIMIT):
            result = services.transactions_push(actor=actor, rows=chunk)
            created += len(result["created"])
            existing += len(result["existing"])
        return {"created": created, "existing": existing}


def register():
    for importer in (AccountImporter(), ContactImporter(), TransactionImporter()):
        register_importer(importer)
