"""Time the opportunity pages and the selectors the reports read at a large data set (100,000
accounts, one opportunity each by default, spread over the stages and the next 12 months; a
quarter closed won or lost in the last year), with the number of queries per request.

    DATABASE_URL=postgres://.../crm_bench python -m bench.opportunities_bench [--accounts 100000]
        [--opportunities 100000] [--requests 5] [--reuse]

It flushes the database named in DATABASE_URL and seeds it with the demo seeder (COPY) and a bulk
load of opportunities and their stage changes, unless `--reuse` finds opportunities there.
"""

import argparse
import datetime
import io
import os
import statistics
import sys
import time
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TARGET_MS = 1000


def _load_opportunities(count: int) -> None:
    """Bulk rows (a benchmark's load, not a user's write: no services, no timeline)."""
    import random

    from django.utils import timezone

    from accounts.models import Account, Competitor
    from opportunities.models import Opportunity, Stage, StageChange

    rng = random.Random(16)  # nosec B311 - benchmark data
    stages = list(Stage.objects.filter(is_active=True).order_by("order"))
    open_stages = [s for s in stages if s.outcome == Stage.Outcome.OPEN]
    won = next(s for s in stages if s.outcome == Stage.Outcome.WON)
    lost = next(s for s in stages if s.outcome == Stage.Outcome.LOST)
    competitors = list(Competitor.objects.all()) or [Competitor.objects.create(name="Bench rival")]
    accounts = list(Account.objects.values_list("pk", "owner_id")[:count])
    now, today = timezone.now(), timezone.localdate()
    batch, changes = [], []
    for index in range(count):
        account_id, owner_id = accounts[index % len(accounts)]
        roll = rng.random()
        stage = won if roll < 0.12 else lost if roll < 0.25 else rng.choice(open_stages)
        closed = stage.outcome != Stage.Outcome.OPEN
        batch.append(
            Opportunity(
                account_id=account_id,
                owner_id=owner_id,
                title=f"Bench deal {index}",
                stage=stage,
                stage_entered_at=now,
                amount=Decimal(rng.randint(10, 2000) * 1000),
                probability=stage.probability,
                expected_close_on=today + datetime.timedelta(days=rng.randint(0, 365)),
                closed_on=today - datetime.timedelta(days=rng.randint(0, 364)) if closed else None,
                close_reason=rng.choice(["price", "product", "relationship"]) if closed else "",
                lost_to=rng.choice(competitors) if stage == lost else None,
            )
        )
        if len(batch) == 5000 or index == count - 1:
            made = Opportunity.objects.bulk_create(batch)
            changes = [StageChange(opportunity=o, to_stage_id=o.stage_id, changed_at=now) for o in made]
            StageChange.objects.bulk_create(changes)
            batch = []


