"""`python -m bench.dashboard` builds its synthetic fact_sales from the DDL's current columns: when a
migration adds a column, this test fails here rather than at the end of a 15-minute `make bench`."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_dashboard_bench_runs_on_the_current_schema(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.dashboard",
            "--dir",
            str(tmp_path / "ch"),
            "--rows",
            "2000",
            "--repeats",
            "3",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [
        line for line in done.stdout.splitlines() if line.startswith("| merged") or line.startswith("| 1%")
    ]
    assert [row.split("|")[2].strip() for row in rows] == ["2,000", "2,000"]
    assert all(row.split("|")[3].strip() == "3" for row in rows)
