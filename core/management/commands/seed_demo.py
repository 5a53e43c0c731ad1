import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from core.demo import demo_steps


class Command(BaseCommand):
    help = "Load demo users and data (each app registers its step). Use --if-empty from make run."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=300, help="number of demo accounts")
        parser.add_argument("--transactions", type=int, default=6000, help="number of revenue records")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if users exist")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (repeatable data)")

    def handle(self, *args, **opts):
        from django.contrib.auth import get_user_model

        if opts["if_empty"] and get_user_model().objects.exists():
            self.stdout.write(_("Database already has data; demo seeding skipped."))
            return
        context = {
            "accounts": opts["accounts"],
            "transactions": opts["transactions"],
            "seed": opts["seed"],
            "stdout": self.stdout,
        }
        for step in demo_steps():
            started = time.monotonic()
            step.run(context)
            self.stdout.write(f"  {step.name}: {time.monotonic() - started:.1f}s")
        for line in context.get("summary", []):
            self.stdout.write(self.style.SUCCESS(line))
