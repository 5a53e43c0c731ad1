from django.core.paginator import Paginator
from django.utils.functional import cached_property

# lists that can hold most of a table (worklists, histories, queues): counting stops here ("more than")
LONG_LIST_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most `cap` + 1 rows: a broad text search stops counting early ("1,000+")
    instead of scanning the whole table, and pages beyond the cap are not offered."""

    def __init__(self, *args, cap: int = 1000, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = cap

    @cached_property
    def count(self):
        # without ORDER BY the database may stop at the first cap + 1 matches in any order
        return min(self.object_list.order_by()[: self.cap + 1].count(), self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap
