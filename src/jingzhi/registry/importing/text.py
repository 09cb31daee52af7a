"""Text clean-up shared by the cell normalisers and the address parser."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff·])\s+(?=[\u3400-\u9fff·])")


def clean_text(value: object) -> str:
    """NFKC (full-width → half-width, U+3000 → space), runs of spaces collapsed, ends stripped.

    Whole numbers that a spreadsheet stored as floats (``501.0``) come back without ``.0``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    # str.split() splits on exactly the characters ``\s`` matches (str.isspace), so this is
    # the collapse-and-strip of ``re.sub(r"\s+", " ", text).strip()``, without the regex.
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())


def join_cjk(text: str) -> str:
    """Drop the spaces staff put inside Chinese names to align them (``张　三`` → ``张三``)."""
    return _CJK_GAP.sub("", text)


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_number(text: str) -> int | None:
    """``三`` → 3, ``十二`` → 12, ``二十`` → 20, ``二十三`` → 23 (up to 99); None otherwise."""
    if not text or any(ch not in _DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return int("".join(str(_DIGITS[ch]) for ch in text)) if len(text) <= 2 else None
    tens, _sep, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
