"""The sweeps: one set-based read per rule, over the domain apps' selectors and models.

Each sweep takes the rule (its lead time) and the moment (`now`, aware; `today` is its local date
in TIME_ZONE) and returns `Candidate`s: what to remind of (subject), the due date of the ledger
key, the account, the people involved by part (owner, assignee ...) and the data the sentence is
built from in the reader's language. Which of those people are reminded is the rule's
`recipients` (reminders/recipients.py); the ledger makes it once.

Catching up after downtime: a date-bound reminder (birthday, visit, installment due, contract
expiring) is found on any day from its reminding day up to the day itself, so a sweep that did not
run for days still finds those not yet past; state-bound ones (overdue follow-ups and
installments, accounts overdue for contact) stay found while the state lasts; event-bound ones
(escalations, tier changes) are looked for over the last CATCH_UP_DAYS days.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from lunardate import LunarDate

from accounts.birthdays import next_birthday
from accounts.models import Contact
from contracts.money import ZERO, installment_position, terms_for
from contracts.selectors import contracts_expiring, installments_due_between, installments_overdue
from service_requests.models import Escalation, ServiceRequest
from tiering.models import TierChange
from visits.models import FollowUp, Visit
from visits.selectors import accounts_overdue_for_contact, cadences

CATCH_UP_DAYS = 7


@dataclass
class Candidate:
    subject_type: str
    subject_id: int
    due_on: datetime.date
    account_id: int | None
    data: dict
    people: dict[str, set] = field(default_factory=dict)  # part -> user ids
    team_id: int | None = None


def _ids(*values) -> set:
    return {v for v in values if v is not None}


# --- birthdays ---------------------------------------------------------------------------------


def _birthday_q(days: list[datetime.date]) -> Q:
    """A superset of the contacts whose birthday falls on one of `days` (both calendars), on the
    (birth_month, birth_day) index; the exact day is decided by accounts.birthdays."""
    q = Q(pk__in=[])
    for day in days:
        q |= Q(birthday_calendar=Contact.Calendar.GREGORIAN, birth_month=day.month, birth_day=day.day)
        if day.month == 2 and day.day == 28:
            # 29 February in a common year is kept on 28 February (accounts.birthdays)
            q |= Q(birthday_calendar=Contact.Calendar.GREGORIAN, birth_month=2, birth_day=29)
        lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
        lunar_days = [lunar.day]
        if lunar.day == 29:  # a lunar month of 29 days keeps the 30th's birthdays on the 29th
            lunar_days.append(30)
        q |= Q(birthday_calendar=Contact.Calendar.LUNAR, birth_month=lunar.month, birth_day__in=lunar_days)
    return q


def _birthday_candidates(*, today: datetime.date, offsets: range) -> list[Candidate]:
    days = [today + datetime.timedelta(days=n) for n in offsets]
    if not days:
        return []
    wanted = set(days)
    rows = (
        Contact.objects.filter(is_archived=False, account__is_archived=False)
        .filter(_birthday_q(days))
        .only(
            "id",
            "name",
            "account_id",
            "birthday_calendar",
            "birth_year",
            "birth_month",
            "birth_day",
            "birth_leap_month",
            "account__name",
            "account__owner_id",
            "account__team_id",
        )
        .select_related("account")
    )
    out = []
    for contact in rows.iterator(chunk_size=5000):
        day = next_birthday(contact, today=today)
        if day not in wanted:
            continue
        out.append(
            Candidate(
                subject_type="accounts.contact",
                subject_id=contact.pk,
                due_on=day,
                account_id=contact.account_id,
                team_id=contact.account.team_id,
                people={"owner": _ids(contact.account.owner_id)},
                data={
                    "contact": contact.name,
                    "account": contact.account.name,
                    "date": day.isoformat(),
                    "days": (day - today).days,
                    "lunar": contact.birthday_calendar == Contact.Calendar.LUNAR,
                    "feb29": contact.birthday_calendar == Contact.Calendar.GREGORIAN
                    and contact.birth_month == 2
                    and contact.birth_day == 29
                    and day.day == 28,
                },
            )
        )
    return out


def birthday_upcoming(*, rule, now) -> list[Candidate]:
    today = timezone.localdate(now)
    lead = max(rule.lead_list or [3])
    return _birthday_candidates(today=today, offsets=range(1, lead + 1))


def birthday_today(*, rule, now) -> list[Candidate]:
    return _birthday_candidates(today=timezone.localdate(now), offsets=range(0, 1))


# --- follow-ups and visits (visits) ------------------------------------------------------------


def _follow_up_candidates(qs) -> list[Candidate]:
    out = []
    for f in qs.select_related("account").only(
        "id", "title", "due_on", "assignee_id", "account_id", "account__name", "account__owner_id", "account__team_id"
    ):
        out.append(
            Candidate(
                subject_type="visits.followup",
                subject_id=f.pk,
                due_on=f.due_on,
                account_id=f.account_id,
                team_id=f.account.team_id,
                people={"owner": _ids(f.account.owner_id), "assignee": _ids(f.assignee_id)},
                data={"title": f.title, "account": f.account.name, "date": f.due_on.isoformat()},
            )
        )
    return out


def follow_up_due(*, rule, now) -> list[Candidate]:
    today = timezone.localdate(now)
    return _follow_up_candidates(FollowUp.objects.filter(done_at__isnull=True, due_on=today))


def follow_up_overdue(*, rule, now) -> list[Candidate]:
    today = timezone.localdate(now)
    return _follow_up_candidates(FollowUp.objects.filter(done_at__isnull=True, due_on__lt=today))


def visit_upcoming(*, rule, now) -> list[Candidate]:
    today = timezone.localdate(now)
    lead = max(rule.lead_list or [1])
    start = timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=lead + 1), datetime.time.min))
    visits = list(
        Visit.objects.filter(
            status__in=[Visit.Status.PLANNED, Visit.Status.CONFIRMED], planned_start__gte=start, planned_start__lt=end
        )
        .select_related("account")
        .only("id", "purpose", "planned_start", "owner_id", "account_id", "account__name", "account__owner_id")
    )
    participants = defaultdict(set)
    for visit_id, user_id in Visit.participants.through.objects.filter(visit_id__in=[v.pk for v in visits]).values_list(
        "visit_id", "user_id"
    ):
        participants[visit_id].add(user_id)
    out = []
    for v in visits:
        local = timezone.localtime(v.planned_start)
        out.append(
            Candidate(
                subject_type="visits.visit",
                subject_id=v.pk,
                due_on=local.date(),
                account_id=v.account_id,
                people={"owner": _ids(v.account.owner_id), "assignee": _ids(v.owner_id) | participants[v.pk]},
                data={"purpose": v.purpose[:200], "account": v.account.name, "start": local.isoformat()},
            )
        )
    return out


# --- contracts ---------------------------------------------------------------------------------


def _contract_people(contract) -> dict:
    return {"owner": _ids(contract.owner_id or contract.account.owner_id)}


def installment_due(*, rule, now) -> list[Candidate]:
    today = timezone.localdate(now)
    lead = max(rule.lead_list or [7])
    rows = installments_due_between(start=today + datetime.timedelta(days=1), end=today + datetime.timedelta(days=lead))
    out = []
    for i in rows:
        contract = i.contract
        out.append(
            Candidate(
                subject_type="contracts.installment",
                subject_id=i.pk,
                due_on=i.due_on,
                account_id=contract.account_id,
                team_id=contract.account.team_id,
                people=_contract_people(contract),
                data={
                    "number": contract.number,
                    "account": contract.account.name,
                    "contract_id": contract.pk,
                    "date": i.due_on.isoformat(),
                    "amount": str(i.open_balance),
                    "currency": contract.currency,
                },
            )
        )
    return out


def installment_overdue(*, rule, now, exclude_ledgered: bool = True) -> list[Candidate]:
    """Open installments past due, each reminded once (the ledger key's date is the due date), with
    the late fee so far as of today. Those already in the ledger are left out in SQL, so a daily
    re-run reads only the new ones; the fee is computed for those only (one query of allocations).
    Rows are read as tuples: tens of thousands of model instances would cost more than the SQL."""
    from types import SimpleNamespace

    from django.db.models import Exists, OuterRef

    from contracts.models import Allocation

    from .models import Notification

    today = timezone.localdate(now)
    qs = installments_overdue(as_of=today, min_days=1)
    if exclude_ledgered:
        done = Notification.objects.filter(
            rule=rule.code, subject_type="contracts.installment", subject_id=OuterRef("pk"), due_on=OuterRef("due_on")
        )
        qs = qs.exclude(Exists(done))
    fields = (
        "pk",
        "due_on",
        "amount",
        "contract_id",
        "contract__number",
        "contract__currency",
        "contract__owner_id",
        "contract__late_fee_rate",
        "contract__late_fee_cap",
        "contract__grace_days",
        "contract__account_id",
        "contract__account__name",
        "contract__account__owner_id",
        "contract__account__team_id",
    )
    rows = list(qs.order_by().values_list(*fields))
    allocations = defaultdict(list)
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), 20000):
        for inst_id, received_on, amount in Allocation.objects.filter(
            installment_id__in=ids[start : start + 20000]
        ).values_list("installment_id", "received_on", "amount"):
            allocations[inst_id].append((received_on, amount))
    out = []
    terms_cache = {}
    for (
        pk,
        due_on,
        amount,
        contract_id,
        number,
        currency,
        contract_owner_id,
        rate,
        cap,
        grace,
        account_id,
        account_name,
        account_owner_id,
        team_id,
    ) in rows:
        terms = terms_cache.get(contract_id)
        if terms is None:
            terms = terms_cache[contract_id] = terms_for(
                SimpleNamespace(late_fee_rate=rate, late_fee_cap=cap, grace_days=grace)
            )
        position = installment_position(
            amount=amount, due_on=due_on, allocations=allocations[pk], as_of=today, terms=terms
        )
        if position.overdue <= ZERO:
            continue
        out.append(
            Candidate(
                subject_type="contracts.installment",
                subject_id=pk,
                due_on=due_on,
                account_id=account_id,
                team_id=team_id,
                people={"owner": _ids(contract_owner_id or account_owner_id)},
                data={
                    "number": number,
                    "account": account_name,
                    "contract_id": contract_id,
                    "date": due_on.isoformat(),
                    "open": str(position.open),
                    "fee": str(position.late_fee),
                    "days": position.days_overdue,
                    "as_of": today.isoformat(),
                    "currency": currency,
                },
            )
        )
    return out


def contract_expiring(*, rule, now) -> list[Candidate]:
    """Contracts in force ending within the largest lead (90 days by default): one reminder per
    milestone (90 / 60 / 30 days before), the latest one reached — a sweep after downtime sends
    the 60-day reminder, not the missed 90-day one as well."""
    today = timezone.localdate(now)
    offsets = sorted(rule.lead_list or [90, 60, 30])
    out = []
    for contract in contracts_expiring(as_of=today, within_days=max(offsets)):
        days_left = (contract.end_on - today).days
        milestone = next(n for n in offsets if n >= days_left)
        out.append(
            Candidate(
                subject_type="contracts.contract",
                subject_id=contract.pk,
                due_on=contract.end_on - datetime.timedelta(days=milestone),
                account_id=contract.account_id,
                team_id=contract.account.team_id,
                people=_contract_people(contract),
                data={
                    "number": contract.number,
                    "title": contract.title,
                    "account": contract.account.name,
                    "date": contract.end_on.isoformat(),
                    "days": days_left,
                    "milestone": milestone,
                },
            )
        )
    return out


# --- service requests: the escalations the SLA sweep recorded ----------------------------------


def _escalations(*, now, levels) -> list[Candidate]:
    since = now - datetime.timedelta(days=CATCH_UP_DAYS)
    rows = (
        Escalation.objects.filter(level__in=levels, created_at__gte=since, created_at__lte=now)
        .exclude(request__status__in=[ServiceRequest.Status.RESOLVED, ServiceRequest.Status.CLOSED])
        .select_related("request__account")
    )
    out = []
    for e in rows:
        request = e.request
        out.append(
            Candidate(
                subject_type="service_requests.escalation",
                subject_id=e.pk,
                due_on=timezone.localdate(e.due_at),
                account_id=request.account_id,
                team_id=request.account.team_id,
                # the person the escalation ladder chose (assignee, then team leader, then director)
                people={"owner": _ids(request.account.owner_id), "assignee": _ids(e.notified_id)},
                data={
                    "number": request.number,
                    "subject": request.subject[:200],
                    "account": request.account.name,
                    "request_id": request.pk,
                    "clock": e.clock,
                    "level": e.level,
                    "due": timezone.localtime(e.due_at).isoformat(),
                },
            )
        )
    return out


def request_at_risk(*, rule, now) -> list[Candidate]:
    return _escalations(now=now, levels=[Escalation.Level.AT_RISK])


def request_breached(*, rule, now) -> list[Candidate]:
    return _escalations(now=now, levels=[Escalation.Level.BREACHED, Escalation.Level.CRITICAL])


# --- cadence (visits) and tiers (tiering) ------------------------------------------------------


def contact_overdue(*, rule, now) -> list[Candidate]:
    """Accounts past their tier's contact cadence (visits' selector); one reminder per silence: the
    key's date is the first overdue day (the last contact + cadence + 1; for an account never
    contacted, the day it was created)."""
    today = timezone.localdate(now)
    cadence = cadences()
    rows = accounts_overdue_for_contact(today=today, cadence=cadence).only(
        "id", "name", "tier", "owner_id", "team_id", "last_contact_at", "created_at"
    )
    out = []
    for account in rows.iterator(chunk_size=5000):
        days = cadence.get(account.tier, {}).get("callback")
        if account.last_contact_at is None:
            since = timezone.localdate(account.created_at)
            silent = None
        else:
            last = timezone.localdate(account.last_contact_at)
            since = last + datetime.timedelta(days=(days or 0) + 1)
            silent = (today - last).days
        out.append(
            Candidate(
                subject_type="accounts.account",
                subject_id=account.pk,
                due_on=since,
                account_id=account.pk,
                team_id=account.team_id,
                people={"owner": _ids(account.owner_id)},
                data={"account": account.name, "days": silent, "cadence": days, "tier": account.tier},
            )
        )
    return out


def tier_changed(*, rule, now) -> list[Candidate]:
    since = now - datetime.timedelta(days=CATCH_UP_DAYS)
    rows = (
        TierChange.objects.filter(at__gte=since, at__lte=now, account__is_archived=False)
        .select_related("account")
        .only(
            "id",
            "at",
            "previous_tier",
            "new_tier",
            "kind",
            "account_id",
            "account__name",
            "account__owner_id",
            "account__team_id",
        )
    )
    out = []
    for change in rows.iterator(chunk_size=5000):
        out.append(
            Candidate(
                subject_type="tiering.tierchange",
                subject_id=change.pk,
                due_on=timezone.localdate(change.at),
                account_id=change.account_id,
                team_id=change.account.team_id,
                people={"owner": _ids(change.account.owner_id)},
                data={
                    "account": change.account.name,
                    "old": change.previous_tier,
                    "new": change.new_tier,
                    "kind": change.kind,
                },
            )
        )
    return out


# --- the churn warning (reports) ---------------------------------------------------------------


def revenue_drop(*, rule, now) -> list[Candidate]:
    """Top-50 accounts whose revenue of the last complete month fell 10% or 20% against the same
    month a year earlier (reports' churn warning); one reminder per account and month."""
    from reports.selectors import churn_warnings

    today = timezone.localdate(now)
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    out = []
    for row in churn_warnings(user=None, month=month, flagged_only=True):
        account = row.account
        drop = (row.baseline_revenue - row.month_revenue) * 100 / row.baseline_revenue if row.baseline_revenue else 0
        out.append(
            Candidate(
                subject_type="accounts.account",
                subject_id=account.pk,
                due_on=month,
                account_id=account.pk,
                team_id=account.team_id,
                people={"owner": _ids(account.owner_id)},
                data={
                    "account": account.name,
                    "month": month.isoformat(),
                    "rank": row.rank,
                    "flag": row.flag,
                    "drop": str(int(drop)),
                    "revenue": str(row.month_revenue),
                    "baseline": str(row.baseline_revenue),
                },
            )
        )
    return out
