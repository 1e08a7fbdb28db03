"""Write catalogue YAML as text an editor would write: fields in the order of the published
table, short lists inline, Chinese comments, and the schema line editors' tools read.

Used by ``gkml new`` and ``gkml import``. We write text rather than ``yaml.dump`` so the file
keeps comments and reads like the hand-written ones; every piece is parsed back and compared
with what was meant, so a quoting mistake here can never change an editor's data.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml

from . import fields as F

#: From catalog/domains/X.yaml (or community/X.yaml) to schema/ beside catalog/.
SCHEMA_LINE = "# yaml-language-server: $schema=../../schema/catalogue.schema.json"

_FLOW_UNSAFE = set(",[]{}#&*!|>'\"%@`")
_TITLES = {f.key: f.title for f in F.ITEM_FIELDS}
_HEADER_COMMENTS = {
    "id": "目录标识：与文件名相同，发布后不要更改",
    "name": "目录名称",
    "kind": "domain（领域目录）或 community（居务/村务公开目录）",
    "source": "编制依据：本目录依据的标准指引",
    "updated": "修订时间：每次修改目录后改为修改当天的日期",
}


class TextError(ValueError):
    """The text we wrote would not read back as the data we meant (a bug, never silent)."""


def scalar(value: Any) -> str:
    """One value as YAML in block context: plain where safe, quoted where YAML would misread it."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and "\n" not in value:
        dumped = yaml.safe_dump(value, allow_unicode=True, width=1_000_000, default_flow_style=False)
        return dumped.removesuffix("\n...\n").removesuffix("\n")
    return json.dumps(value, ensure_ascii=False)


def flow_scalar(value: str) -> str:
    """A string inside ``[a, b]``: commas and brackets would split or end the list."""
    plain = scalar(value)
    if plain == value and not (_FLOW_UNSAFE & set(value)) and ": " not in value and value == value.strip():
        return value
    return json.dumps(value, ensure_ascii=False)


def _list_lines(key: str, values: list[str], indent: str, comment: str) -> list[str]:
    inline = "[" + ", ".join(flow_scalar(v) for v in values) + "]"
    if len(inline) <= 60:
        return [f"{indent}{key}: {inline}{comment}"]
    return [f"{indent}{key}:{comment}"] + [f"{indent}  - {scalar(v)}" for v in values]


def _block_text(key: str, text: str, indent: str) -> list[str]:
    body = text.splitlines()
    awkward = (not body or body[0][:1] in (" ", "\t") or any(line != line.rstrip() for line in body)
               or "\t" in text or "\r" in text)
    if awkward:
        return [f"{indent}{key}: {json.dumps(text, ensure_ascii=False)}"]
    chomp = "|" if text.endswith("\n") and not text.endswith("\n\n") else "|-"
    if text.endswith("\n\n"):
        return [f"{indent}{key}: {json.dumps(text, ensure_ascii=False)}"]
    return [f"{indent}{key}: {chomp}"] + [f"{indent}  {line}" if line else "" for line in body]


def _comment(key: str, comments: bool) -> str:
    return f"  # {_TITLES[key]}" if comments and key in _TITLES else ""


def item_lines(item: dict[str, Any], indent: str = "  ", comments: bool = False) -> list[str]:
    """One item as a block-sequence entry (``- id: …``), keys in the published table's order."""
    lines: list[str] = []
    inner = indent + "  "
    for f in F.ITEM_FIELDS:
        if f.key not in item or item[f.key] in (None, "", []):
            continue
        value = item[f.key]
        note = _comment(f.key, comments)
        if f.key == "basis":
            lines.append(f"{inner}basis:{note}")
            for basis in value:
                entry = [f"{k}: {scalar(basis[k])}" for k in ("title", "kind", "number", "articles") if basis.get(k)]
                lines.append(f"{inner}  - {entry[0]}")
                lines.extend(f"{inner}    {e}" for e in entry[1:])
        elif f.key == "changes":
            lines.append(f"{inner}changes:{note}")
            for change in value:
                lines.append(f"{inner}  - date: {scalar(change['date'])}")
                lines.append(f"{inner}    summary: {scalar(change['summary'])}")
        elif isinstance(value, list):
            lines.extend(_list_lines(f.key, [str(v) for v in value], inner, note))
        elif isinstance(value, str) and "\n" in value:
            lines.extend(_block_text(f.key, value, inner))
        else:
            lines.append(f"{inner}{f.key}: {scalar(value)}{note}")
    lines[0] = indent + "- " + lines[0][len(inner):]
    return lines


def item_text(item: dict[str, Any], indent: str = "  ", comments: bool = False) -> str:
    text = "\n".join(item_lines(item, indent, comments)) + "\n"
    _check_same(text, [item])
    return text


def catalogue_text(header: dict[str, Any], items: list[dict[str, Any]], intro: list[str],
                   comment_first_item: bool = True) -> str:
    """A whole catalogue file: schema line, a comment block, the header, then the items."""
    lines = [SCHEMA_LINE, "#"] + [f"# {line}" if line else "#" for line in intro]
    for key in ("id", "name", "kind", "source", "updated"):
        lines.append(f"{key}: {scalar(header[key])}  # {_HEADER_COMMENTS[key]}")
    if header.get("description"):
        lines.extend(_block_text("description", header["description"], ""))
    lines.append("items:")
    for index, item in enumerate(items):
        lines.extend(item_lines(item, "  ", comments=comment_first_item and index == 0))
    text = "\n".join(lines) + "\n"
    parsed = yaml.safe_load(text)
    expected = {k: header[k] for k in ("id", "name", "kind", "source", "updated", "description") if header.get(k)}
    if {k: v for k, v in parsed.items() if k != "items"} != expected:
        raise TextError("catalogue header did not survive writing")
    _check_same(text.split("\nitems:\n", 1)[1] if items else "", items)
    return text


def _clean(value: Any) -> Any:
    """What YAML reads back: empty values are not written at all."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v not in (None, "", [])}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _check_same(text: str, items: list[dict[str, Any]]) -> None:
    parsed = yaml.safe_load(text) if text.strip() else []
    if parsed != [_clean(i) for i in items]:
        raise TextError(f"written YAML reads back differently:\n{text}")
