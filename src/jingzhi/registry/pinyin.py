"""Pinyin of Chinese names for search: full (``zhangsan``) and initials (``zs``)."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common one.
SURNAME_READINGS: dict[str, list[str]] = {
    "曾": ["zeng"],
    "单": ["shan"],
    "仇": ["qiu"],
    "解": ["xie"],
    "查": ["zha"],
    "区": ["ou"],
    "朴": ["piao"],
    "乐": ["yue"],
    "盖": ["ge"],
    "缪": ["miao"],
    "翟": ["zhai"],
    "覃": ["qin"],
    "员": ["yun"],
    "秘": ["bi"],
    "牟": ["mou"],
    "种": ["chong"],
    "召": ["shao"],
    "折": ["she"],
    "尉迟": ["yu", "chi"],
    "万俟": ["mo", "qi"],
    "长孙": ["zhang", "sun"],
    "繁": ["po"],
    "黑": ["he"],
    "隗": ["wei"],
    "句": ["gou"],
    "华": ["hua"],
}


@lru_cache(maxsize=65536)
def syllables(name: str) -> tuple[str, ...]:
    name = "".join(name.split())
    head: list[str] = []
    for length in (2, 1):
        reading = SURNAME_READINGS.get(name[:length])
        if reading:
            head, name = reading, name[length:]
            break
    # Characters without pinyin (Latin letters, digits) pass through as they are.
    rest = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    cleaned = ("".join(ch for ch in s.lower() if ch.isalnum()) for s in [*head, *rest])
    return tuple(s for s in cleaned if s)


def full(name: str) -> str:
    return "".join(syllables(name))


def initials(name: str) -> str:
    return "".join(s[0] for s in syllables(name))
