"""Just enough SQL lexing for our own DDL files: comments, quotes, bracket depth, string literals."""

from __future__ import annotations

from collections.abc import Iterator


def _scan(sql: str) -> Iterator[tuple[int, str, int]]:
    """Yield (index, char, bracket depth) for every char outside `--` comments; quotes keep depth."""
    depth = 0
    quote: str | None = None
    i = 0
    while i < len(sql):
        char = sql[i]
        if quote:
            if char == "\\" and i + 1 < len(sql):
                yield i, char, -1
                i += 1
                yield i, sql[i], -1
            elif char == quote:
                quote = None
                yield i, char, depth
            else:
                yield i, char, -1  # depth -1: inside a string literal, never a split point
            i += 1
            continue
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end == -1 else end
            continue
        if char in "'`\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        yield i, char, depth
        i += 1


def split_top_level(sql: str, separator: str) -> list[str]:
    """Split on `separator` where it is outside brackets, quotes and comments; drop empty parts."""
    parts: list[str] = []
    current: list[str] = []
    for _index, char, depth in _scan(sql):
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def split_statements(sql: str) -> list[str]:
    """The statements of a DDL file, without comments or the trailing `;`."""
    return split_top_level(sql, ";")


def matching_paren(text: str, open_index: int) -> int:
    """Index of the `)` closing the `(` at `open_index`."""
    depth = 0
    for index, char, level in _scan(text[open_index:]):
        if level == -1:
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return open_index + index
    raise ValueError(f"unbalanced brackets in: {text[open_index : open_index + 60]!r}")


def top_level_keyword(text: str, keywords: tuple[str, ...]) -> int:
    """Index of the first of `keywords` (whole word, any case) outside brackets, or len(text)."""
    upper = text.upper()
    for index, _char, depth in _scan(text):
        if depth != 0 or (index > 0 and not text[index - 1].isspace()):
            continue
        for word in keywords:
            end = index + len(word)
            if upper.startswith(word, index) and (end == len(text) or not text[end].isalnum()):
                return index
    return len(text)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'"}


def string_literal(text: str) -> str:
    """The value of the single-quoted literal `text` starts with (`'it''s'`, `'a\\'b'`)."""
    text = text.lstrip()
    if not text.startswith("'"):
        raise ValueError(f"expected a quoted string, got: {text[:40]!r}")
    value: list[str] = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            value.append(_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
        elif char == "'" and text.startswith("''", i):
            value.append("'")
            i += 2
        elif char == "'":
            return "".join(value)
        else:
            value.append(char)
            i += 1
    raise ValueError(f"unterminated string: {text[:40]!r}")
