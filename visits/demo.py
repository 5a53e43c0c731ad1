"""Demo data: a year of visits and callbacks by tier cadence, a few notes and follow-ups, the
coverage targets, and each account's last contact. Written with COPY (core.bulk), like accounts."""

import datetime
import random
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, AccountEvent, Contact
from core.bulk import bulk_insert, next_id, reset_sequence

from .models import Callback, CoverageTarget, FollowUp, Note, Visit

# per year: (callbacks, visits) by tier
RATES = {"vip": (24, 10), "regular": (10, 4), "small": (3, 1)}
MAX_CALLBACKS = 150_000  # the benchmark's 100k accounts: keep seeding within a minute
PURPOSES = [
    "季度业务回顾 Quarterly business review",
    "新产品介绍 New product briefing",
    "续约洽谈 Renewal talks",
    "专线扩容需求调研 Bandwidth upgrade survey",
    "高层拜访 Executive visit",
    "故障复盘 Outage review",
    "年度合作规划 Annual planning",
]
OUTCOMES = [
    "客户认可服务质量，计划扩容。Happy with service; plans to expand.",
    "提出发票流程问题，已记录。Raised invoicing issues; noted.",
    "同意下月签署续约。Agreed to sign the renewal next month.",
    "需要技术方案，安排工程师跟进。Needs a technical proposal; engineer to follow up.",
    "竞争对手报价更低，需要申请优惠。Competitor is cheaper; ask for a discount.",
]
SUMMARIES = [
    "满意，无新需求。Satisfied, nothing new.",
    "询问账单明细。Asked about bill details.",
    "希望提高响应速度。Wants faster response.",
    "反馈网络稳定。Network stable.",
    "咨询新套餐。Asked about new packages.",
    "提出投诉：上周断网两次。Complaint: two outages last week.",
]
# the event kind's first part -> (the subject's model, the key of its id in the event's data)
SUBJECTS = {
    "visit": ("visit", "visit"),
    "callback": ("callback", "callback"),
    "followup": ("followup", "follow_up"),
    "note": ("note", "note"),
}
MATERIALS = ["产品手册 brochures", "茶叶礼盒 tea gift box", "样机 demo unit", ""]


