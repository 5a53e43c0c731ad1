"""The import bench runs end to end on a small file (new accounts, then changes to them)."""

import pytest

from accounts.models import Account
from bench import import_bench

pytestmark = pytest.mark.django_db


def test_import_bench_creates_then_changes_the_rows(director, manager):
    result = import_bench.run(report=lambda line: None, rows=30, actor=director, owner=manager)
    assert result["created"] == 30 and result["updated"] == 30
    assert Account.objects.filter(tags="bench, import, changed", owner=manager).count() == 30
    assert Account.objects.filter(version=2).count() == 30
