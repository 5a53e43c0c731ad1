"""The demo-data registry: each app adds its seeding step in AppConfig.ready.

`manage.py seed_demo` runs the steps in order. Lower apps know nothing of higher ones;
a step receives the shared context dict the earlier steps filled (users, accounts ...).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    run: Callable[[dict], None]


_STEPS: dict[str, DemoStep] = {}


def register_demo_step(*, name: str, order: int, run: Callable[[dict], None]) -> None:
    _STEPS[name] = DemoStep(order=order, name=name, run=run)


def demo_steps() -> list[DemoStep]:
    return sorted(_STEPS.values(), key=lambda step: step.order)
