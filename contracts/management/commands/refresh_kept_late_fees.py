"""After changing the company's default late-fee terms in settings: compute again the late fee
each paid installment keeps (receivables read it to find customers who owe only late fees)."""

from django.core.management.base import BaseCommand

from contracts.services import kept_late_fees_refresh


class Command(BaseCommand):
    help = (
        "Compute again the late fee each installment paid in full keeps, with its contract's terms now "
        "(run after changing CONTRACTS_LATE_FEE_RATE_PERCENT, CONTRACTS_LATE_FEE_CAP_PERCENT or CONTRACTS_GRACE_DAYS)."
    )

    def handle(self, *args, **options):
        changed = kept_late_fees_refresh()
        self.stdout.write(f"{changed} installments' kept late fees changed.")
