"""Reminders at scale: the birthday sweep over 100,000 accounts and ~300,000 contacts, and the
overdue-installment sweep over 200,000 installments, on PostgreSQL (target: each under 5 s).

    DATABASE_URL=postgres://.../crm_bench DJANGO_SECRET_KEY=x python -m bench.reminders_bench \
        [--accounts 100000] [--installments 200000] [--reuse]

It flushes the database named in DATABASE_URL (unless --reuse finds the data there), seeds the
accounts and contacts with the demo generator (2-4 contacts per account, a quarter of them with
lunar birthdays), then contracts with 10 installments each (due dates over the last 12 and the
next 6 months; a third of the past ones unpaid), and times each sweep twice: the first run writes
the ledger, the second finds everything already there (the daily re-run).
"""

import argparse
import datetime
import io
import os
import random
import sys
import time
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def seed_installments(n_installments: int, *, per_contract: int = 10) -> int:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Account
    from contracts.models import Contract, Installment

    rng = random.Random(15)  # nosec B311: repeatable bench data
    today = timezone.localdate()
    account_rows = list(Account.objects.filter(is_archived=False).values_list("pk", "owner_id"))
    n_contracts = n_installments // per_contract
    contracts = []
    for i in range(n_contracts):
        account_id, owner_id = account_rows[i % len(account_rows)]
        contracts.append(
            Contract(
                number=f"BR{i:08d}",
                account_id=account_id,
                owner_id=owner_id,
                title=f"Bench contract {i}",
                value=Decimal("120000.00"),
                start_on=today - datetime.timedelta(days=365),
                end_on=today + datetime.timedelta(days=rng.randint(30, 700)),
                status=Contract.Status.ACTIVE,
            )
        )
    with transaction.atomic():
        Contract.objects.bulk_create(contracts, batch_size=5000)
        ids = list(Contract.objects.filter(number__startswith="BR").values_list("pk", flat=True))
        rows = []
        for contract_id in ids:
            for k in range(per_contract):
                due = today - datetime.timedelta(days=365) + datetime.timedelta(days=54 * k + rng.randint(0, 20))
                paid = due < today and rng.random() < 0.67
                rows.append(
                    Installment(
                        contract_id=contract_id,
                        due_on=due,
                        amount=Decimal("12000.00"),
                        paid_amount=Decimal("12000.00") if paid else Decimal("0"),
                        paid_on=due if paid else None,
                    )
                )
        Installment.objects.bulk_create(rows, batch_size=10000)
    return len(rows)


def timed(label, fn):
    """Wall time, and this process's CPU time (the database's own work is the difference, together
    with waiting for a core on a shared machine)."""
    started, cpu = time.monotonic(), time.process_time()
    result = fn()
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    print(f"  {label:<52} {elapsed:7.2f} s {cpu:7.2f} s   {result:>9,}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--installments", type=int, default=200_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    if connection.vendor != "postgresql":
        print("bench needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    from accounts.models import Account, Contact
    from contracts.models import Installment
    from reminders.models import Notification
    from reminders.services import rule_sweep, rules_ensure_defaults

    if not args.reuse or not Account.objects.exists():
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)
        started = time.monotonic()
        call_command("seed_demo", accounts=args.accounts, transactions=args.accounts, stdout=io.StringIO())
        print(f"seed: {args.accounts:,} accounts in {time.monotonic() - started:.1f} s")
    if not Installment.objects.filter(contract__number__startswith="BR").exists():
        started = time.monotonic()
        made = seed_installments(args.installments)
        print(f"seed: {made:,} installments in {time.monotonic() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    rules_ensure_defaults()  # a flush removed the data migration's rows
    Notification.objects.filter(rule__in=["birthday_upcoming", "birthday_today", "installment_overdue"]).delete()

    today = timezone.localdate()
    now = timezone.now()
    overdue = Installment.objects.filter(paid_on__isnull=True, due_on__lt=today).count()
    print(
        f"data: {Account.objects.count():,} accounts, {Contact.objects.count():,} contacts, "
        f"{Installment.objects.count():,} installments ({overdue:,} overdue); today {today}"
    )
    print("load average (1 / 5 / 15 min): " + " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"  {'sweep':<52} {'wall':>9} {'py CPU':>9}   {'reminders':>9}")
    results = {}
    for code in ("birthday_upcoming", "birthday_today", "installment_overdue"):
        results[(code, 1)] = timed(f"{code}, first run", lambda c=code: rule_sweep(code=c, now=now, deliver=False))
        results[(code, 2)] = timed(
            f"{code}, again (nothing new)", lambda c=code: rule_sweep(code=c, now=now, deliver=False)
        )
    worst = max(results.values())
    print(f"slowest sweep: {worst:.2f} s (target < 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
