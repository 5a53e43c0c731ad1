"""Demo step: opportunities across the buying process for the larger demo accounts, through the
services: open ones in every stage (with back-dated stage moves, so time in stage shows), contacts
with their roles, competitors, quotes (one waiting for a discount approval, one accepted into a
draft contract), and deals won and lost over the last months with their reasons."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

TITLES = [
    "Data-centre network upgrade / 数据中心网络升级",
    "Cloud migration phase 2 / 云迁移二期",
    "Security operations centre / 安全运营中心",
    "Branch office rollout / 分支机构部署",
    "Storage expansion / 存储扩容",
    "Managed services renewal / 托管服务续约",
    "Video conferencing refresh / 视频会议更新",
    "ERP integration project / ERP 集成项目",
]
PRODUCTS = [
    ("Core switch / 核心交换机", Decimal("86000")),
    ("Access switch / 接入交换机", Decimal("6800")),
    ("Firewall / 防火墙", Decimal("42000")),
    ("Storage node / 存储节点", Decimal("125000")),
    ("Installation service (day) / 实施服务（人天）", Decimal("2500")),
    ("Support, 1 year / 一年维保", Decimal("36000")),
]


def seed_opportunities(context: dict) -> None:
    from accounts.models import Account, Competitor

    from .models import CloseReason, OpportunityContact, Stage
    from .services import (
        opportunity_contact_set,
        opportunity_create,
        opportunity_move,
        quote_accept,
        quote_create,
        quote_mark_sent,
        quote_submit,
    )

    rng = random.Random(context.get("seed", 2026) + 16)  # nosec B311 - demo data, not security
    now = timezone.now()
    today = timezone.localdate()
    stages = list(Stage.objects.filter(is_active=True).order_by("order", "pk"))
    open_stages = [s for s in stages if s.outcome == Stage.Outcome.OPEN]
    won = next((s for s in stages if s.outcome == Stage.Outcome.WON), None)
    lost = next((s for s in stages if s.outcome == Stage.Outcome.LOST), None)
    competitors = list(Competitor.objects.order_by("pk")[:6])
    if not open_stages or won is None or lost is None:
        return
    accounts = list(
        Account.objects.filter(is_archived=False, status=Account.Status.ACTIVE, owner__isnull=False)
        .select_related("owner")
        .prefetch_related("contacts")
        .order_by("-revenue_12m", "pk")[:36]
    )
    made = closed = quotes = 0
    for index, account in enumerate(accounts):
        owner = account.owner
        # the target stage: most open, spread over the process; every fourth closed
        closing = won if index % 8 == 3 else lost
        target = closing if index % 4 == 3 else open_stages[index % len(open_stages)]
        if target.outcome == Stage.Outcome.OPEN:
            path = [s for s in open_stages if s.order <= target.order]
        else:
            path = open_stages[: rng.randint(3, len(open_stages))]
        days_back = 20 * len(path) + rng.randint(5, 40)
        start = now - datetime.timedelta(days=days_back)
        amount = Decimal(rng.choice([80, 150, 240, 360, 500, 750, 1200])) * 1000
        close_on = today + datetime.timedelta(days=rng.randint(10, 180))
        account_competitors = rng.sample(competitors, k=min(len(competitors), rng.randint(0, 2)))
        opp = opportunity_create(
            actor=owner,
            account=account,
            title=TITLES[index % len(TITLES)],
            amount=amount,
            expected_close_on=close_on,
            stage=path[0],
            owner=owner,
            competitors=account_competitors,
            next_step="Technical workshop with IT / 与信息部技术交流" if index % 3 else "Send the proposal / 发送方案",
            next_step_on=today + datetime.timedelta(days=rng.randint(1, 21)),
            at=start,
        )
        made += 1
        moment = start
        for stage in path[1:]:
            moment += datetime.timedelta(days=rng.randint(8, 20))
            opp = opportunity_move(opportunity=opp, actor=owner, stage=stage, at=min(moment, now))
        contacts = list(account.contacts.all())
        roles = [OpportunityContact.Role.ECONOMIC, OpportunityContact.Role.TECHNICAL, OpportunityContact.Role.USER]
        # every fifth deal has no economic buyer linked: the page warns about the gap
        for contact, role in zip(contacts[: 3 if index % 5 else 0], roles, strict=False):
            if index % 5 == 0 and role == OpportunityContact.Role.ECONOMIC:
                continue
            opportunity_contact_set(opportunity=opp, actor=owner, contact=contact, role=role)
        if target.outcome == Stage.Outcome.OPEN and target.order >= open_stages[min(3, len(open_stages) - 1)].order:
            lines = [
                {
                    "product": p,
                    "quantity": Decimal(rng.randint(1, 6)),
                    "unit_price": price,
                    "discount_percent": Decimal(d),
                }
                for (p, price), d in zip(rng.sample(PRODUCTS, k=3), [0, 5, 15 if index % 6 == 4 else 8], strict=True)
            ]
            quote = quote_create(
                actor=owner, opportunity=opp, valid_until=today + datetime.timedelta(days=30), lines=lines
            )
            quotes += 1
            quote = quote_submit(quote=quote, actor=owner)
            if quote.status == quote.Status.APPROVED and index % 2 == 0:
                quote = quote_mark_sent(quote=quote, actor=owner)
                if index % 4 == 2 and quotes < 6:
                    quote_accept(
                        quote=quote,
                        actor=owner,
                        start_on=today + datetime.timedelta(days=14),
                        end_on=today + datetime.timedelta(days=14 + 365),
                    )
        if target.outcome != Stage.Outcome.OPEN:
            moment = min(moment + datetime.timedelta(days=rng.randint(5, 30)), now)
            if target.outcome == Stage.Outcome.WON:
                reason = rng.choice([CloseReason.RELATIONSHIP, CloseReason.PRODUCT, CloseReason.SERVICE])
                opportunity_move(opportunity=opp, actor=owner, stage=won, reason=reason, at=moment)
            else:
                reason = rng.choice(
                    [CloseReason.PRICE, CloseReason.PRICE, CloseReason.PRODUCT, CloseReason.NO_DECISION]
                )
                lost_to = None if reason == CloseReason.NO_DECISION or not competitors else rng.choice(competitors)
                if lost_to is None and reason != CloseReason.NO_DECISION:
                    reason = CloseReason.NO_DECISION
                opportunity_move(
                    opportunity=opp,
                    actor=owner,
                    stage=lost,
                    reason=reason,
                    lost_to=lost_to,
                    note="Customer chose the cheaper offer / 客户选择了更低报价" if lost_to else "",
                    at=moment,
                )
            closed += 1
    context.setdefault("summary", []).append(f"Opportunities: {made} ({closed} won or lost), {quotes} quotes")
