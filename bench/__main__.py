"""The benchmark: seed the large data set into PostgreSQL and measure the pages and the API.

    DATABASE_URL=postgres://... python -m bench [--accounts 100000] [--transactions 1000000] [--reuse]

Prints a table of median and p95 server time and SQL queries per request. It needs a
PostgreSQL database it may wipe (it flushes the database named in DATABASE_URL first).
"""

import argparse
import io
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="requests per measured endpoint")
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    parser.add_argument("--import-rows", type=int, default=10_000, help="rows of the timed account import")
    parser.add_argument("--skip-loop", action="store_true", help="time the set-based recompute only (no slow loop)")
    args = parser.parse_args()

    import django

    from bench import import_bench, tiering_bench

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    if connection.vendor != "postgresql":
        print("bench needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False  # the bench client speaks plain HTTP
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production static storage

    from accounts.models import Account
    from users.models import User

    if not args.reuse or not Account.objects.exists():
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)
        started = time.monotonic()
        call_command("seed_demo", accounts=args.accounts, transactions=args.transactions, stdout=io.StringIO())
        print(
            f"seed: {args.accounts:,} accounts, {args.transactions:,} transactions in "
            f"{time.monotonic() - started:.1f} s"
        )

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have, after the bulk load
    rows = []
    director = User.objects.get(username="director")
    manager = User.objects.get(username="manager")
    top = Account.objects.order_by("-revenue_12m").values_list("pk", flat=True).first()
    busy = Account.objects.filter(owner=manager).order_by("-revenue_12m").values_list("pk", flat=True).first()
    cases = [
        ("account list page (director, all)", director, "/accounts/"),
        ("account list page, search", director, "/accounts/?q=华信"),
        ("account list page, filtered", director, "/accounts/?tier=vip&status=active&sort=name"),
        ("account list page (manager, own)", manager, "/accounts/"),
        ("account 360 page", director, f"/accounts/{top}/"),
        ("account 360 page (manager)", manager, f"/accounts/{busy}/"),
        ("accounts list API", director, "/api/accounts/"),
        ("accounts list API, filtered", director, "/api/accounts/?tier=vip&ordering=name"),
        ("dashboard (director)", director, "/"),
        ("dashboard (manager)", manager, "/"),
        ("tier overview (director)", director, "/tiers/"),
        ("tier overview (manager)", manager, "/tiers/"),
        ("RFM grid", director, "/tiers/rfm/"),
        ("ABC list", director, "/tiers/abc/"),
        ("tier history", director, "/tiers/changes/"),
        ("tier changes API", director, "/api/tier-changes/"),
    ]
    for label, user, url in cases:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        client.get(url)  # warm up
        times, queries = [], []
        for _ in range(args.requests):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries.append(len(ctx.captured_queries))
        times.sort()
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        rows.append((label, statistics.median(times), p95, max(queries)))

    # last: it resets every tier to small before timing a first-run recompute
    recompute = tiering_bench.run(report=print, loop=not args.skip_loop)
    imported = import_bench.run(report=print, rows=args.import_rows)

    print()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {connection.cursor().connection.info.server_version}"
    )
    print(f"data: {Account.objects.count():,} accounts")
    print()
    print(f"| {'what':42} | {'median ms':>9} | {'p95 ms':>8} | {'queries':>7} |")
    print(f"|{'-' * 44}|{'-' * 11}|{'-' * 10}|{'-' * 9}|")
    for label, median, p95, nq in rows:
        print(f"| {label:42} | {median:9.1f} | {p95:8.1f} | {nq:7d} |")
    print()
    print(f"| {'tier recompute, 100k accounts':42} | {'seconds':>9} |")
    print(f"|{'-' * 44}|{'-' * 11}|")
    first_run = f"set-based, first run ({recompute['changed']:,} changes)"
    print(f"| {first_run:42} | {recompute['set_seconds']:9.2f} |")
    print(f"| {'set-based, re-run with no new data':42} | {recompute['rerun_seconds']:9.2f} |")
    if recompute.get("loop_seconds"):
        print(f"| {'per-account Python loop':42} | {recompute['loop_seconds']:9.2f} |")
        print(f"\nloop / set-based: {recompute['ratio']:.1f}x; identical tiers: {recompute['identical']}")
    print()
    print(f"| {'account import, ' + format(imported['rows'], ',') + ' rows':42} | {'check s':>9} | {'import s':>8} |")
    print(f"|{'-' * 44}|{'-' * 11}|{'-' * 10}|")
    print(f"| {'new accounts':42} | {imported['check_new']:9.2f} | {imported['import_new']:8.2f} |")
    print(
        f"| {'changes to the same accounts':42} | {imported['check_update']:9.2f} | {imported['import_update']:8.2f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
