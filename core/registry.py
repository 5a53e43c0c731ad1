"""The one shape of every registry a lower app offers to higher ones (menu, account panels, demo
steps, timeline kinds, visibility rules).

Apps register in `AppConfig.ready`, which runs once; a second registration of the same key is a
mistake (two apps claiming one name, or a module imported twice under different names), so it
is refused with `ImproperlyConfigured` instead of silently adding or replacing an entry.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str):
        self.what = what  # e.g. "account panel", for the error message
        self._items: dict[str, T] = {}

    def add(self, key: str, item: T) -> T:
        if key in self._items:
            raise ImproperlyConfigured(f"The {self.what} {key!r} is already registered; keys must be unique.")
        self._items[key] = item
        return item

    def get(self, key: str, default: T | None = None) -> T | None:
        return self._items.get(key, default)

    def __getitem__(self, key: str) -> T:
        return self._items[key]

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[str]:
        return list(self._items)

    def as_dict(self) -> dict[str, T]:
        return dict(self._items)

    @contextmanager
    def registered(self, key: str, item: T):
        """Tests: `with registry.registered(key, item):` adds an entry for the block only."""
        self.add(key, item)
        try:
            yield item
        finally:
            self._items.pop(key, None)
