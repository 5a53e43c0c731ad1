import pytest

from accounts.models import Account, Contact
from tests.accounts.factories import AccountFactory, ContactFactory
from tests.users.factories import TeamFactory, UserFactory
from users.models import Department
from users.roles import Role
from users.visibility import get_visible_or_404, sees_all, visible_to


@pytest.fixture
def world(db):
    leader = UserFactory(username="leader", role=Role.MANAGER)
    member = UserFactory(username="member", role=Role.MANAGER)
    outsider = UserFactory(username="outsider", role=Role.MANAGER)
    team = TeamFactory(leader=leader, members=[leader, member])
    return {
        "leader": leader,
        "member": member,
        "outsider": outsider,
        "team": team,
        "own": AccountFactory(owner=leader),
        "member_acc": AccountFactory(owner=member),
        "team_acc": AccountFactory(owner=outsider, team=team),
        "foreign": AccountFactory(owner=outsider),
    }


def names(user, qs=None):
    return set(visible_to(user, qs if qs is not None else Account.objects.all()).values_list("pk", flat=True))


def test_manager_sees_own_accounts_only(world):
    assert names(world["member"]) == {world["member_acc"].pk}
    assert names(world["outsider"]) == {world["team_acc"].pk, world["foreign"].pk}


def test_team_leader_sees_own_members_and_team_accounts(world):
    assert names(world["leader"]) == {world["own"].pk, world["member_acc"].pk, world["team_acc"].pk}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DIRECTOR, Role.SERVICE, Role.FINANCE])
def test_all_accounts_for_directors_admins_service_and_finance(world, role):
    user = UserFactory(role=role)
    assert len(names(user)) == 4
    assert sees_all(user, Account)


def test_superuser_counts_as_administrator(world):
    assert len(names(UserFactory(is_superuser=True))) == 4


def test_user_without_role_sees_nothing(world):
    assert names(UserFactory(username="norole")) == set()


def test_inactive_user_sees_nothing(world):
    user = UserFactory(role=Role.DIRECTOR, is_active=False)
    assert names(user) == set()


def test_child_records_follow_their_account(world):
    mine = ContactFactory(account=world["member_acc"])
    ContactFactory(account=world["foreign"])
    assert names(world["member"], Contact.objects.all()) == {mine.pk}


def test_model_without_a_rule_is_closed(world):
    Department.objects.create(name="X", code="x")
    assert visible_to(UserFactory(role=Role.DIRECTOR, username="d2"), Department.objects.all()).count() == 0


def test_get_visible_or_404(world):
    from django.http import Http404

    assert get_visible_or_404(world["member"], Account.objects.all(), pk=world["member_acc"].pk)
    with pytest.raises(Http404):
        get_visible_or_404(world["member"], Account.objects.all(), pk=world["foreign"].pk)


def test_scoping_adds_no_queries(world, django_assert_num_queries):
    user = world["leader"]
    user.groups.all()  # roles cached below on first use
    visible_to(user, Account.objects.all())
    with django_assert_num_queries(1):
        list(visible_to(user, Account.objects.all()))


def test_a_manager_s_rule_is_written_with_ids_the_owner_index_can_use(world):
    """Subqueries under the OR made PostgreSQL check every account row by row (a manager of 500
    accounts among 1,000,000: 200 ms for one count); the ids of the manager's scope use the
    owner and team indexes."""
    sql = str(visible_to(world["leader"], Account.objects.all()).query)
    where = sql.split("WHERE", 1)[1]
    assert "SELECT" not in where
    assert str(world["member"].pk) in where and str(world["team"].pk) in where


def test_a_team_change_reaches_the_leader_s_next_query(world):
    """The teams are kept in the shared cache and on the user object: a new member, a member
    leaving and a new leader are seen at once."""
    leader, outsider = world["leader"], world["outsider"]
    assert world["foreign"].pk not in names(leader)
    world["team"].members.add(outsider)
    assert {world["foreign"].pk, world["team_acc"].pk} <= names(leader)
    world["team"].members.remove(outsider, world["member"])
    assert world["member_acc"].pk not in names(leader) and world["foreign"].pk not in names(leader)
    world["team"].leader = outsider
    world["team"].save()
    assert names(leader) == {world["own"].pk}
    assert world["own"].pk in names(outsider)  # the leader stayed a member of the team now led by outsider


def test_the_team_map_survives_a_cache_outage(world, monkeypatch):
    from django.core.cache import cache

    from users import visibility

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    world["leader"]._crm_scope = None
    assert names(world["leader"]) == {world["own"].pk, world["member_acc"].pk, world["team_acc"].pk}
    assert visibility.manager_scope(world["member"]) == (frozenset({world["member"].pk}), frozenset())
