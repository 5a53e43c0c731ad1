"""Who is reminded (the rule's recipients), on which channels, and the ledger write.

Set-based: whatever the number of candidates, the people are resolved with a fixed number of
queries (team leaders, directors, finance, active users, channel choices, settings), and the
ledger rows are written in one INSERT ... ON CONFLICT DO NOTHING per batch (PostgreSQL: from
arrays with unnest; elsewhere Django's bulk_create(ignore_conflicts=True)).
"""

import json
from collections import defaultdict

from django.db import connection
from django.utils import timezone

from users.models import Team, User
from users.roles import Role

from .models import ChannelChoice, Notification, Recipient

BATCH = 20000


def _role_members(role: Role) -> set[int]:
    return set(
        User.objects.filter(groups__name=role.value, is_active=True, is_service_account=False).values_list(
            "pk", flat=True
        )
    )


class People:
    """The lookups recipients need, read once per sweep."""

    def __init__(self, codes):
        self.codes = set(codes)
        self.leaders_of_member: dict[int, set] = defaultdict(set)
        self.leader_of_team: dict[int, int] = {}
        if Recipient.TEAM_LEADER in self.codes:
            for team_id, leader_id, member_id in Team.objects.filter(leader__isnull=False).values_list(
                "pk", "leader_id", "members"
            ):
                self.leader_of_team[team_id] = leader_id
                if member_id is not None:
                    self.leaders_of_member[member_id].add(leader_id)
        self.directors = _role_members(Role.DIRECTOR) if Recipient.DIRECTORS in self.codes else set()
        self.finance = _role_members(Role.FINANCE) if Recipient.FINANCE in self.codes else set()

    def for_candidate(self, candidate) -> set[int]:
        people = candidate.people
        out: set[int] = set()
        if Recipient.OWNER in self.codes:
            out |= people.get("owner", set())
        if Recipient.ASSIGNEE in self.codes:
            out |= people.get("assignee", set())
        if Recipient.TEAM_LEADER in self.codes:
            for person in people.get("owner", set()) or people.get("assignee", set()):
                out |= self.leaders_of_member.get(person, set())
            if candidate.team_id in self.leader_of_team:
                out.add(self.leader_of_team[candidate.team_id])
        out |= self.directors
        out |= self.finance
        return out


def resolve(rule, candidates) -> list[tuple]:
    """(candidate, recipient id, in_app, email) for each person the rule reminds."""
    people = People(rule.recipients)
    pairs = [(c, uid) for c in candidates for uid in people.for_candidate(c)]
    if not pairs:
        return []
    wanted = {uid for _c, uid in pairs}
    active = dict(
        User.objects.filter(pk__in=wanted, is_active=True, is_service_account=False).values_list("pk", "email")
    )
    choices = {
        row[0]: (row[1], row[2])
        for row in ChannelChoice.objects.filter(rule=rule.code, user_id__in=active).values_list(
            "user_id", "in_app", "email"
        )
    }
    out = []
    for candidate, uid in pairs:
        if uid not in active:
            continue
        in_app, email = choices.get(uid, (True, rule.email_by_default))
        out.append((candidate, uid, in_app, bool(email and active[uid])))
    return out


def write(rule_code: str, rows: list[tuple], *, now=None) -> int:
    """Write the ledger rows (candidate, recipient, in_app, email); those already there are left as
    they are. Returns how many were new."""
    now = now or timezone.now()
    written = 0
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        if connection.vendor == "postgresql":
            written += _write_postgresql(rule_code, chunk, now)
        else:
            before = Notification.objects.filter(rule=rule_code).count()
            Notification.objects.bulk_create(
                [
                    Notification(
                        rule=rule_code,
                        subject_type=c.subject_type,
                        subject_id=c.subject_id,
                        due_on=c.due_on,
                        recipient_id=uid,
                        account_id=c.account_id,
                        data=c.data,
                        in_app=in_app,
                        email=email,
                        created_at=now,
                    )
                    for c, uid, in_app, email in chunk
                ],
                ignore_conflicts=True,
            )
            written += Notification.objects.filter(rule=rule_code).count() - before
    return written


def _write_postgresql(rule_code, chunk, now) -> int:
    """COPY the rows into a temporary table, then one INSERT ... SELECT ... ON CONFLICT DO NOTHING:
    the unique key decides, in the database, which rows are new (also against a concurrent sweep)."""
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS reminders_ledger_in")
        cursor.execute(
            "CREATE TEMP TABLE reminders_ledger_in (subject_type text, subject_id bigint, due_on date, "
            "recipient_id bigint, account_id bigint, data jsonb, in_app boolean, email boolean)"
        )
        with cursor.cursor.copy("COPY reminders_ledger_in FROM STDIN") as copy:
            for c, uid, in_app, email in chunk:
                copy.write_row(
                    (
                        c.subject_type,
                        c.subject_id,
                        c.due_on,
                        uid,
                        c.account_id,
                        json.dumps(c.data, ensure_ascii=False),
                        in_app,
                        email,
                    )
                )
        cursor.execute(
            f"INSERT INTO {table} (rule, subject_type, subject_id, due_on, recipient_id, account_id, data, "  # nosec B608: table name from model metadata; values are parameters
            "in_app, email, created_at, attempts, last_error) "
            "SELECT %s, subject_type, subject_id, due_on, recipient_id, account_id, data, in_app, email, %s, 0, '' "
            "FROM reminders_ledger_in ON CONFLICT ON CONSTRAINT notification_once DO NOTHING",
            [rule_code, now],
        )
        written = cursor.rowcount
        cursor.execute("DROP TABLE reminders_ledger_in")
        return written
