"""Demo data: the rules' first run over the demo data, so the bell has something to show."""

from django.utils import timezone


def seed_reminders(ctx: dict) -> None:
    from .services import sweeps_run

    now = timezone.now()
    sweeps_run(schedule="daily", now=now, deliver=False)
    sweeps_run(schedule="frequent", now=now, deliver=False)
