"""Roles come from a shared cache (no group query per request) and follow group changes."""

import pytest
from django.contrib.auth.models import Group

from users.models import User
from users.permissions import has_crm_perm
from users.roles import Role
from users.visibility import roles_of

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request loads it (nothing cached on the instance)."""
    return User.objects.get(pk=user.pk)


def test_roles_are_read_once_then_come_from_the_cache(make_user, django_assert_num_queries):
    user = make_user(Role.MANAGER)
    roles_of(fresh(user))  # fills the cache
    again = fresh(user)
    with django_assert_num_queries(0):
        assert roles_of(again) == {Role.MANAGER.value}
        assert has_crm_perm(again, "accounts.change_account")
        assert not has_crm_perm(again, "tiering.change_tierpolicy")


def test_adding_and_removing_a_group_is_seen_by_the_next_request(make_user):
    user = make_user(Role.MANAGER)
    assert roles_of(fresh(user)) == {Role.MANAGER.value}
    director_group, _ = Group.objects.get_or_create(name=Role.DIRECTOR.value)
    user.groups.add(director_group)
    assert roles_of(fresh(user)) == {Role.MANAGER.value, Role.DIRECTOR.value}
    director_group.user_set.remove(user)  # from the other side of the relation
    assert roles_of(fresh(user)) == {Role.MANAGER.value}
    user.groups.clear()
    assert roles_of(fresh(user)) == frozenset()


def test_group_cleared_renamed_or_deleted_from_its_side(make_user):
    user = make_user(Role.SERVICE)
    group = Group.objects.get(name=Role.SERVICE.value)
    assert roles_of(fresh(user)) == {Role.SERVICE.value}
    group.user_set.clear()
    assert roles_of(fresh(user)) == frozenset()
    extra = Group.objects.create(name="Temp")
    extra.user_set.add(user)
    assert roles_of(fresh(user)) == {"Temp"}
    extra.name = Role.FINANCE.value + " (old)"
    extra.save()
    assert roles_of(fresh(user)) == {Role.FINANCE.value + " (old)"}
    extra.delete()
    assert roles_of(fresh(user)) == frozenset()


def test_superuser_flag_change_is_seen(make_user):
    user = make_user(None)
    assert roles_of(fresh(user)) == frozenset()
    user.is_superuser = True
    user.save()
    assert roles_of(fresh(user)) == {Role.ADMIN.value}


def test_a_cache_outage_falls_back_to_the_database(make_user, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    user = make_user(Role.FINANCE)
    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    assert roles_of(fresh(user)) == {Role.FINANCE.value}
