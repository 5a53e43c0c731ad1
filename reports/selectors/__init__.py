"""Read queries of the reports app: figures read across the domain apps, always through the
visibility policy, as set-based SQL (aggregates over the whole table, no loop of queries).

- `dashboard`: the home page's figures;
- `churn`: the top-50 accounts' monthly revenue against a baseline (the churn warning, 流失预警),
  which the reminders app reads too.
"""

from .churn import CHURN_FLAGS, ChurnRow, churn_warnings, default_churn_month
from .dashboard import HEARTBEAT_STALE_AFTER, dashboard_data, heartbeat_state

__all__ = [
    "CHURN_FLAGS",
    "HEARTBEAT_STALE_AFTER",
    "ChurnRow",
    "churn_warnings",
    "dashboard_data",
    "default_churn_month",
    "heartbeat_state",
]
