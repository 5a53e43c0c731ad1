"""Demo step: approval rules and contracts for the larger demo accounts, through the services:
some in force and paid, some overdue (with late fees), some expiring, drafts and approvals waiting."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

CONTRACT_TITLES = [
    ("sales", "Annual supply of network equipment / 年度网络设备采购"),
    ("service", "Managed services and support / 托管运维服务"),
    ("framework", "Framework agreement 2026 / 2026 年框架协议"),
    ("supply", "Cloud capacity supply / 云资源供应"),
]


def seed_contracts(context: dict) -> None:
    from accounts.models import Account

    from .models import ApprovalRule, ApprovalStep, Contract, Payment
    from .services import (
        approval_decide,
        contract_create,
        contract_submit,
        contract_terminate,
        payment_record,
        payment_void,
        schedule_generate_even,
    )

    rng = random.Random(context.get("seed", 2026) + 14)  # nosec B311 - demo data, not security
    users = context.get("users") or {}
    finance, director = users.get("finance"), users.get("director")
    if not ApprovalRule.objects.exists():
        ApprovalRule.objects.create(name="Finance review / 财务审核", approver_role=ApprovalRule.ApproverRole.FINANCE)
        ApprovalRule.objects.create(
            name="Director above ¥500,000 / 50 万元以上总监审批",
            min_value=Decimal("500000"),
            approver_role=ApprovalRule.ApproverRole.DIRECTOR,
        )
    if finance is None or director is None:
        return
    today = timezone.localdate()
    accounts = list(
        Account.objects.filter(is_archived=False, status=Account.Status.ACTIVE, owner__isnull=False)
        .select_related("owner")
        .order_by("-revenue_12m", "pk")[:40]
    )
    made = overdue = 0
    for index, account in enumerate(accounts):
        kind, title = CONTRACT_TITLES[index % len(CONTRACT_TITLES)]
        value = Decimal(rng.choice([120, 240, 360, 480, 600, 960, 1200])) * 1000
        months_ago = rng.randint(2, 14)
        start = today - datetime.timedelta(days=30 * months_ago)
        end = start + datetime.timedelta(days=365)
        if index % 10 == 7:  # ends soon: expiring
            end = today + datetime.timedelta(days=rng.randint(5, 25))
        contract = contract_create(
            actor=account.owner,
            account=account,
            type=kind,
            title=title,
            value=value,
            signed_on=start - datetime.timedelta(days=7),
            start_on=start,
            end_on=end,
            auto_renew=index % 4 == 0,
            grace_days=5 if index % 3 == 0 else None,
        )
        made += 1
        if index % 10 == 9:  # stays a draft
            continue
        contract_submit(contract=contract, actor=account.owner)
        if index % 10 == 8:  # waits for approval
            continue
        steps = list(contract.approvals.filter(decision=ApprovalStep.Decision.PENDING))
        if index == 6:
            approval_decide(
                step=steps[0],
                actor=finance if steps[0].approver_role == "Finance" else director,
                approve=False,
                comment="Payment terms missing the late-fee clause / 缺少滞纳金条款",
            )
            continue
        for step in steps:
            approval_decide(step=step, actor=finance if step.approver_role == "Finance" else director, approve=True)
        contract.refresh_from_db()
        schedule_generate_even(
            contract=contract, actor=finance, count=4, first_due_on=start + datetime.timedelta(days=30), every_months=3
        )
        # payments: most pay on time; every fourth is behind (overdue); one overpaid
        for n, inst in enumerate(contract.installments.filter(due_on__lte=today).order_by("due_on")):
            behind = index % 4 == 1
            if behind and n >= 1:
                overdue += 1
                break
            amount = inst.amount if not (behind and n == 0) else (inst.amount / 2).quantize(Decimal("0.01"))
            received = min(today, inst.due_on + datetime.timedelta(days=rng.choice([0, 0, 3, 12])))
            payment_record(
                actor=finance,
                contract=contract,
                received_on=received,
                amount=amount + (Decimal("5000") if index == 2 and n == 0 else 0),
                method=Payment.Method.BANK,
                reference=f"DEMO-{contract.number}-{n + 1}",
            )
        if index == 3:  # a payment keyed in twice, voided by finance (the page shows it struck through)
            duplicate, _created = payment_record(
                actor=finance,
                contract=contract,
                received_on=min(today, contract.start_on),
                amount=Decimal("1000.00"),
                method=Payment.Method.BANK,
                reference=f"DEMO-{contract.number}-DUP",
            )
            payment_void(
                actor=finance,
                payment=duplicate,
                expected_version=duplicate.version,
                reason="Keyed in twice from the same bank slip / 同一银行回单重复录入",
            )
        if index == 5:
            contract.refresh_from_db()
            contract_terminate(
                contract=contract,
                actor=director,
                expected_version=contract.version,
                reason="Customer merged into its group parent / 客户并入集团母公司",
            )
    context.setdefault("summary", []).append(
        f"Contracts: {made} ({Contract.objects.filter(status=Contract.Status.PENDING).count()} awaiting approval, "
        f"{overdue} with overdue installments)"
    )
