"""docs/datalens.md cannot drift from the views: each dataset it documents lists exactly its
view's columns with the view's types (and the DataLens type and time kind those imply), every
field a recipe or selector names exists in its dataset or is defined by the guide, and every chart
of the Superset dashboard has a recipe."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "datalens.md"
VIEWS = ROOT / "clickhouse" / "views"
BUNDLE = ROOT / "dashboards" / "superset" / "bundle"
VIEW_HEADER = re.compile(r"CREATE OR REPLACE VIEW \{database\}\.(\w+)\s*\((.*?)\n\)\s*\nAS\n", re.S)
TYPED_COLUMN = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s+(.+?)\s+COMMENT\s", re.M)
TABLE_ROW = re.compile(r"^\| `(\w+)` \| `([^`]+)` \| ([^|]+?) \| ([^|]*?) ?\|$", re.M)
DATASETS_LINE = re.compile(r"^Datasets?: (.+)$", re.M)
DEFINED = re.compile(r"`\[(\w+)\]` = `")
FIELD = re.compile(r"\[(\w+)\]")


def view_schemas() -> dict[str, list[tuple[str, str]]]:
    """{view: [(column, ClickHouse type)]} in declaration order, from clickhouse/views/*.sql."""
    schemas = {}
    for path in sorted(VIEWS.glob("*.sql")):
        header = VIEW_HEADER.search(path.read_text(encoding="utf-8"))
        assert header, f"{path.name}: no typed column list"
        columns = TYPED_COLUMN.findall(header[2])
        assert len(columns) == len(header[2].strip().splitlines()), f"{path.name}: a column without COMMENT"
        schemas[header[1]] = columns
    return schemas


def datalens_type(clickhouse_type: str) -> str:
    inner = clickhouse_type
    while wrapper := re.fullmatch(r"(?:Nullable|LowCardinality)\((.*)\)", inner):
        inner = wrapper[1]
    if inner.startswith(("UInt", "Int")):
        return "Integer"
    if inner.startswith(("Decimal", "Float")):
        return "Fractional number"
    kinds = {"String": "String", "Date": "Date"}
    return kinds.get(inner) or ("Date and time" if inner.startswith("DateTime") else f"unmapped {inner}")


def time_kind(column: str, clickhouse_type: str) -> str:
    if "DateTime" in clickhouse_type:
        return "UTC instant"
    if re.search(r"\bDate\b", clickhouse_type):
        return "local day"
    return "local clock time (text)" if column == "show_time_local" else ""


def sections() -> list[tuple[str, str]]:
    """(heading, body) of every `### ` section of the guide."""
    parts = re.split(r"(?m)^### ", DOC.read_text(encoding="utf-8"))[1:]
    return [(part.partition("\n")[0].strip(), part.partition("\n")[2]) for part in parts]


@pytest.fixture(scope="module")
def schemas() -> dict[str, list[tuple[str, str]]]:
    return view_schemas()


def dataset_sections() -> dict[str, str]:
    return {heading.strip("`"): body for heading, body in sections() if re.fullmatch(r"`v_\w+`", heading)}


def test_every_view_has_a_dataset_listing_exactly_its_columns_and_types(schemas) -> None:
    documented = dataset_sections()
    assert sorted(documented) == sorted(schemas), "one dataset per view, and only views"
    for view, body in documented.items():
        rows = TABLE_ROW.findall(body)
        assert [(c, t) for c, t, _, _ in rows] == schemas[view], f"{view}: columns or types differ"
        for column, clickhouse_type, shown_type, kind in rows:
            assert shown_type == datalens_type(clickhouse_type), f"{view}.{column}"
            assert kind.strip() == time_kind(column, clickhouse_type), f"{view}.{column}"


def test_every_field_a_recipe_or_selector_names_exists_in_its_datasets(schemas) -> None:
    columns = {view: {c for c, _ in cols} for view, cols in schemas.items()}
    dataset_fields = {view: set(DEFINED.findall(body)) for view, body in dataset_sections().items()}
    for view, body in dataset_sections().items():
        unknown = set(FIELD.findall(body)) - columns[view] - dataset_fields[view]
        assert not unknown, f"dataset {view}: {sorted(unknown)}"
    recipes = [(heading, body) for heading, body in sections() if DATASETS_LINE.search(body)]
    assert len(recipes) >= 20
    for heading, body in recipes:
        line = DATASETS_LINE.search(body)
        assert line is not None
        views = re.findall(r"`(\w+)`", line[1])
        assert views and set(views) <= set(columns), f"{heading}: {views}"
        for view in views:
            known = columns[view] | dataset_fields[view] | set(DEFINED.findall(body))
            unknown = set(FIELD.findall(body)) - known
            assert not unknown, f"{heading} on {view}: {sorted(unknown)}"


def bundle_files(kind: str) -> list[dict[str, Any]]:
    return [
        yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted((BUNDLE / kind).rglob("*.yaml"))
    ]


def test_every_chart_of_the_superset_dashboard_has_a_recipe_on_its_view() -> None:
    recipes = dict(sections())
    datasets = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in (BUNDLE / "datasets").rglob("*.yaml")]
    views = {dataset["uuid"]: dataset["table_name"] for dataset in datasets}
    charts = [
        yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((BUNDLE / "charts").glob("*.yaml"))
    ]
    assert len(charts) == 16
    for chart in charts:
        title, view = chart["slice_name"], views[chart["dataset_uuid"]]
        assert title in recipes, f"no recipe for {title!r}"
        assert f"Dataset: `{view}`" in recipes[title], f"{title}: Superset reads {view}"
