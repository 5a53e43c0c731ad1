"""The visibility policy: the one place that decides which customer records a user may see.

Every app registers a rule for each of its customer-data models (in AppConfig.ready) and
every page, API view, admin and export scopes its queries with `visible_to(user, qs)`.
A model with no rule answers nothing: the policy fails closed.

The rule of DESIGN.md:
- administrators and sales directors see everything;
- an account manager sees the accounts they own, those assigned to a team they lead, and
  those owned by members of the teams they lead (and the records hanging off them);
- customer service and finance see what the rule for that model lists in `all_roles`
  (customer service: accounts read-only and all service requests; finance: contracts and payments).
"""

import contextlib
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from core.registry import Registry

from .roles import Role


@dataclass(frozen=True)
class VisibilityRule:
    owner_path: str  # lookup from the model to the owning user, e.g. "owner" or "account__owner"
    team_path: str | None = None  # lookup to the team, e.g. "team" or "account__team"
    all_roles: frozenset = field(default_factory=lambda: frozenset({Role.ADMIN, Role.DIRECTOR}))


_RULES: Registry[VisibilityRule] = Registry("visibility rule")  # keyed by model label


def register_visibility(model_label: str, rule: VisibilityRule) -> None:
    _RULES.add(model_label, rule)


def rule_for(model) -> VisibilityRule | None:
    return _RULES.get(model._meta.label)


ROLES_CACHE_SECONDS = 60 * 60


def _roles_cache_key(user) -> str:
    # date_joined in the key: a reused primary key (a restored or recreated database) never
    # reads another user's roles
    joined = user.date_joined.timestamp() if getattr(user, "date_joined", None) else 0
    return f"crm:roles:{user.pk}:{joined:.6f}"


def _roles_from_database(user) -> frozenset[str]:
    names = set(user.groups.values_list("name", flat=True))
    if user.is_superuser:
        names.add(Role.ADMIN.value)
    return frozenset(names)


def roles_of(user) -> frozenset[str]:
    """The role names of a user: from the instance, else the shared cache, else one query.

    The cache entry is dropped when the user's groups, superuser flag or a role group change
    (`invalidate_roles`, connected in users.apps); if the cache is unreachable the groups are
    read from the database, as before."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_crm_roles", None)
    if cached is None:
        key = _roles_cache_key(user)
        try:
            stored = cache.get(key)
        except Exception:  # a cache outage must not lock anyone out
            stored = None
        if stored is None:
            cached = _roles_from_database(user)
            with contextlib.suppress(Exception):
                cache.set(key, sorted(cached), ROLES_CACHE_SECONDS)
        else:
            cached = frozenset(stored)
        user._crm_roles = cached
    return cached


def invalidate_roles(users) -> None:
    """Forget the cached roles of these users (now and again when the transaction commits,
    so a request between the change and the commit cannot keep the old roles)."""
    keys = [_roles_cache_key(u) for u in users]
    for u in users:
        u.__dict__.pop("_crm_roles", None)
    if not keys:
        return

    def drop():
        with contextlib.suppress(Exception):
            cache.delete_many(keys)

    drop()
    transaction.on_commit(drop)


def has_role(user, *roles) -> bool:
    return bool(roles_of(user) & {str(r) for r in roles})


def sees_all(user, model) -> bool:
    rule = rule_for(model)
    return rule is not None and bool(roles_of(user) & {str(r) for r in rule.all_roles})


def figures_audience(user, model) -> str:
    """The part of a cache key for figures that add up the `model` rows a user sees: "all" for
    everyone who sees every row — their figures are the same, so they share one kept entry (one
    pass over a million accounts a minute for the whole management, not one per person) — else
    the user's own id."""
    return "all" if sees_all(user, model) else f"user-{user.pk}"


