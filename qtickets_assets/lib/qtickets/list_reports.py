"""What the client reports about a list besides its records: a crawl's `ListReport` (its total, the
records the filter excluded, each page's ids), with the rule for when a read of a moving list was
whole and how often to read it again, and the orders list's newest `OrderMarker`. Apart from
`client.py` because the orders crawl (`lib/orders.py`) and the sensors use them too, without HTTP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any, NamedTuple

from . import paging

log = logging.getLogger(__name__)

# Reads of a list that moved under a crawl out of id order before the crawl gives up.
MAX_CRAWLS = 3


class OrderMarker(NamedTuple):
    """The newest order id and update time; None where the server could not tell us cheaply."""

    max_id: int | None
    max_updated_at: datetime | None


@dataclass
class ListReport:
    """What a crawl learnt about its list besides the records, filled in as its pages arrive."""

    total: int | None = None
    """Page 1's `paging.total`: what the crawl set out to read."""
    unasked: int = 0
    """Records the server sent that `where` excludes: the server ignored the filter."""
    id_ranges: dict[int, tuple[int, int] | None] = field(default_factory=dict)
    """Each page's first and last id when its ids ascend, else None."""
    ids: set[int] = field(default_factory=set)
    """The ids of the records handed on (the crawl's own set: no copy)."""
    received: int = 0
    """Records the pages held."""
    repeated: int = 0
    """Records a page held that an earlier page had handed on: the list moved under the crawl."""

    @property
    def each_once(self) -> bool:
        """The pages held `total` records, none twice: a list that neither grew nor shrank meanwhile
        was read whole, whatever its order."""
        return self.repeated == 0 and self.received == self.total

    @property
    def in_id_order(self) -> bool:
        """The pages read, in page order, held ascending ids: a record added while the crawl ran
        (a new, higher id) could only go after them, never push one onto a page already read."""
        ranges = [self.id_ranges[page] for page in sorted(self.id_ranges)]
        if not ranges or any(r is None for r in ranges):
            return False
        return all(before[1] < after[0] for before, after in pairwise(ranges))  # type: ignore[index]

    @property
    def shortfall(self) -> int:
        """Records the total promised that the pages did not hold."""
        return max((self.total or 0) - self.received, 0)

    def whole_in_id_order(self, shortfall_before: int | None = None) -> bool:
        """The pages came in id order and held the total. Short of it, the list lost a record while
        it was read (one deleted outright, not flagged), and the records after it moved back a
        place: one slid onto a page already read, unseen. Short by as many as the read before
        (`shortfall_before`), the total counts records the list never shows: that read was whole."""
        return self.in_id_order and self.shortfall in (0, shortfall_before)

    def moved(self) -> str:
        """How the list moved under a read that was not whole, in words for a warning or an error."""
        if self.in_id_order:
            return (
                f"{self.shortfall} fewer records than its total: one may have moved onto a page already read"
            )
        return f"out of id order: orderBy ignored, {self.repeated} records repeated"

    def note(self, page: paging.Page[Any], ids: list[int], unasked: int, repeated: int) -> None:
        if page.current_page == 1:
            self.total = page.total
        self.unasked += unasked
        self.received += len(ids)
        self.repeated += repeated
        ascending = all(a < b for a, b in pairwise(ids))
        self.id_ranges[page.current_page] = (ids[0], ids[-1]) if ids and ascending else None


def read_whole_in_id_order(report: ListReport, shortfall_before: int | None, endpoint: str) -> bool:
    """`report.whole_in_id_order(shortfall_before)`, warning when the total counts records that the
    list never shows (a read short of it twice by as many)."""
    if not report.whole_in_id_order(shortfall_before):
        return False
    if report.shortfall:
        log.warning(f"GET {endpoint}: the total counts {report.shortfall} records the list never shows")
    return True
