"""The incremental sales crawl: a list that grows while it is read is read again."""

from datetime import UTC, datetime

from qtickets_assets.defs.sales.assets import changed_order_pages
from qtickets_assets.lib.qtickets.models import Order, parse_record
from qtickets_assets_tests.qtickets.fakes import raw_order


class GrowingList:
    """A client whose `updated_at` list gains order 3 while it is crawled the first time."""

    def __init__(self) -> None:
        self.totals = iter([3, 3])  # counted after each crawl; the first crawl began at 2
        self.crawls: list[list[int]] = []

    def count_orders(self, where) -> int:
        return next(self.totals)

    def iter_order_pages(self, where, on_total=None):
        if where[0].column == "id":
            return iter([[order(9)]])
        ids = [1, 2] if not self.crawls else [1, 2, 3]
        self.crawls.append(ids)
        on_total(len(ids))
        return iter([[order(i) for i in ids]])


def order(order_id: int) -> Order:
    return parse_record(Order, raw_order(order_id))


def test_an_order_that_joins_the_list_mid_crawl_is_read_by_a_second_crawl() -> None:
    client = GrowingList()
    pages = changed_order_pages(client, max_order_id=8, since=datetime(2025, 11, 1, tzinfo=UTC))
    assert [o.id for page in pages for o in page] == [9, 1, 2, 3]
    assert client.crawls == [[1, 2], [1, 2, 3]]
