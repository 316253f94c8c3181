"""E-mail addresses and phone numbers found in free text (UTM tags a mailing fills with the
subscriber's address), replaced by [redacted]: the mart keeps no buyer's contact."""

from __future__ import annotations

import re
from functools import lru_cache

# The domain's last label in letters, but not an image's extension: "banner@2x.png" is a file.
_EMAIL = re.compile(
    r"[^\s@/?&=:;,<>()\[\]]+@[^\s@/?&=:;,<>()\[\]]+\."
    r"(?!(?:png|jpe?g|gif|webp|svg|avif|bmp|ico)\b)[^\W\d_]{2,}",
    re.IGNORECASE,
)
_DIGIT_RUN = re.compile(r"\+?\d[\d\s().-]{8,}\d")
REDACTED = "[redacted]"


def _is_phone(run: str) -> bool:
    """A run of digits written as a phone number: "+" and 10-15 digits, or a Russian number of 11
    digits written with separators ("8-916-123-45-67"). A bare run of digits is not one: Yandex
    Direct puts 11-digit ad ids in utm_content ("10766679603"), and dates have separators too
    ("2025-11-20 12", 10 digits)."""
    digits = [c for c in run if c.isdigit()]
    if run.startswith("+"):
        return 10 <= len(digits) <= 15
    return len(digits) == 11 and digits[0] in "78" and any(c in " ().-" for c in run)


@lru_cache(maxsize=4096)  # a handful of tags repeat over every order
def without_contacts(text: str) -> str:
    """`text` with every e-mail address and phone number replaced by [redacted]."""
    text = _EMAIL.sub(REDACTED, text)
    return _DIGIT_RUN.sub(lambda run: REDACTED if _is_phone(run[0]) else run[0], text)
