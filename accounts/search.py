"""The account search text: one lower-cased text per account that the list searches with LIKE.

It holds the account's name, short name, number and main phone, and its live contacts' names
and phones. Phones are kept as their national digits (see `phone_key`) so that a caller's
number finds the account however either side wrote it: "+86 138-0013-8000", "0086 13800138000",
"010 6512 3456" and "(010)65123456" all meet. Services refresh the text whenever one of those
changes; seeding builds it while generating.
"""

import re
from collections import defaultdict
from collections.abc import Iterable

NON_DIGITS = re.compile(r"\D")
PHONE_LIKE = re.compile(r"^[\d\s()+.-]+$")
COUNTRY_PREFIX = re.compile(r"^\s*(\+|00)\s*86[\s().-]*")


def phone_digits(phone: str) -> str:
    return NON_DIGITS.sub("", phone or "")


def phone_key(phone: str) -> str:
    """A phone number as its national digits: no "+86"/"0086", no spaces, dashes or brackets,
    no trunk "0" before an area code. "+86 (010) 6512-3456" -> "1065123456"."""
    national = COUNTRY_PREFIX.sub("", phone or "")
    digits = phone_digits(national)
    if national == (phone or "") and len(digits) == 13 and digits.startswith("86") and digits[2] == "1":
        digits = digits[2:]  # "8613800138000": a mobile written with the country code and no "+"
    return digits.lstrip("0")


def build_search_text(
    *, name: str, nickname: str, number: str | None, contacts: Iterable[tuple[str, str]], phone: str = ""
) -> str:
    parts = [name, nickname, number or "", phone_key(phone)]
    for contact_name, contact_phone in contacts:
        parts.append(contact_name)
        parts.append(phone_key(contact_phone))
    return " ".join(p for p in parts if p).lower()


def is_phone_term(term: str) -> bool:
    term = term.strip()
    return bool(PHONE_LIKE.match(term)) and len(phone_digits(term)) >= 3


def normalise_term(term: str) -> str:
    """What to look for in the search column: lower case; a phone number as its national digits."""
    term = term.strip()
    if is_phone_term(term):
        return phone_key(term) or phone_digits(term)
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
                text=build_search_text(name=name, nickname=nickname, number=number, phone=phone, contacts=contacts[pk]),
            )
            for pk, name, nickname, number, phone in Account.objects.filter(pk__in=chunk).values_list(
                "pk", "name", "nickname", "number", "phone"
            )
        ]
        AccountSearch.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["account"], update_fields=["text"]
        )
