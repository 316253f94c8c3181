"""The mart's report: one self-contained HTML file of every view's charts and the dashboard.

The charts are SVGs inlined as data: URIs, the sales dashboard a table. No script, stylesheet or
font is fetched: it opens offline.

`python -m qtickets_assets.report [--out PATH]` reads the mart named by CLICKHOUSE_URL and
CLICKHOUSE_DATABASE (the embedded default when unset), writes the file (.data/report.html unless
told) and prints its path. `make demo` writes one after its run.
"""

import argparse
import html
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from qtickets_assets import settings
from qtickets_assets.lib import charts, figures
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.errors import ClickHouseError

DEFAULT_PATH = settings.REPO_ROOT / ".data" / "report.html"
DASHBOARD_HEADERS = figures.dashboard_headers(", ₽")
STYLE = """
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2em; color: #222; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; }
.totals { font-weight: bold; }
"""


def render(url: str, database: str) -> str:
    """The report's HTML: the dashboard's table and totals, then each view's charts."""
    with open_client(url, database, existing=True) as client:
        drawings = charts.start_drawings(client, database, list(charts.VIEW_CHARTS))  # drawn meanwhile
        dashboard = mart.dashboard(client, database)
        sold_all_events = mart.tickets_sold_all_events(client, database)
    sections = [(view, drawing.result()) for view, drawing in drawings.items()]
    parts = [
        f"<h1>Qtickets sales: {html.escape(database)}</h1>",
        f"<p>Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from the mart's views.</p>",
        f"<h2>Sales dashboard ({html.escape(database)}.v_sales_dashboard)</h2>",
        f'<p class="totals">{html.escape(figures.dashboard_summary(dashboard, sold_all_events, " ₽"))}</p>',
        figures.text_table(figures.seats_unknown_as_missing(dashboard), DASHBOARD_HEADERS, tablefmt="html"),
    ]
    for view, view_charts in sections:
        parts.append(f"<h2>{html.escape(database)}.{view}</h2>")
        parts += [f'<img alt="{html.escape(c.title)}" src="{c.data_uri()}">' for c in view_charts]
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Qtickets sales report</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def write_report(url: str, database: str, path: Path = DEFAULT_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(url, database), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qtickets_assets.report", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_PATH, help=f"the HTML file (default {DEFAULT_PATH})"
    )
    out = parser.parse_args(argv).out
    url = settings.clickhouse_url_value()
    try:
        print(write_report(url, settings.clickhouse_database(), out.resolve()))
    except ClickHouseError as error:  # ours say what is wrong and what to do: no stack trace
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
