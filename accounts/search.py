"""The account search text: one lower-cased text per account that the list searches with LIKE.

It holds the account's name, short name and number and its live contacts' names and phone
digits. Services refresh it whenever one of those changes; seeding builds it while generating.
"""

import re
from collections import defaultdict
from collections.abc import Iterable

NON_DIGITS = re.compile(r"\D")
PHONE_LIKE = re.compile(r"^[\d\s()+-]+$")


def phone_digits(phone: str) -> str:
    return NON_DIGITS.sub("", phone or "")


def build_search_text(*, name: str, nickname: str, number: str | None, contacts: Iterable[tuple[str, str]]) -> str:
    parts = [name, nickname, number or ""]
    for contact_name, phone in contacts:
        parts.append(contact_name)
        parts.append(phone_digits(phone))
    return " ".join(p for p in parts if p).lower()


def normalise_term(term: str) -> str:
    """What to look for in the search column: lower case; a phone number as its digits."""
    term = term.strip()
    if PHONE_LIKE.match(term) and len(phone_digits(term)) >= 3:
        return phone_digits(term)
    return term.lower()


def refresh_search_text(account_ids: Iterable[int]) -> None:
    """Rebuild the search text of these accounts (two reads and one upsert per batch of 500)."""
    from .models import Account, AccountSearch, Contact

    ids = sorted(set(account_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        contacts = defaultdict(list)
        for account_id, name, phone in Contact.objects.filter(account_id__in=chunk, is_archived=False).values_list(
            "account_id", "name", "phone"
        ):
            contacts[account_id].append((name, phone))
        rows = [
            AccountSearch(
                account_id=pk,
                text=build_search_text(name=name, nickname=nickname, number=number, contacts=contacts[pk]),
            )
            for pk, name, nickname, number in Account.objects.filter(pk__in=chunk).values_list(
                "pk", "name", "nickname", "number"
            )
        ]
        AccountSearch.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["account"], update_fields=["text"]
        )
