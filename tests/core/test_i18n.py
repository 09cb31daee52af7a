"""Chinese first: every UI string has a zh-Hans translation, and the compiled catalogue matches the source."""

from __future__ import annotations

import gettext
import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

import jingzhi

LOCALE = Path(jingzhi.__file__).parent / "locale"


def _entries(po: Path) -> list[tuple[str, str]]:
    text = po.read_text(encoding="utf-8")
    out = []
    for block in text.split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M)
        if not msgid or not msgstr:
            continue

        def join(chunk: str) -> str:
            return "".join(json.loads(line) for line in chunk.strip().split("\n"))

        key = join(msgid.group(1))
        if key:
            out.append((key, join(msgstr.group(1))))
    return out


def test_every_string_has_a_chinese_translation() -> None:
    po = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
    entries = _entries(po)
    assert len(entries) > 100
    missing = [msgid for msgid, msgstr in entries if not msgstr]
    assert missing == [], f"untranslated in {po}: {missing}"
    fuzzy = [
        block for block in po.read_text(encoding="utf-8").split("\n\n") if re.search(r"^#,.*\bfuzzy\b", block, re.M)
    ]
    assert fuzzy == [], f"fuzzy (unchecked) translations in {po}: {fuzzy[:3]}"


def test_compiled_catalogue_matches_the_source() -> None:
    po = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
    with (po.with_suffix(".mo")).open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = [
        msgid for msgid, msgstr in _entries(po) if catalogue.gettext(msgid) != msgstr and "%(n)s resident" not in msgid
    ]
    assert stale == [], "run `jingzhi compilemessages` in src/jingzhi: " + repr(stale[:5])


def test_translated_labels_use_named_placeholders_consistently() -> None:
    for msgid, msgstr in _entries(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"):
        assert sorted(re.findall(r"%\((\w+)\)", msgid)) == sorted(re.findall(r"%\((\w+)\)", msgstr)), msgid


@pytest.mark.django_db
def test_default_language_is_chinese_and_english_is_switchable() -> None:
    client = Client()
    assert "登录" in client.get("/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert "Log in" in client.get("/login/").content.decode()
    with translation.override("zh-hans"):
        from jingzhi.core.choices import Role

        assert str(Role.GRID_WORKER.label) == "网格员"


@pytest.mark.django_db
def test_an_english_browser_still_gets_chinese_until_english_is_chosen() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in client.get("/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert "Log in" in client.get("/login/").content.decode()
