"""The search box in the top bar of every page. Apps register a provider in AppConfig.ready:
a function (user, term, limit) -> list[SearchHit] that answers from what the user may see,
in a fixed number of queries. Results come back grouped in the providers' order."""

from collections.abc import Callable
from dataclasses import dataclass, field

MIN_TERM = 2


@dataclass(frozen=True)
class SearchHit:
    title: str  # what the hit opens, e.g. the account's name
    url: str
    kind: str  # translated, e.g. "Contact", "Main phone"
    icon: str = "building"  # a Bootstrap icon name
    phone: str = ""  # the number that matched, shown caller-ID style
    detail: str = ""  # who or what matched: "陈经理 · Technical buyer"
    meta: list[str] = field(default_factory=list)  # small print: account no., manager
    badge: str = ""  # e.g. the tier label


@dataclass(frozen=True)
class SearchProvider:
    key: str
    order: int
    search: Callable  # (*, user, term, limit) -> list[SearchHit]


_PROVIDERS: dict[str, SearchProvider] = {}


def register_search_provider(*, key: str, order: int, search: Callable) -> None:
    if key in _PROVIDERS:
        raise ValueError(f"A search provider {key!r} is already registered.")
    _PROVIDERS[key] = SearchProvider(key, order, search)


def search_everything(*, user, term: str, limit: int = 8) -> list[SearchHit]:
    term = (term or "").strip()
    if len(term) < MIN_TERM or not user.is_authenticated:
        return []
    hits: list[SearchHit] = []
    for provider in sorted(_PROVIDERS.values(), key=lambda p: p.order):
        if len(hits) >= limit:
            break
        hits.extend(provider.search(user=user, term=term, limit=limit - len(hits)))
    return hits[:limit]
