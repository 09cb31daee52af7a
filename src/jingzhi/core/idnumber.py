"""Citizen identity numbers (公民身份号码, GB 11643-1999).

18 characters: 6-digit address code, birth date YYYYMMDD, 3-digit sequence
(odd for men, even for women) and an ISO 7064 MOD 11-2 check character.
Legacy 15-digit numbers (2-digit year, no check) are converted on input.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


class IdNumberError(ValueError):
    """The text is not a valid identity number; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: dt.date
    is_male: bool
    region: str


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise(raw: str) -> str:
    """Full-width to half-width, spaces removed, ``x`` upper-cased."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(text.split()).upper()


def parse(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate and normalise; raises :class:`IdNumberError` with a code."""
    value = normalise(raw)
    if len(value) == 15 and value.isdigit():
        first17 = value[:6] + "19" + value[6:]
        value = first17 + check_char(first17)
    if len(value) != 18:
        raise IdNumberError("length", f"an identity number has 18 characters, this has {len(value)}")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise IdNumberError("characters", "only digits, with X allowed as the last character")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError("birth_date", f"the birth date {value[6:14]} does not exist") from None
    if birth > (today or dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()) or birth.year < 1870:
        raise IdNumberError("birth_date", f"the birth date {birth.isoformat()} is not plausible")
    expected = check_char(value[:17])
    if value[17] != expected:
        raise IdNumberError("check_digit", f"the check character should be {expected}, not {value[17]}")
    return IdNumber(value=value, birth_date=birth, is_male=int(value[16]) % 2 == 1, region=value[:6])


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except IdNumberError:
        return False
    return True


def make(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (for demo data and tests): sequence 0–999, odd = male."""
    if not (len(region) == 6 and region.isdigit() and 0 <= sequence <= 999):
        raise ValueError("region must be 6 digits and sequence 0–999")
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
