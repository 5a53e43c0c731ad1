"""Keep the cached roles (users.visibility.roles_of) and teams (users.visibility.manager_scope)
true to the database.

A user's roles change when their groups change (from either side of the relation), when a
role group is renamed or deleted, or when the superuser flag changes. The grants of each role
are the `users.roles.ROLE_GRANTS` table in code, so they change only with a deploy."""

from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from .models import Team, User
from .visibility import invalidate_roles, invalidate_teams


def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if not reverse:  # user.groups.add(...)
        invalidate_roles([instance])
    elif action == "pre_clear":  # group.user_set.clear()
        invalidate_roles(list(instance.user_set.all()))
    else:  # group.user_set.add(...)
        invalidate_roles(list(User.objects.filter(pk__in=pk_set)))


def _user_saved(sender, instance, created, **kwargs):
    if not created:
        invalidate_roles([instance])


def _group_changed(sender, instance, **kwargs):
    if instance.pk:
        invalidate_roles(list(instance.user_set.all()))


def _teams_changed(sender, **kwargs):
    # a team's leader or members (either side of the relation), a team or a user gone
    if kwargs.get("action", "post_").startswith("post_"):
        invalidate_teams()


def connect() -> None:
    m2m_changed.connect(_groups_changed, sender=User.groups.through, dispatch_uid="users.roles_cache.groups")
    post_save.connect(_user_saved, sender=User, dispatch_uid="users.roles_cache.user")
    post_save.connect(_group_changed, sender=Group, dispatch_uid="users.roles_cache.group_saved")
    pre_delete.connect(_group_changed, sender=Group, dispatch_uid="users.roles_cache.group_deleted")
    post_save.connect(_teams_changed, sender=Team, dispatch_uid="users.teams_cache.team_saved")
    post_delete.connect(_teams_changed, sender=Team, dispatch_uid="users.teams_cache.team_deleted")
    post_delete.connect(_teams_changed, sender=User, dispatch_uid="users.teams_cache.user_deleted")
    m2m_changed.connect(_teams_changed, sender=Team.members.through, dispatch_uid="users.teams_cache.members")
