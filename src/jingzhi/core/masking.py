"""Masking of personal information for display and export (GB/T 35273 §7.2).

The project's one policy, used by every page, API response and export:

* identity number: first 6 (the region) and last 4 kept — ``320505********123X``
* mobile phone: first 3 and last 4 kept — ``138****5678``
* name: the surname kept — ``张*``, ``欧阳**``
* anything else: all but the last 2 characters hidden.
"""

from __future__ import annotations

MASK = "*"

# Two-character surnames, so that 欧阳娜娜 masks to 欧阳** rather than 欧***.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "令狐",
        "长孙",
        "宇文",
        "夏侯",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "轩辕",
        "呼延",
        "司徒",
        "司空",
        "万俟",
        "闻人",
        "澹台",
        "公冶",
        "申屠",
    ]
)


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 10:
        return mask_generic(value)
    return value[:6] + MASK * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    digits = value.strip()
    if len(digits) < 8:
        return mask_generic(digits)
    return digits[:3] + MASK * (len(digits) - 7) + digits[-4:]


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    name = value.strip()
    if name.isascii():
        parts = name.split()
        return " ".join(p[0] + MASK * (len(p) - 1) for p in parts if p)
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + MASK * max(len(name) - keep, 1)


def mask_generic(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 2:
        return MASK * len(value)
    return MASK * (len(value) - 2) + value[-2:]
