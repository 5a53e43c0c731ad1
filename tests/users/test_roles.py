import pytest
from django.contrib.auth.models import Group

from users.roles import Role


@pytest.mark.django_db
def test_every_role_group_exists_with_its_permissions():
    names = set(Group.objects.values_list("name", flat=True))
    assert {r.value for r in Role} <= names

    def perms(role):
        return set(Group.objects.get(name=role.value).permissions.values_list("codename", flat=True))

    assert {"view_account", "add_account", "change_account"} <= perms(Role.MANAGER)
    assert "delete_account" not in perms(Role.MANAGER)
    assert "view_account" in perms(Role.SERVICE) and "change_account" not in perms(Role.SERVICE)
    assert "add_feedback" in perms(Role.SERVICE)
    assert "change_account" not in perms(Role.FINANCE) and "add_transaction" in perms(Role.FINANCE)
    assert {"change_account", "view_user"} <= perms(Role.DIRECTOR)
    assert "delete_account" in perms(Role.ADMIN)


def test_user_permissions_follow_the_role(manager, service_agent):
    assert manager.has_perm("accounts.change_account")
    assert not service_agent.has_perm("accounts.change_account")
    assert service_agent.has_perm("accounts.view_account")