def visibility_q(user, model) -> Q | None:
    """A Q that limits `model` to what `user` may see; None means "everything".

    An account manager's rule is written with the ids of `manager_scope`, not subqueries: under
    the OR the subqueries became filters PostgreSQL checks row by row, so every manager's query
    read the whole account table (a manager of 500 accounts among 1,000,000: 200 ms for the
    callback log's count, 2 ms with the ids through the owner index)."""
    rule = rule_for(model)
    roles = roles_of(user)
    if rule is None or not roles:
        return Q(pk__in=[])
    if roles & {str(r) for r in rule.all_roles}:
        return None
    if Role.MANAGER.value not in roles:
        return Q(pk__in=[])
    owners, teams = manager_scope(user)
    q = Q(**{f"{rule.owner_path}_id__in": sorted(owners)})
    if rule.team_path and teams:
        q |= Q(**{f"{rule.team_path}_id__in": sorted(teams)})
    return q


# Short: a request that read the teams just before a change committed may store the old map
# after the commit dropped it; it lives at most this long. Teams change rarely.
TEAMS_CACHE_SECONDS = 5 * 60


def _teams_cache_key() -> str:
    # per database: two databases behind one Redis (a test worker each, staging beside
    # production) never read each other's teams
    from django.db import connection

    return f"crm:team-map:v1:{connection.settings_dict['NAME']}"


_teams_version = 0  # this process's count of team changes: a scope kept on a user object is dropped


def _team_map() -> dict[int, list[tuple[int, list[int]]]]:
    """{leader id: [(team id, [member ids])]} of every team with a leader: from the shared cache
    (dropped on any change of a team or its members, `invalidate_teams`), else one query."""
    with contextlib.suppress(Exception):  # a cache outage reads the database
        stored = cache.get(_teams_cache_key())
        if stored is not None:
            return {int(leader): [(t, list(m)) for t, m in teams] for leader, teams in stored.items()}
    from .models import Team

    by_team: dict[int, tuple[int, list[int]]] = {}
    for team_id, leader_id, member_id in Team.objects.filter(leader__isnull=False).values_list(
        "pk", "leader_id", "members"
    ):
        by_team.setdefault(team_id, (leader_id, []))
        if member_id is not None:
            by_team[team_id][1].append(member_id)
    teams: dict[int, list[tuple[int, list[int]]]] = {}
    for team_id, (leader_id, members) in by_team.items():
        teams.setdefault(leader_id, []).append((team_id, sorted(members)))
    with contextlib.suppress(Exception):
        cache.set(_teams_cache_key(), teams, TEAMS_CACHE_SECONDS)
    return teams


def invalidate_teams() -> None:
    """A team, its leader or its members changed: every manager's scope is read again (now and
    when the transaction commits, so a request in between cannot keep the old teams)."""
    global _teams_version
    _teams_version += 1

    key = _teams_cache_key()

    def drop():
        with contextlib.suppress(Exception):
            cache.delete(key)

    drop()
    transaction.on_commit(drop)


def manager_scope(user) -> tuple[frozenset[int], frozenset[int]]:
    """The account manager's rule as ids: the owners (the manager and the members of the teams
    they lead) and the teams (those they lead) whose records they see. `visibility_q` writes the
    rule with them; the kept figures are summed per owner and team with them. Read from the
    shared team map (no query while it is cached), kept on the user object for the request."""
    cached = getattr(user, "_crm_scope", None)
    if cached is None or cached[0] != _teams_version:
        owners, teams = {user.pk}, set()
        for team_id, members in _team_map().get(user.pk, []):
            teams.add(team_id)
            owners.update(members)
        cached = user._crm_scope = (_teams_version, frozenset(owners), frozenset(teams))
    return cached[1], cached[2]


def visible_to(user, queryset: QuerySet) -> QuerySet:
    """Scope a queryset to what the user may see (subqueries, no extra round trip)."""
    q = visibility_q(user, queryset.model)
    return queryset if q is None else queryset.filter(q)


def get_visible_or_404(user, queryset: QuerySet, **lookup):
    """Look up one object the user may see; anything else (missing or not theirs) is a 404."""
    try:
        return visible_to(user, queryset).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc
