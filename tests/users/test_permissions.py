import pytest

from users.permissions import has_crm_perm
from users.roles import Role

PERMS = [
    "accounts.view_account",
    "accounts.change_account",
    "accounts.add_feedback",
    "accounts.add_transaction",
    "accounts.delete_account",
    "tiering.change_tierpolicy",
]


@pytest.mark.parametrize("role", list(Role))
def test_role_table_answers_like_django_permissions(make_user, role):
    """has_crm_perm (no query) must agree with has_perm (the synced groups) for every role."""
    user = make_user(role, username=f"u-{role.name}")
    for perm in PERMS:
        assert has_crm_perm(user, perm) == user.has_perm(perm), perm


def test_no_role_no_permission(make_user):
    assert not has_crm_perm(make_user(None, username="nobody"), "accounts.view_account")
