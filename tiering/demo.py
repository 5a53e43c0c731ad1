"""Demo step: the default policy and a first recompute, so demo accounts have tiers."""


def seed_tiers(context: dict) -> None:
    from .models import RecomputeJob
    from .services import tier_policy_get_active, tiers_recompute

    policy = tier_policy_get_active()
    job = tiers_recompute(trigger=RecomputeJob.Trigger.DEMO)
    tiers = job.counts.get("tiers", {})
    context.setdefault("summary", []).append(
        "Tiers (policy v{v}): VIP {vip:,}, regular {regular:,}, small {small:,}".format(
            v=policy.version,
            vip=tiers.get("vip", {}).get("accounts", 0),
            regular=tiers.get("regular", {}).get("accounts", 0),
            small=tiers.get("small", {}).get("accounts", 0),
        )
    )
