"""Fill empty msgstr entries of a .po file from a JSON dictionary (msgid -> translation).

Used by maintainers after `jingzhi makemessages`: keep translations in the .po
files; this only saves typing for many new strings at once.
    python scripts/po_fill.py src/jingzhi/locale/zh_Hans/LC_MESSAGES/django.po translations.json
Entries it cannot fill are listed; the exit status is 1 when any are left empty.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def fill(po_path: Path, table: dict[str, str]) -> list[str]:
    text = po_path.read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    missing: list[str] = []
    out = []
    for block in blocks:
        lines = block.split("\n")
        try:
            i_id = next(i for i, line in enumerate(lines) if line.startswith("msgid "))
        except StopIteration:
            out.append(block)
            continue
        j = i_id + 1
        while j < len(lines) and lines[j].startswith('"'):
            j += 1
        msgid = _unquote([lines[i_id][6:], *lines[i_id + 1 : j]])
        if not msgid:
            out.append(block)
            continue
        plural = j < len(lines) and lines[j].startswith("msgid_plural ")
        rest = lines[j:]
        if plural:
            k = 1
            while k < len(rest) and rest[k].startswith('"'):
                k += 1
            strs = [line for line in rest[k:] if line.startswith("msgstr[")]
            empty = all(s.endswith('""') for s in strs)
            if empty and msgid in table:
                value = table[msgid]
                new = [f"msgstr[0] {_quote(value)}"]
                rest = rest[:k] + new
            elif empty:
                missing.append(msgid)
            out.append("\n".join(lines[:j] + rest))
            continue
        msgstr_lines = rest
        current = (
            _unquote([msgstr_lines[0][7:], *[ln for ln in msgstr_lines[1:] if ln.startswith('"')]])
            if msgstr_lines
            else ""
        )
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines[:i_id])
        if (not current or fuzzy) and msgid in table:
            head = [
                ln if not (ln.startswith("#,") and "fuzzy" in ln) else re.sub(r",?\s*fuzzy", "", ln)
                for ln in lines[:i_id]
            ]
            head = [ln for ln in head if ln.strip() not in ("#,", "#") and not ln.startswith("#| ")]
            out.append("\n".join([*head, *lines[i_id:j], f"msgstr {_quote(table[msgid])}"]))
        else:
            if not current:
                missing.append(msgid)
            out.append(block)
    po_path.write_text("\n\n".join(out), encoding="utf-8")
    return missing


if __name__ == "__main__":
    left = fill(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))
    for msgid in left:
        print("untranslated:", msgid)
    sys.exit(1 if left else 0)
