"""The charts' words for figures and names: rubles on an axis or a bar, labels cut to fit, and
labels that never read alike. Plain text, no matplotlib."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

LABEL_WIDTH = 32  # characters of a name or code on a category axis


def rubles(value: float) -> str:
    """An axis label in rubles, short enough not to overlap and exact for a tick's round figure:
    "1.25M ₽", "1.5k ₽", "250k ₽", "900 ₽" (never "2k ₽" for 1,500)."""
    size = abs(value)
    scale, suffix = (1_000_000, "M") if size >= 1_000_000 else (1_000, "k") if size >= 1_000 else (1, "")
    figure = round(value / scale, 6) + 0.0  # + 0.0: -0.0 reads "0", not "-0"
    return f"{figure:g}{suffix} ₽"


def whole_rubles(value: Decimal) -> str:
    """A bar's figure, rounded to the ruble from the exact amount, half a ruble up (a format
    rounds half to even): "1,234,567 ₽"."""
    return f"{value.quantize(Decimal(1), ROUND_HALF_UP):,} ₽"


def short(value: object) -> str:
    """At most LABEL_WIDTH characters, cut in the middle: codes and names that share a long start
    ("НОВОГОДНЯЯ-СКИДКА-ДЛЯ-ПОДПИСЧИКОВ-01", "-02") still differ at their end."""
    text = str(value)
    if len(text) <= LABEL_WIDTH:
        return text
    tail = LABEL_WIDTH // 3
    return text[: LABEL_WIDTH - tail - 1] + "…" + text[-tail:]


def distinct(labels: Sequence[str], ids: Iterable[object]) -> list[str]:
    """`labels`, each one that is not unique followed by its id: two bars never read alike."""
    repeated = {label for label in labels if labels.count(label) > 1}
    return [f"{label} #{id_}" if label in repeated else label for label, id_ in zip(labels, ids, strict=True)]
