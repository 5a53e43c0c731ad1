"""The bell on every page: the signed-in user's unread count, counted only when a template shows
it (one COUNT on a partial index); htmx fragments and JSON never pay for it."""

from functools import cached_property


class Bell:
    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        from .selectors import unread_count

        return unread_count(user=self.user)

    @property
    def badge(self) -> str:
        return "99+" if self.count > 99 else str(self.count)


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell": Bell(user)}