def seed_visits(context: dict) -> None:
    rng = random.Random(context.get("seed", 2026) + 7)  # nosec B311 - demo data, not security
    users = context.get("users") or {}
    managers = context.get("managers") or []
    service_user = users.get("service")
    now = timezone.now()
    year_ago = now - datetime.timedelta(days=365)
    accounts = list(Account.objects.filter(is_archived=False).values_list("id", "tier", "owner_id", "name"))
    if not accounts:
        return
    contacts: dict[int, list[tuple[int, str]]] = {}
    for cid, account_id, name in Contact.objects.filter(is_archived=False).values_list("id", "account_id", "name"):
        contacts.setdefault(account_id, []).append((cid, name))
    expected = sum(RATES.get(tier, (2, 1))[0] for _id, tier, _o, _n in accounts)
    scale = min(1.0, MAX_CALLBACKS / max(1, expected))
    # about one account in eight has gone quiet lately: the overdue list and worklist have work
    quiet = {a[0] for a in accounts if rng.random() < 0.12}
    manager_ids = [m.pk for m in managers]

    with transaction.atomic():
        vid, cbid, fid, nid, eid = (next_id(m) for m in (Visit, Callback, FollowUp, Note, AccountEvent))
        visit_rows, visit_contacts, callback_rows, follow_rows, note_rows, event_rows = [], [], [], [], [], []
        last_contact: dict[int, datetime.datetime] = {}

        def event(account_id, at, kind, data, actor_id):
            nonlocal eid
            model, key = SUBJECTS[kind.split(".")[0]]
            event_rows.append((eid, account_id, at, kind, data, actor_id, f"visits.{model}", data[key]))
            eid += 1

        for account_id, tier, owner_id, _name in accounts:
            n_callbacks, n_visits = RATES.get(tier, (2, 1))
            people = contacts.get(account_id, [])
            quiet_since = now - datetime.timedelta(days=rng.randint(40, 200)) if account_id in quiet else now
            owner = owner_id or (rng.choice(manager_ids) if manager_ids else None)
            # callbacks spread over the year
            count = max(0, round(n_callbacks * scale * rng.uniform(0.7, 1.2)))
            for _ in range(count):
                at = year_ago + datetime.timedelta(
                    seconds=rng.randint(0, int((quiet_since - year_ago).total_seconds()))
                )
                at = timezone.localtime(at).replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59), second=0)
                if at.weekday() >= 5:  # the service desk calls on working days
                    at -= datetime.timedelta(days=at.weekday() - 4)
                if at > now:
                    continue
                contact_id, contact_name = rng.choice(people) if people else (None, "")
                summary = rng.choice(SUMMARIES)
                problem = "投诉" in summary or rng.random() < 0.03
                score = rng.choices([None, 2, 3, 4, 5], [30, 5, 15, 30, 20])[0]
                by = service_user.pk if service_user and rng.random() < 0.75 else owner
                recent = (now - at).days < 5
                status = (
                    Callback.ProblemStatus.OPEN
                    if problem and recent
                    else Callback.ProblemStatus.RESOLVED
                    if problem
                    else ""
                )
                kind = (
                    "callback"
                    if by == (service_user.pk if service_user else None)
                    else rng.choice(["callback", "call"])
                )
                channel = rng.choices(["phone", "wechat", "visit", "email"], [70, 20, 5, 5])[0]
                callback_rows.append(
                    (
                        cbid,
                        account_id,
                        contact_id,
                        kind,
                        channel,
                        at,
                        summary,
                        score,
                        problem,
                        summary if problem else "",
                        status,
                        None,
                        by,
                        now,
                    )
                )
                event(
                    account_id,
                    at,
                    "callback.logged",
                    {
                        "callback": cbid,
                        "kind": kind,
                        "channel": channel,
                        "contact": contact_name,
                        "met_contacts": [contact_id] if contact_id else [],
                        "summary": summary,
                        "problem": problem,
                    },
                    by,
                )
                if problem and recent and owner:
                    due = timezone.localdate(at + datetime.timedelta(hours=24))
                    title = f"Problem raised on a callback: {summary}"
                    follow_rows.append(
                        (fid, account_id, title, summary, owner, due, None, None, None, cbid, by, 1, now, now)
                    )
                    event(
                        account_id,
                        at,
                        "followup.created",
                        {"follow_up": fid, "title": title, "due": due.isoformat(), "assignee": ""},
                        by,
                    )
                    fid += 1
                last_contact[account_id] = max(last_contact.get(account_id, at), at)
                cbid += 1
            # visits: past ones mostly done, some cancelled or missed; a few ahead
            count = max(0, round(n_visits * scale * rng.uniform(0.6, 1.3)))
            future = rng.random() < {"vip": 0.8, "regular": 0.4}.get(tier, 0.1)
            for k in range(count + (1 if future else 0)):
                if k == count:  # the one ahead
                    start = now + datetime.timedelta(days=rng.randint(1, 30))
                else:
                    start = year_ago + datetime.timedelta(
                        seconds=rng.randint(0, int((quiet_since - year_ago).total_seconds()))
                    )
                start = timezone.localtime(start).replace(
                    hour=rng.choice([9, 10, 14, 15, 16]), minute=0, second=0, microsecond=0
                )
                if start.weekday() >= 5:  # visits happen on working days
                    start += datetime.timedelta(days=7 - start.weekday())
                end = start + datetime.timedelta(hours=rng.choice([1, 1, 2]))
                purpose = rng.choice(PURPOSES)
                kind = rng.choices(["on_site", "phone", "video", "event"], [70, 10, 15, 5])[0]
                materials = rng.choice(MATERIALS)
                cost = Decimal(rng.choice([0, 0, 200, 500, 1200])) if materials else Decimal("0")
                lead = owner or (rng.choice(manager_ids) if manager_ids else None)
                if lead is None:
                    continue
                if start > now:
                    status = rng.choice(["planned", "confirmed"])
                    happened = outcome = None
                    score = None
                else:
                    status = rng.choices(["done", "cancelled", "missed"], [88, 8, 4])[0]
                    happened = start if status == "done" else None
                    outcome = rng.choice(OUTCOMES) if status == "done" else ""
                    score = rng.choices([None, 3, 4, 5], [20, 20, 35, 25])[0] if status == "done" else None
                reason = {"cancelled": "客户临时有会 Customer had a meeting", "missed": "航班延误 Flight delayed"}.get(
                    status, ""
                )
                next_step = "发送方案 Send the proposal" if status == "done" and rng.random() < 0.4 else ""
                follow_on = timezone.localdate(start) + datetime.timedelta(days=7) if next_step else None
                visit_rows.append(
                    (
                        vid,
                        account_id,
                        lead,
                        kind,
                        purpose,
                        start,
                        end,
                        "",
                        materials,
                        cost,
                        "",
                        status,
                        reason,
                        start - datetime.timedelta(days=2) if status in ("confirmed", "done") else None,
                        happened,
                        outcome or "",
                        score,
                        "",
                        "",
                        None,
                        next_step,
                        follow_on,
                        lead if status == "done" else None,
                        happened,
                        lead,
                        1,
                        start - datetime.timedelta(days=7),
                        now,
                    )
                )
                met = rng.choice(people)[0] if people else None
                if met is not None:
                    visit_contacts.append((vid, met))
                if status == "done":
                    event(
                        account_id,
                        happened,
                        "visit.done",
                        {
                            "visit": vid,
                            "purpose": purpose,
                            "kind": kind,
                            "outcome": outcome,
                            "satisfaction": score,
                            "met_contacts": [met] if met is not None else [],
                        },
                        lead,
                    )
                    last_contact[account_id] = max(last_contact.get(account_id, happened), happened)
                    if next_step:
                        done_at = (
                            None
                            # the last weeks' next steps are still open (some overdue), and a few older ones
                            if follow_on >= timezone.localdate() - datetime.timedelta(days=14) or rng.random() < 0.04
                            else happened + datetime.timedelta(days=6)
                        )
                        follow_rows.append(
                            (
                                fid,
                                account_id,
                                next_step,
                                "",
                                lead,
                                follow_on,
                                done_at,
                                lead if done_at else None,
                                vid,
                                None,
                                lead,
                                1,
                                now,
                                now,
                            )
                        )
                        event(
                            account_id,
                            happened,
                            "followup.created",
                            {"follow_up": fid, "title": next_step, "due": follow_on.isoformat(), "assignee": ""},
                            lead,
                        )
                        fid += 1
                elif status in ("cancelled", "missed"):
                    event(
                        account_id, start, f"visit.{status}", {"visit": vid, "purpose": purpose, "reason": reason}, lead
                    )
                else:
                    event(
                        account_id,
                        now,
                        "visit.planned",
                        {"visit": vid, "purpose": purpose, "kind": kind, "start": start.isoformat()},
                        lead,
                    )
                vid += 1
            if rng.random() < 0.2 and owner:
                at = now - datetime.timedelta(days=rng.randint(1, 300))
                body = rng.choice(
                    [
                        "客户新任CIO上任 New CIO appointed",
                        "下季度预算收紧 Budget tighter next quarter",
                        "客户搬迁新办公楼 Moving offices",
                    ]
                )
                note_rows.append((nid, account_id, body, at, owner, now))
                event(account_id, at, "note.added", {"note": nid, "body": body}, owner)
                nid += 1

        bulk_insert(
            Visit,
            [
                "id",
                "account_id",
                "owner_id",
                "kind",
                "purpose",
                "planned_start",
                "planned_end",
                "location",
                "materials",
                "materials_cost",
                "preparation",
                "status",
                "status_reason",
                "confirmed_at",
                "happened_at",
                "outcome",
                "satisfaction",
                "suggestions",
                "needs",
                "feedback_id",
                "next_step",
                "follow_up_on",
                "recorded_by_id",
                "recorded_at",
                "created_by_id",
                "version",
                "created_at",
                "updated_at",
            ],
            visit_rows,
        )
        bulk_insert(Visit.contacts.through, ["visit_id", "contact_id"], visit_contacts)
        bulk_insert(
            Callback,
            [
                "id",
                "account_id",
                "contact_id",
                "kind",
                "channel",
                "occurred_at",
                "summary",
                "satisfaction",
                "problem_raised",
                "problem",
                "problem_status",
                "feedback_id",
                "created_by_id",
                "created_at",
            ],
            callback_rows,
        )
        bulk_insert(
            FollowUp,
            [
                "id",
                "account_id",
                "title",
                "notes",
                "assignee_id",
                "due_on",
                "done_at",
                "done_by_id",
                "visit_id",
                "callback_id",
                "created_by_id",
                "version",
                "created_at",
                "updated_at",
            ],
            follow_rows,
        )
        bulk_insert(Note, ["id", "account_id", "body", "occurred_at", "created_by_id", "created_at"], note_rows)
        bulk_insert(
            AccountEvent,
            ["id", "account_id", "occurred_at", "kind", "data", "actor_id", "subject_type", "subject_id"],
            event_rows,
        )
        for model in (Visit, Callback, FollowUp, Note, AccountEvent):
            reset_sequence(model)
        # the last contact is what the visits and callbacks say (set-based: one UPDATE per batch)
        Account.objects.filter(is_archived=False).update(last_contact_at=None)
        items = sorted(last_contact.items())
        for start in range(0, len(items), 5000):
            chunk = items[start : start + 5000]
            _update_last_contact(chunk)
        for dimension, value, percent in [
            ("tier", "vip", "100"),
            ("tier", "regular", "50"),
            ("tier", "small", "10"),
            ("category", "group", "30"),
            ("category", "important", "50"),
            ("category", "", "20"),
            ("owner", "", "40"),
        ]:
            CoverageTarget.objects.update_or_create(
                dimension=dimension, value=value, defaults={"percent": Decimal(percent)}
            )
    context.setdefault("summary", []).append(
        f"Visits: {len(visit_rows):,}; callbacks: {len(callback_rows):,}; follow-ups: {len(follow_rows):,}"
    )


def _update_last_contact(chunk) -> None:
    if not chunk:
        return
    qn = connection.ops.quote_name
    table = qn(Account._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(chunk))
    params = [p for pair in chunk for p in pair]
    if connection.vendor == "postgresql":
        sql = (
            f"UPDATE {table} AS a SET last_contact_at = v.at::timestamptz "  # nosec B608 - built from this module's constants; values are bound parameters
            f"FROM (VALUES {values}) AS v(id, at) WHERE a.id = v.id::bigint"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    else:
        for account_id, at in chunk:
            Account.objects.filter(pk=account_id).update(last_contact_at=at)
