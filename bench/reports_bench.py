"""Time every report and role dashboard at a large data set (issue 17's target: under 1 s server
time each at 100,000 accounts and 1,000,000 transactions, with a bounded number of queries).

    DATABASE_URL=postgres://.../crm_bench python -m bench.reports_bench [--accounts 100000]
        [--transactions 1000000] [--requests 5] [--reuse] [--apps]

`--apps` also times the everyday lists of visits, service requests and contracts (issues 12-14:
pages at 100,000 accounts) and their sweeps (SLA escalations, contract statuses) once each.

It flushes the database named in DATABASE_URL and seeds it with the demo seeder (COPY), unless
`--reuse` finds accounts already there. Server time in-process with Django's test client, after
one warm-up request; queries per request counted.
"""

import argparse
import io
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TARGET_MS = 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=5, help="requests per measured page")
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    parser.add_argument("--apps", action="store_true", help="also the visits, requests and contracts lists")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from bench.http_bench import load_average

    if connection.vendor != "postgresql":
        print("bench needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False
    call_command("migrate", verbosity=0)

    from accounts.models import Account, Transaction
    from users.models import User

    if not args.reuse or not Account.objects.exists():
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)
        started = time.monotonic()
        call_command("seed_demo", accounts=args.accounts, transactions=args.transactions, stdout=io.StringIO())
        seconds = time.monotonic() - started
        print(f"seed: {args.accounts:,} accounts, {args.transactions:,} transactions in {seconds:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        from tiering.services import tiers_recompute

        started = time.monotonic()
        tiers_recompute()
        print(f"tier recompute (as the nightly run would): {time.monotonic() - started:.1f} s")

    from reports.registry import reports_in_order

    users = {name: User.objects.get(username=name) for name in ("director", "manager", "service", "finance")}
    cases = [(f"dashboard ({name})", user, "/") for name, user in users.items()]
    for report in reports_in_order():
        cases.append((f"report {report.name} (director)", users["director"], f"/reports/{report.name}/"))
        cases.append((f"report {report.name} (manager)", users["manager"], f"/reports/{report.name}/"))
    cases.append(("report churn API (director)", users["director"], "/api/reports/churn/"))
    cases.append(("report composition API (director)", users["director"], "/api/reports/composition/"))
    cases.append(("report scorecard CSV (director)", users["director"], "/reports/scorecard/?export=csv"))
    if args.apps:
        for label, url, who in APP_PAGES:
            for name in who:
                cases.append((f"{label} ({name})", users[name], url))

    rows = []
    print(f"load average before measuring: {load_average()}")
    for label, user, url in cases:
        client = Client()
        client.force_login(user, backend="users.auth.PersonBackend")
        client.get(url)  # warm up
        times, queries = [], []
        load = load_average()
        for _ in range(args.requests):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                if getattr(response, "streaming", False):
                    b"".join(response.streaming_content)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries.append(len(ctx.captured_queries))
        times.sort()
        rows.append((label, statistics.median(times), times[-1], max(queries), load))
        print(f"  {label}: median {statistics.median(times):.0f} ms, max {times[-1]:.0f} ms, {max(queries)} queries")

    print()
    print(
        f"data: {Account.objects.count():,} accounts, {Transaction.objects.count():,} transactions; "
        f"load average now: {load_average()}"
    )
    print()
    print(f"| {'what':40} | {'median ms':>9} | {'max ms':>8} | {'target':>9} | {'queries':>7} | load (1/5/15 min) |")
    print(f"|{'-' * 42}|{'-' * 11}|{'-' * 10}|{'-' * 11}|{'-' * 9}|{'-' * 19}|")
    for label, median, worst, nq, load in rows:
        verdict = "≤ 1000 " + ("ok" if median <= TARGET_MS else "NO")
        print(f"| {label:40} | {median:9.1f} | {worst:8.1f} | {verdict:>9} | {nq:7d} | {load:17} |")
    if args.apps:
        _time_sweeps(load_average)
    return 0


APP_PAGES = [
    ("visits list", "/visits/list/", ("director", "manager")),
    ("callbacks list", "/visits/callbacks/", ("director", "service")),
    ("follow-ups list", "/visits/follow-ups/", ("director", "manager")),
    ("contact overdue", "/visits/overdue/", ("director", "manager")),
    ("coverage", "/visits/coverage/", ("director",)),
    ("requests list", "/requests/", ("director", "service", "manager")),
    ("requests list, search", "/requests/?q=invoice", ("service",)),
    ("contracts list", "/contracts/", ("director", "finance", "manager")),
    ("receivables", "/contracts/receivables/", ("finance",)),
    ("payments list", "/contracts/payments/", ("finance",)),
]


def _time_sweeps(load_average) -> None:
    """The beat sweeps' bodies, once each (a first run does the work a day's data needs)."""
    from contracts.services import contracts_sweep_statuses
    from service_requests.services import escalations_sweep

    print()
    for label, fn in (("SLA escalation sweep", escalations_sweep), ("contract status sweep", contracts_sweep_statuses)):
        load = load_average()
        started = time.perf_counter()
        result = fn()
        print(f"{label}: {time.perf_counter() - started:.2f} s ({result}); load {load}")


if __name__ == "__main__":
    sys.exit(main())
