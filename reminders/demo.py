"""Demo data: the rules' first run over the demo data, so the bell has something to show."""

from django.utils import timezone


def seed_reminders(ctx: dict) -> None:
    from .services import rules_ensure_defaults, sweeps_run

    rules_ensure_defaults()  # seed_demo after a flush: the data migration's rows are gone

    if int(ctx.get("accounts", 300)) > 5000:  # the bench's data set: bench/reminders_bench.py times the sweeps
        return

    now = timezone.now()
    sweeps_run(schedule="daily", now=now, deliver=False)
    sweeps_run(schedule="frequent", now=now, deliver=False)
