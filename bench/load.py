"""Load profile: mixed traffic at a fixed arrival rate against gunicorn, with Locust (headless).

    DATABASE_URL=postgres://.../crm_load python -m bench.load [--accounts 20000] [--rate 10]
        [--minutes 10] [--users 20] [--workers 2]

Prepares the database named in DATABASE_URL (migrates; loads demo data with `--accounts`
accounts when it has none), starts gunicorn with config/gunicorn.conf.py on a free port, runs
bench/locustfile.py for the given time and prints: requests, errors, p50/p95/p99 overall and per
request kind, p95 over each third of the run (drift), and the web workers' memory (RSS) at boot,
after a warm-up minute, through the run and at the end. Needs `pip install locust` (not a dependency of the product).
"""

import argparse
import csv
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> list[float]:
    import psutil

    parent = psutil.Process(pid)
    return [round(p.memory_info().rss / 2**20, 1) for p in parent.children(recursive=True)]


def _prepare(accounts: int, transactions: int, password: str) -> str:
    """Migrate, seed if empty, and answer the API token of the load test's integration."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from accounts.models import Account
    from users.models import User
    from users.roles import Role

    call_command("migrate", verbosity=0)
    if not Account.objects.exists():
        started = time.monotonic()
        call_command("seed_demo", accounts=accounts, transactions=transactions)
        print(f"seeded {accounts:,} accounts, {transactions:,} transactions in {time.monotonic() - started:.0f} s")
    for user in User.objects.filter(username__in=["director", "manager", "wang.wei", "chen.jie"]):
        user.set_password(password)
        user.save(update_fields=["password"])
    bot, _ = User.objects.get_or_create(username="loadbench", defaults={"is_service_account": True})
    from django.contrib.auth.models import Group

    bot.groups.add(Group.objects.get(name=Role.FINANCE.value))
    token, _ = Token.objects.get_or_create(user=bot)
    call_command("collectstatic", interactive=False, verbosity=0)
    return token.key


def _read_stats(prefix: str) -> tuple[dict, list[dict]]:
    with open(f"{prefix}_stats.csv") as fh:
        rows = list(csv.DictReader(fh))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return total, [r for r in rows if r["Name"] != "Aggregated"]


def _drift(prefix: str) -> list[str]:
    """p95 (Locust's rolling window) in each third of the run."""
    with open(f"{prefix}_stats_history.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r["Name"] == "Aggregated" and r["95%"] not in ("N/A", "0", "")]
    if len(rows) < 3:
        return []
    third = len(rows) // 3
    parts = [rows[:third], rows[third : 2 * third], rows[2 * third :]]
    out = []
    for part in parts:
        values = sorted(float(r["95%"]) for r in part)
        out.append(f"{values[len(values) // 2]:.0f}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--transactions", type=int, default=200_000)
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second (all users together)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn process")
    args = parser.parse_args()

    password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
    # the run serves with DEBUG off, which needs a secret key: a throwaway one unless given
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    token = _prepare(args.accounts, args.transactions, password)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": str(args.workers),
        "WEB_THREADS": str(args.threads),
        "DB_POOL_MAX": str(max(args.threads + 2, 10)),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "config/gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
            "config.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.3)
        time.sleep(2)
        before = _rss_mb(web.pid)
        out = Path(tempfile.mkdtemp(prefix="crm-load-"))
        prefix = str(out / "load")
        seconds = int(args.minutes * 60)
        locust_env = {
            **os.environ,
            "DEMO_PASSWORD": password,
            "LOAD_API_TOKEN": token,
            "LOAD_RATE_PER_USER": str(args.rate / args.users),
        }
        started = time.monotonic()
        locust = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(max(1, args.users // 5)),
                "-t",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                prefix,
                "--csv-full-history",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=locust_env,
        )
        # the workers' memory every 30 s: growth after the warm-up minute is what would be a leak
        samples: list[tuple[float, list[float]]] = []
        while locust.poll() is None:
            time.sleep(2)
            moment = time.monotonic() - started
            if moment >= 60 and (not samples or moment - samples[-1][0] >= 30):
                samples.append((moment, _rss_mb(web.pid)))
        elapsed = time.monotonic() - started
        after = _rss_mb(web.pid)
        total, rows = _read_stats(prefix)
        drift = _drift(prefix)
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(30)

    count, failures = int(total["Request Count"]), int(total["Failure Count"])
    print()
    print(
        f"load: {args.rate:g} req/s target, {args.users} users, {elapsed / 60:.1f} min, "
        f"gunicorn {args.workers} x {args.threads} threads, {args.accounts:,} accounts"
    )
    print(f"{'request':36} {'count':>7} {'errors':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for row in [*sorted(rows, key=lambda r: r["Name"]), total]:
        print(
            f"{row['Name'][:36]:36} {int(row['Request Count']):>7} {int(row['Failure Count']):>7} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
    print(f"achieved rate: {count / elapsed:.1f} req/s; errors: {failures}")
    if drift:
        print(f"p95 by third of the run (ms): {' / '.join(drift)}")
    print(f"web workers' RSS before (MB): {before}; after: {after}")
    if samples:
        warm = samples[0][1]
        thirds = [samples[len(samples) * k // 3][1] for k in (1, 2)] if len(samples) >= 3 else []
        print(
            f"web workers' RSS after the warm-up minute (MB): {warm}; at 1/3 and 2/3 of the run: "
            f"{' and '.join(str(t) for t in thirds) or '-'}; at the end: {after} "
            f"(growth after warm-up: {round(sum(after) - sum(warm), 1)} MB in all)"
        )
    print(f"raw Locust CSV: {out}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
