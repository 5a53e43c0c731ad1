"""Where a callback's problem goes. Higher apps register here in AppConfig.ready.

`register_problem_handler(fn)`: `fn(*, callback, actor) -> bool`, called inside the callback's
transaction when a callback is logged with "problem raised". A handler that takes the problem
(service requests: open a request in the same save) answers True; the callback then shows the
problem as handed over. While nobody takes it, visits keeps it open and gives the account manager
a follow-up due within 24 hours (000 §5: to the responsible department within 24 hours).
"""

from collections.abc import Callable

ProblemHandler = Callable[..., bool]
_HANDLERS: list[ProblemHandler] = []


def register_problem_handler(handler: ProblemHandler) -> None:
    if handler not in _HANDLERS:
        _HANDLERS.append(handler)


def unregister_problem_handler(handler: ProblemHandler) -> None:
    if handler in _HANDLERS:
        _HANDLERS.remove(handler)


def problem_handlers() -> list[ProblemHandler]:
    return list(_HANDLERS)
