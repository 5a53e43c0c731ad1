"""Readiness checks for /healthz: the database and the Celery broker must both answer.

core sits below every other package, `config` included, so it does not import the Celery app from
config/celery.py: it asks Celery for the current app, which config/__init__.py makes the project's
app when Django starts (the same seam `shared_task` uses).
"""

from celery import current_app
from django.db import connection


def celery_app():
    """The project's Celery app (config.celery_app), found without importing config."""
    return current_app._get_current_object()


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not healthy"; report it, don't raise
        return f"{type(exc).__name__}: {exc}"
    return None


def check_broker() -> str | None:
    try:
        with celery_app().connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            conn.default_channel  # noqa: B018 - opening a channel proves the broker answers
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


CHECKS = {"database": check_database, "broker": check_broker}


def run_checks() -> dict[str, str | None]:
    return {name: check() for name, check in CHECKS.items()}