def _load_quotes(count: int) -> int:
    """Quotes on the first `count` opportunities, in play or decided, a third of them past their
    validity date; returns how many the expiry sweep should expire."""
    import random

    from django.utils import timezone

    from opportunities.models import Opportunity, Quote

    rng = random.Random(17)  # nosec B311 - benchmark data
    today = timezone.localdate()
    statuses = [s for s, _label in Quote.Status.choices if s not in ("expired", "superseded")]
    in_play = {"draft", "pending", "approved", "sent"}
    due, batch = 0, []
    ids = list(Opportunity.objects.order_by("pk").values_list("pk", flat=True)[:count])
    for index, opportunity_id in enumerate(ids):
        status = rng.choice(statuses)
        valid_until = today + datetime.timedelta(days=rng.randint(-60, 120))
        due += status in in_play and valid_until < today
        batch.append(
            Quote(
                opportunity_id=opportunity_id,
                number=f"BENCH{index:08d}",
                status=status,
                valid_until=valid_until,
                total=Decimal("1000.00"),
            )
        )
        if len(batch) == 5000 or index == len(ids) - 1:
            Quote.objects.bulk_create(batch)
            batch = []
    return due


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=5, help="requests per measured page")
    parser.add_argument("--reuse", action="store_true", help="keep the data already loaded")
    parser.add_argument("--quotes", type=int, default=100_000, help="quotes for the expiry sweep")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.utils import timezone

    from bench.http_bench import load_average
    from bench.pages import measure_pages

    if connection.vendor != "postgresql":
        print("bench needs PostgreSQL: set DATABASE_URL", file=sys.stderr)
        return 2
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False
    # pages name their static files; the bench measures the server, not collectstatic's manifest
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)

    from accounts.models import Account
    from opportunities import selectors
    from opportunities.models import Opportunity
    from users.models import User

    if not args.reuse or not Opportunity.objects.count() > 1000:
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)
        started = time.monotonic()
        call_command("seed_demo", accounts=args.accounts, transactions=args.accounts, stdout=io.StringIO())
        print(f"seed: {args.accounts:,} accounts in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        _load_opportunities(args.opportunities)
        print(f"load: {args.opportunities:,} opportunities in {time.monotonic() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    from users.models import Team

    users = {name: User.objects.get(username=name) for name in ("director", "manager")}
    opp = Opportunity.objects.filter(account__owner=users["manager"]).order_by("pk").first()
    team = Team.objects.order_by("pk").first()
    cases = []
    for name, user in users.items():
        cases += [
            (f"board ({name})", user, "/opportunities/"),
            (f"list ({name})", user, "/opportunities/list/"),
            (f"list sorted by amount ({name})", user, "/opportunities/list/?sort=-amount"),
            (f"forecast ({name})", user, "/opportunities/forecast/"),
            (f"won/lost ({name})", user, "/opportunities/analysis/"),
            (f"API list ({name})", user, "/api/opportunities/"),
        ]
    if team is not None:  # the team filter, as a director uses it
        cases += [
            ("board, one team (director)", users["director"], f"/opportunities/?team={team.pk}"),
            ("list, one team (director)", users["director"], f"/opportunities/list/?team={team.pk}"),
            ("forecast, one team (director)", users["director"], f"/opportunities/forecast/?team={team.pk}"),
        ]
    cases.append(("opportunity page (manager)", users["manager"], f"/opportunities/{opp.pk}/"))

    rows = []
    print(f"load average before measuring: {load_average()}")
    for label, median, _p95, nq, load, worst in measure_pages(cases, requests=args.requests):
        rows.append((label, median, worst, nq, load))
        print(f"  {label}: median {median:.0f} ms, max {worst:.0f} ms, {nq} queries")

    today = timezone.localdate()
    for label, call in (
        ("selector pipeline_by_stage (director)", lambda: selectors.pipeline_by_stage(user=users["director"])),
        ("selector forecast_by_month (director)", lambda: selectors.forecast_by_month(user=users["director"])),
        (
            "selector won_lost_analysis (director)",
            lambda: selectors.won_lost_analysis(
                user=users["director"], date_from=today - datetime.timedelta(days=365), date_to=today
            ),
        ),
    ):
        times = []
        with CaptureQueriesContext(connection) as ctx:
            for _ in range(args.requests):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        rows.append(
            (label, statistics.median(times), times[-1], len(ctx.captured_queries) // args.requests, load_average())
        )
        print(f"  {label}: median {statistics.median(times):.0f} ms")

    # the nightly quote expiry sweep: the first run expires what is due, the rerun finds nothing
    from django.db import transaction

    from opportunities import services
    from opportunities.models import Quote

    if args.quotes:
        with transaction.atomic():
            Quote.objects.filter(number__startswith="BENCH").delete()
        due = _load_quotes(args.quotes)
        for label in ("quote expiry sweep (first run)", "quote expiry sweep (rerun)"):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                expired = services.quotes_expire()
                elapsed = (time.perf_counter() - started) * 1000
            rows.append((label, elapsed, elapsed, len(ctx.captured_queries), load_average()))
            print(
                f"  {label}: {expired:,} expired of {due:,} due, {elapsed:.0f} ms, {len(ctx.captured_queries)} queries"
            )
            due = 0

    print()
    print(f"data: {Account.objects.count():,} accounts, {Opportunity.objects.count():,} opportunities")
    print()
    print(f"| {'what':40} | {'median ms':>9} | {'max ms':>8} | {'target':>9} | {'queries':>7} | load (1/5/15 min) |")
    print(f"|{'-' * 42}|{'-' * 11}|{'-' * 10}|{'-' * 11}|{'-' * 9}|{'-' * 19}|")
    for label, median, worst, nq, load in rows:
        # the sweep is a nightly batch job, not a page: no page target
        verdict = "job" if "sweep" in label else "≤ 1000 " + ("ok" if median <= TARGET_MS else "NO")
        print(f"| {label:40} | {median:9.1f} | {worst:8.1f} | {verdict:>9} | {nq:7d} | {load:17} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
