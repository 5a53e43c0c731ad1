"""The demo-data registry: each app adds its seeding step in AppConfig.ready.

`manage.py seed_demo` runs the steps in order. Lower apps know nothing of higher ones;
a step receives the shared context dict the earlier steps filled (users, accounts ...).
"""

from collections.abc import Callable
from dataclasses import dataclass

from .registry import Registry


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    run: Callable[[dict], None]


DEMO_STEPS: Registry[DemoStep] = Registry("demo step")


def register_demo_step(*, name: str, order: int, run: Callable[[dict], None]) -> None:
    DEMO_STEPS.add(name, DemoStep(order=order, name=name, run=run))


def demo_steps() -> list[DemoStep]:
    return sorted(DEMO_STEPS, key=lambda step: step.order)
