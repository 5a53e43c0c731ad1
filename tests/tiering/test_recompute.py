"""The recompute engine writes in accounts' tables only what accounts declares."""

import pytest

from accounts.models import RECOMPUTE_EVENT_KINDS, RECOMPUTED_FIELDS, Account
from accounts.timeline import event_kinds
from tiering import recompute
from tiering.events import TIER_CHANGED, TIER_OVERRIDE_ENDED


def test_the_recompute_updates_exactly_the_account_columns_accounts_declares():
    assert set(recompute.ACCOUNT_UPDATES) == set(RECOMPUTED_FIELDS)
    assert all(Account._meta.get_field(name).concrete for name in RECOMPUTED_FIELDS)


def test_the_recompute_writes_only_declared_and_registered_event_kinds():
    assert {TIER_CHANGED, TIER_OVERRIDE_ENDED} == set(RECOMPUTE_EVENT_KINDS)
    assert set(RECOMPUTE_EVENT_KINDS) <= set(event_kinds())


@pytest.mark.parametrize("field", RECOMPUTED_FIELDS)
def test_recomputed_fields_are_not_editable_by_hand(field):
    from accounts.api import AccountSerializer
    from accounts.services import ACCOUNT_EDITABLE

    assert field not in ACCOUNT_EDITABLE
    assert field in AccountSerializer.Meta.read_only_fields
