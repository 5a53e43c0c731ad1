"""Reasons in words: turns the numbers stored with a tier change (`TierChange.details`, the
timeline event's `data`) into a sentence in the reader's language."""

from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import TIER_LEVEL, Tier
from core.money import format_money

TIER_LEVELS = TIER_LEVEL


def money(value) -> str:
    """¥1,204,000.00 in the reader's language (core.money); a missing amount reads ¥0.00."""
    return format_money(value if value not in (None, "") else 0)


def number(value) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def tier_label(code) -> str:
    try:
        return str(Tier(code).label)
    except ValueError:
        return str(code or "—")


def _date(value) -> str:
    import datetime

    if not value:
        return "—"
    try:
        return date_format(datetime.date.fromisoformat(str(value)[:10]), "Y-m-d")
    except ValueError:
        return str(value)


def computed_reason(d: dict) -> str:
    method = d.get("method")
    months = d.get("window") or 12
    if method == "thresholds":
        text = _("%(months)s-month revenue %(revenue)s; VIP from %(vip)s, regular from %(regular)s") % {
            "months": months,
            "revenue": money(d.get("revenue")),
            "vip": money(d.get("vip_from")),
            "regular": money(d.get("regular_from")),
        }
    elif method == "rfm" and d.get("r"):
        text = _("RFM %(r)s-%(f)s-%(m)s (score %(score)s); VIP from %(vip)s, regular from %(regular)s") % {
            "r": d.get("r"),
            "f": d.get("f"),
            "m": d.get("m"),
            "score": int(d.get("r") or 0) + int(d.get("f") or 0) + int(d.get("m") or 0),
            "vip": d.get("vip_from"),
            "regular": d.get("regular_from"),
        }
    elif d.get("rank"):
        text = _("rank %(rank)s of %(of)s; %(months)s-month revenue %(revenue)s") % {
            "rank": number(d.get("rank")),
            "of": number(d.get("of")),
            "months": months,
            "revenue": money(d.get("revenue")),
        }
    else:
        text = _("no revenue in the last %(months)s months (%(revenue)s)") % {
            "months": months,
            "revenue": money(d.get("revenue")),
        }
    min_vip = d.get("min_vip")
    if (
        d.get("to") == "regular"
        and min_vip
        and Decimal(str(min_vip)) > 0
        and Decimal(str(d.get("revenue") or 0)) < Decimal(str(min_vip))
        and method != "thresholds"
    ):
        text += _("; below the VIP minimum of %(min)s") % {"min": money(min_vip)}
    return text


def describe_reason(details: dict | None, *, reason: str = "") -> str:
    """One readable sentence for a tier change."""
    d = details or {}
    kind = d.get("kind", "computed")
    if kind == "override":
        text = _("pinned by hand until %(ends_on)s: %(reason)s") % {
            "ends_on": _date(d.get("ends_on")),
            "reason": reason or d.get("reason") or "—",
        }
    elif kind == "override_cleared":
        text = _("pin removed: %(reason)s") % {"reason": reason or d.get("reason") or _("ended by hand")}
        if d.get("method"):
            text += "; " + computed_reason(d)
    elif kind == "override_expired":
        text = _("the pin ended on %(ends_on)s, the computed tier applies again; %(computed)s") % {
            "ends_on": _date(d.get("ends_on")),
            "computed": computed_reason(d),
        }
    else:
        text = computed_reason(d)
        old, new = TIER_LEVELS.get(d.get("from"), 0), TIER_LEVELS.get(d.get("to"), 0)
        if new < old and int(d.get("streak") or 0) > 1:
            text += _("; qualified for the lower tier on %(n)s different days in a row") % {"n": d.get("streak")}
    if d.get("policy_version"):
        text += " " + _("(policy v%(version)s)") % {"version": d.get("policy_version")}
    return text[:1].upper() + text[1:]


def describe_event(data: dict) -> str:
    """The timeline sentence for a `tier.changed` event."""
    return _("Tier changed from %(old)s to %(new)s. %(reason)s") % {
        "old": tier_label(data.get("from")),
        "new": tier_label(data.get("to")),
        "reason": describe_reason(data, reason=data.get("reason") or ""),
    }


def describe_override_event(data: dict) -> str:
    return _("Tier pinned to %(tier)s until %(ends_on)s: %(reason)s") % {
        "tier": tier_label(data.get("tier")),
        "ends_on": _date(data.get("ends_on")),
        "reason": data.get("reason") or "—",
    }


def describe_override_end_event(data: dict) -> str:
    if data.get("expired"):
        return _("The tier pin (%(tier)s) ended on %(ends_on)s.") % {
            "tier": tier_label(data.get("tier")),
            "ends_on": _date(data.get("ends_on")),
        }
    return _("The tier pin (%(tier)s) was removed: %(reason)s") % {
        "tier": tier_label(data.get("tier")),
        "reason": data.get("reason") or _("ended by hand"),
    }


def job_step_label(job) -> str:
    """What a recompute is doing, in the reader's language: derived from its status and
    progress when shown (the stored `step` is in the language of the worker that wrote it)."""
    status = getattr(job, "status", "")
    if status == "queued":
        return _("Waiting for a background worker to pick it up.")
    if status == "done":
        return _("Done")
    if status == "failed":
        return _("Failed")
    progress = getattr(job, "progress", 0) or 0
    if progress >= 70:
        return _("Writing tiers and history")
    if progress >= 50:
        return _("Counting moves")
    return _("Computing revenue, ranks, RFM and ABC")
