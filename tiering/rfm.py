"""RFM scoring rules, written once: the SQL in `services.py` and the Python of the bench loop
both come from this table.

Scores are quintiles 1–5 by rank among the accounts that ever bought (ties share a score):
R by the date of the last purchase or recharge, F by the number of them in the window, M by net
window revenue. The segment follows from R and F+M (the classic RFM grid); the first row that
matches wins.
"""

from django.utils.translation import gettext_lazy as _

from .models import RfmSegment

# (segment, lowest R, highest R, lowest F+M)
SEGMENT_RULES = [
    (RfmSegment.CHAMPIONS, 4, 5, 8),
    (RfmSegment.LOYAL, 3, 5, 6),
    (RfmSegment.POTENTIAL, 4, 5, 4),
    (RfmSegment.NEW, 4, 5, 2),
    (RfmSegment.NEED_ATTENTION, 3, 3, 4),
    (RfmSegment.ABOUT_TO_SLEEP, 3, 3, 2),
    (RfmSegment.CANT_LOSE, 1, 2, 9),
    (RfmSegment.AT_RISK, 1, 2, 6),
    (RfmSegment.HIBERNATING, 2, 2, 2),
    (RfmSegment.LOST, 1, 1, 2),
]

SEGMENT_HELP = {
    RfmSegment.CHAMPIONS: _("Bought recently, often and a lot."),
    RfmSegment.LOYAL: _("Buy regularly and spend well."),
    RfmSegment.POTENTIAL: _("Recent, with room to grow."),
    RfmSegment.NEW: _("Recent but few or small purchases so far."),
    RfmSegment.NEED_ATTENTION: _("Average on all three; slipping without care."),
    RfmSegment.ABOUT_TO_SLEEP: _("Fading: not recent, little spend."),
    RfmSegment.CANT_LOSE: _("Were among the best, have not bought for a while."),
    RfmSegment.AT_RISK: _("Spent well before, now quiet."),
    RfmSegment.HIBERNATING: _("Long quiet, little spend."),
    RfmSegment.LOST: _("Lowest recency, frequency and spend."),
    RfmSegment.NO_PURCHASES: _("No purchase or recharge recorded."),
}


def quintile(rank: int, n: int) -> int:
    """1–5 from a 1-based rank (ascending) among n: 1 + floor(5 * (rank - 1) / n)."""
    return 1 + ((rank - 1) * 5) // n


def segment_for(r: int | None, f: int | None, m: int | None) -> str:
    if not r:
        return RfmSegment.NO_PURCHASES.value
    fm = f + m
    for segment, r_low, r_high, fm_low in SEGMENT_RULES:
        if r_low <= r <= r_high and fm >= fm_low:
            return segment.value
    return RfmSegment.LOST.value


def segment_sql(r: str, f: str, m: str) -> str:
    """The same rule as a SQL CASE over the columns named r, f and m (integers only, no input)."""
    whens = [f"WHEN {r} IS NULL THEN '{RfmSegment.NO_PURCHASES.value}'"]
    for segment, r_low, r_high, fm_low in SEGMENT_RULES:
        whens.append(
            f"WHEN {r} BETWEEN {int(r_low)} AND {int(r_high)} AND {f} + {m} >= {int(fm_low)} THEN '{segment.value}'"
        )
    return "CASE " + " ".join(whens) + f" ELSE '{RfmSegment.LOST.value}' END"
