import datetime
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from tiering.models import TierBenefit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime.datetime:
    """An aware moment in Asia/Shanghai: local(2026, 11, 30, 9, 0)."""
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def at():
    """`with at(moment):` runs the code as if it were `moment` (timezone.now is frozen)."""

    @contextmanager
    def _at(moment):
        with mock.patch("django.utils.timezone.now", return_value=moment):
            yield moment

    return _at


@pytest.fixture
def benefits(db):
    """Known targets per tier: VIP respond 2 h / resolve 24 h; regular 8 / 72; small 24 / 120."""
    for tier, respond, resolve in (("vip", 2, 24), ("regular", 8, 72), ("small", 24, 120)):
        TierBenefit.objects.update_or_create(
            tier=tier,
            defaults={
                "response_hours": respond,
                "resolution_hours": resolve,
                "visit_cadence_days": 30,
                "callback_cadence_days": 14,
            },
        )
