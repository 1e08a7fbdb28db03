"""What ``gkml new`` writes: a new catalogue file, or one item appended to an existing one.

An existing file is edited as text, never re-dumped: its comments, key order and layout are
the editor's, and the only change is a block of new lines after its last item. Pure
functions here; the prompting lives in :mod:`generator.commands.new`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import fields as F
from . import standard_lists as std
from .catalogue_text import catalogue_text, item_text
from .load import CATALOGUE_FOLDERS

ID = re.compile(F.ID_PATTERN)
FOLDERS = {kind: folder for folder, kind in CATALOGUE_FOLDERS.items()}
DEFAULT_TIMING = "自信息形成或者变更之日起20个工作日内"
DEFAULT_BASIS = "【行政法规】《中华人民共和国政府信息公开条例》（国务院令第711号）"


class ScaffoldError(ValueError):
    """The file cannot be edited as text the way we expect (say, an empty ``items: []``)."""


def split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[、，,；;\n]+", text) if part.strip()]


def catalogue_path(catalog: Path, kind: str, ident: str) -> Path:
    return catalog / FOLDERS[kind] / f"{ident}.yaml"


def site_ids(catalog: Path) -> set[str]:
    """Every item id in every catalogue file, plus every id ever published (ids.lock)."""
    ids: set[str] = set()
    for folder in FOLDERS.values():
        for path in sorted((catalog / folder).glob("*.yaml")):
            ids.update(re.findall(r"^\s*-?\s*id:\s*['\"]?([a-z0-9][a-z0-9-]*)", path.read_text(encoding="utf-8"),
                                  flags=re.MULTILINE))
    lock = catalog / "ids.lock"
    if lock.is_file():
        ids.update(line.split()[0] for line in lock.read_text(encoding="utf-8").splitlines()
                   if line.strip() and not line.startswith("#"))
    return ids


def id_prefix(item_ids: list[str], catalogue_id: str) -> str:
    """The prefix most of a catalogue's item ids share (``edu`` for edu-…), else its own id."""
    heads = Counter(i.split("-")[0] for i in item_ids if "-" in i)
    if heads:
        head, count = heads.most_common(1)[0]
        if count >= 2 or len(item_ids) == 1:
            return head
    return catalogue_id


def suggest_id(prefix: str, taken: set[str], start: int = 1) -> str:
    number = start
    while f"{prefix}-{number}" in taken:
        number += 1
    return f"{prefix}-{number}"


def new_catalogue_text(kind: str, ident: str, name: str, source: str, updated: dt.date,
                       item: dict[str, Any]) -> str:
    title = f"{name}领域基层政务公开标准目录" if kind == "domain" else name
    intro = [
        title,
        "",
        "由 gkml new 生成。在下面的 items 中逐项填写公开事项；字段说明见 docs/catalogue-format.md，",
        "在装有 YAML 插件的编辑器中，把光标停在字段名上也能看到中文说明。",
        "事项标识（id）决定事项网址和二维码，全站唯一，发布后不要更改。",
        "再添加事项可运行：gkml new item --catalogue " + ident,
    ]
    header = {"id": ident, "name": name, "kind": kind, "source": source, "updated": updated}
    return catalogue_text(header, [item], intro)


# --- editing existing text ---------------------------------------------------------------

def _mapping_value(node: Node, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == key:
                return value_node
    return None


def _block_end(lines: list[str], first: int, column: int) -> int:
    """Index of the last line of a block entry starting at ``first``: lines indented deeper
    than the sequence's dash (or blank) belong to it; trailing blank lines do not."""
    end = first
    for index in range(first + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent <= column:
            break
        end = index
    return end


def append_item(text: str, item: dict[str, Any]) -> str:
    """``text`` with ``item`` added after the catalogue's last item; nothing else changes."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    items = _mapping_value(root, "items") if root is not None else None
    if not isinstance(items, SequenceNode) or not items.value or items.flow_style:
        raise ScaffoldError("找不到“items:”下按行书写的事项列表（每个事项以“- id:”开头），无法追加")
    column = items.start_mark.column
    lines = text.splitlines()
    end = _block_end(lines, items.value[-1].start_mark.line, column)
    block = item_text(item, indent=" " * column, comments=True).rstrip("\n").split("\n")
    updated = lines[: end + 1] + block + lines[end + 1:]
    return "\n".join(updated) + "\n"


def enable_in_site(text: str, key: str, ident: str) -> str | None:
    """site.yaml with ``ident`` added to its ``domains:``/``community:`` list (None: already there)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        raise ScaffoldError("site.yaml 有 YAML 语法错误（运行 gkml validate 查看）") from None
    if root is not None and not isinstance(root, MappingNode):
        raise ScaffoldError("site.yaml 应为“键: 值”形式的映射")
    listed = _mapping_value(root, key) if root is not None else None
    if isinstance(listed, SequenceNode) and any(isinstance(n, ScalarNode) and n.value == ident for n in listed.value):
        return None
    lines = text.splitlines()
    if listed is None or (listed.tag.endswith(":null")):
        result = text.rstrip("\n") + f"\n{key}:\n  - {ident}\n" if listed is None else None
        if result is None:   # “domains:” with nothing after it
            line = listed.start_mark.line if listed.start_mark.line < len(lines) else len(lines) - 1
            key_line = next(i for i in range(line, -1, -1) if lines[i].lstrip().startswith(f"{key}:"))
            lines.insert(key_line + 1, f"  - {ident}")
            result = "\n".join(lines) + "\n"
    elif isinstance(listed, SequenceNode) and listed.flow_style:
        closing = listed.end_mark.index - 1
        inside = text[listed.start_mark.index + 1: closing].strip()
        result = text[:closing].rstrip() + (", " if inside else "") + ident + text[closing:]
    elif isinstance(listed, SequenceNode):
        column = listed.start_mark.column
        end = _block_end(lines, listed.value[-1].start_mark.line, column) if listed.value else listed.start_mark.line
        lines.insert(end + 1, f"{' ' * column}- {ident}")
        result = "\n".join(lines) + "\n"
    else:
        raise ScaffoldError(f"site.yaml 中的 {key} 应为列表")
    if ident not in (yaml.safe_load(result) or {}).get(key, []):
        raise ScaffoldError(f"无法在 site.yaml 的 {key} 中加入 {ident}")
    return result


def categories(data: Any) -> list[str]:
    """The 一级事项 a catalogue already has, in order (offered when adding an item)."""
    items = data.get("items") if isinstance(data, dict) else None
    seen: dict[str, None] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("category"), str):
            seen.setdefault(item["category"], None)
    return list(seen)


def pilot_choices(catalog: Path) -> list[tuple[int, str, str, bool]]:
    """(number, slug, name, already has a file) for the 26 national pilot domains."""
    return [(n, slug, name, catalogue_path(catalog, "domain", slug).exists())
            for n, (slug, name) in enumerate(std.PILOT_DOMAINS.items(), 1)]
