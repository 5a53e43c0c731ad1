from decimal import Decimal

from django.db import migrations

BENEFITS = [
    # tier, respond h, resolve h, visit every d, callback every d, served by
    ("vip", 2, 24, 30, 14, "Dedicated account manager and senior engineer; director sponsor"),
    ("regular", 8, 72, 90, 30, "Account manager; service desk priority queue"),
    ("small", 24, 120, 180, 90, "Service desk; account manager on request"),
]


def forwards(apps, schema_editor):
    TierBenefit = apps.get_model("tiering", "TierBenefit")
    TierPolicy = apps.get_model("tiering", "TierPolicy")
    for tier, respond, resolve, visit, callback, served_by in BENEFITS:
        TierBenefit.objects.get_or_create(
            tier=tier,
            defaults={
                "response_hours": respond,
                "resolution_hours": resolve,
                "visit_cadence_days": visit,
                "callback_cadence_days": callback,
                "served_by": served_by,
            },
        )
    if not TierPolicy.objects.exists():
        TierPolicy.objects.create(
            version=1,
            name="Default",
            method="revenue_rank",
            window_months=12,
            vip_percent=Decimal("20"),
            regular_percent=Decimal("30"),
            min_vip_revenue=Decimal("0"),
            vip_threshold=Decimal("1000000"),
            regular_threshold=Decimal("100000"),
            rfm_vip_score=13,
            rfm_regular_score=9,
            abc_a_percent=Decimal("80"),
            abc_b_percent=Decimal("95"),
            demotion_streak=2,
            is_active=True,
            note="Defaults (80/20: top 20% VIP, next 30% regular)",
        )


def backwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("tiering", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
