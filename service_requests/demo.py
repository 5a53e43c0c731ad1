"""Demo data: a few hundred service requests over the last 60 days in every state, opened and moved
through the services (so their clocks, events and escalations are real), at the times they happened."""

import datetime
import random
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone

from accounts.models import Account, Contact

from . import services
from .models import ServiceCalendar, ServiceRequest

SUBJECTS = [
    ("fault", "专线中断 Leased line down"),
    ("fault", "网速慢 Slow connection"),
    ("consultation", "咨询账单明细 Question about the bill"),
    ("consultation", "咨询新套餐 Asking about a new package"),
    ("complaint", "装维人员迟到 Engineer came late"),
    ("complaint", "重复扣费 Charged twice"),
    ("other", "发票邮寄地址 Invoice mailing address"),
]
CHANGES = [
    ("rename", {"new_name": "{name}（新）"}),
    ("relocation", {"new_address": "新址 New site, Building 3"}),
    ("capacity", {"new_capacity": "1 Gbps"}),
]
MAX_REQUESTS = 120  # through the services, so each costs a few dozen queries


@contextmanager
def _at(moment: datetime.datetime):
    """Run the services as if it were `moment` (demo history only)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def seed_service_requests(context: dict) -> None:
    rng = random.Random(13)  # nosec B311 - demo data, not security
    users = context.get("users") or {}
    departments = context.get("departments") or {}
    service_dept = departments.get("service")
    network_dept = departments.get("network")
    if network_dept is not None:
        ServiceCalendar.objects.get_or_create(department=network_dept, defaults={"business_hours": True})
    agent = users.get("service")
    actor = agent or users.get("admin")
    if actor is None or service_dept is None:
        return
    accounts = list(Account.objects.filter(is_archived=False, status="active").order_by("-revenue_12m")[:MAX_REQUESTS])
    if not accounts:
        return
    contacts = {}
    for contact in Contact.objects.filter(account__in=accounts, is_archived=False).order_by("-is_primary"):
        contacts.setdefault(contact.account_id, contact)
    now = timezone.now()
    count = min(MAX_REQUESTS, len(accounts))
    for i in range(count):
        account = rng.choice(accounts)
        received = now - datetime.timedelta(minutes=rng.randint(10, 60 * 24 * 60))
        category, subject = rng.choice(SUBJECTS)
        extra = {}
        if i % 25 == 0:
            kind, fields = rng.choice(CHANGES)
            category = "change"
            extra = {"change_kind": kind, **{k: v.format(name=account.name) for k, v in fields.items()}}
            subject = {"rename": "更名 Rename", "relocation": "迁移 Relocation", "capacity": "扩容 Capacity"}[kind]
        with _at(received):
            sr = services.request_open(
                actor=actor,
                account=account,
                subject=subject,
                contact=contacts.get(account.pk),
                channel=rng.choice(["phone", "phone", "callback", "email", "visit", "api"]),
                category=category,
                priority=rng.choice(["normal", "normal", "normal", "high", "low", "urgent"]),
                description="",
                **extra,
            )
        _advance(sr, rng=rng, actor=actor, departments=[service_dept, network_dept or service_dept], now=now)
    services.escalations_sweep(now=now)


def _advance(sr: ServiceRequest, *, rng, actor, departments, now) -> None:
    """Move a request along as people would have, each step some minutes or hours after the last."""
    moment = sr.received_at
    age_hours = (now - moment).total_seconds() / 3600
    steps = 0 if age_hours < 2 else rng.choice([1, 2, 3, 4, 4, 5, 5, 5]) if age_hours > 72 else rng.choice([0, 1, 2])

    def later(max_hours):
        nonlocal moment
        moment = min(now, moment + datetime.timedelta(minutes=rng.randint(5, int(max_hours * 60))))
        return moment

    if steps >= 1:
        with _at(later(rng.choice([1, 3, 30]))):
            services.request_assign(
                request=sr, actor=actor, department=rng.choice(departments), assignee=actor, expected_version=sr.version
            )
    if steps >= 2:
        with _at(later(rng.choice([1, 4, 10]))):
            services.request_transition(request=sr, actor=actor, to="in_progress", expected_version=sr.version)
    if steps == 3 and rng.random() < 0.5:
        with _at(later(4)):
            services.request_transition(request=sr, actor=actor, to="waiting", expected_version=sr.version)
    if steps >= 4:
        with _at(later(rng.choice([6, 24, 80]))):
            services.request_transition(
                request=sr,
                actor=actor,
                to="resolved",
                expected_version=sr.version,
                resolution="已处理 Fixed and confirmed with the customer.",
            )
    if steps >= 5:
        with _at(later(24)):
            services.request_transition(
                request=sr,
                actor=actor,
                to="closed",
                expected_version=sr.version,
                customer_informed=True,
                rating=rng.choice([3, 4, 4, 5, 5, 5, 2]),
            )
