"""Read one YAML file safely, keeping the line and column of every key and value.

Catalogue files are written by hand, so errors must point at a place in them. PyYAML's
node tree carries those marks; we turn it into plain values plus a position table keyed
by the path of each value (``("items", 3, "name")``).

Refused, with a message instead of a crash: files over :data:`MAX_BYTES`, text that is
not UTF-8, aliases (``*ref`` — the way "billion laughs" bombs multiply), duplicate keys
(PyYAML would silently keep the last one) and nesting deep enough to exhaust the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .problems import Position

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 40

PathKey = tuple[str | int, ...]


class YamlSourceError(Exception):
    def __init__(self, position: Position, message: str):
        super().__init__(message)
        self.position = position
        self.message = message


@dataclass
class Document:
    """A parsed file: its data and where each value (and each mapping key) stands."""

    path: Path
    data: Any
    values: dict[PathKey, Position] = field(default_factory=dict)
    keys: dict[PathKey, Position] = field(default_factory=dict)

    def at(self, path: PathKey) -> Position:
        """Where the value at ``path`` is written, or its nearest written ancestor."""
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), Position())

    def key_at(self, path: PathKey) -> Position:
        """Where the key naming ``path`` is written (for unknown or misplaced keys)."""
        return self.keys.get(path) or self.at(path)


def _position(node: Node) -> Position:
    mark = node.start_mark
    return Position(mark.line + 1, mark.column + 1)


_STR = "tag:yaml.org,2002:str"
#: libyaml's parser when available (about ten times faster); positions are kept either way.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(path: Path, raw: bytes) -> Document:
    """Parse ``raw`` (the bytes of ``path``); raise :class:`YamlSourceError` on any problem."""
    if len(raw) > MAX_BYTES:
        raise YamlSourceError(
            Position(),
            f"文件过大（{len(raw) // 1024} KiB），上限为 {MAX_BYTES // 1024 // 1024} MiB：请拆分为多个目录文件",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlSourceError(
            Position(line, col), "文件不是 UTF-8 编码：请用 UTF-8 重新保存（如从 WPS/Excel 导出时选择 UTF-8）"
        ) from None
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        doc = Document(path, None)
        doc.data = _convert(loader, root, (), doc, 0) if root is not None else None
        return doc
    except YamlSourceError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Position(mark.line + 1, mark.column + 1) if mark else Position()
        lines = text.split("\n")
        at_tab = mark is not None and mark.line < len(lines) and lines[mark.line][mark.column:mark.column + 1] == "\t"
        message = "不能用 Tab 缩进，请改用空格" if at_tab else _explain(exc)
        raise YamlSourceError(pos, f"YAML 语法错误：{message}") from None
    except yaml.YAMLError as exc:
        raise YamlSourceError(Position(), f"YAML 语法错误：{exc}") from None
    except RecursionError:
        raise YamlSourceError(Position(), f"嵌套层次过深（超过 {MAX_DEPTH} 层）") from None
    finally:
        loader.dispose()


def _explain(exc: yaml.MarkedYAMLError) -> str:
    """Translate PyYAML's most common complaints; keep the original for the rest."""
    problem = (exc.problem or "").strip()
    known = {
        "found character '\\t' that cannot start any token": "不能用 Tab 缩进，请改用空格",
        "found character that cannot start any token": "此处有不能作为开头的字符（常见原因：用了 Tab 缩进，或 @、` 开头的文本未加引号）",
        "mapping values are not allowed here": "此处不能出现冒号（“键: 值”的位置或缩进不对；文本中含半角冒号时请加引号）",
        "could not find expected ':'": "缺少冒号（“键: 值”格式不完整）",
        "found undefined alias": "不支持 YAML 别名",
        "expected <block end>, but found '-'": "列表项“-”的缩进与上文不一致",
        "expected <block end>, but found '<block mapping start>'": "缩进与上文不一致",
        "did not find expected key": "缩进与上文不一致，或缺少“键:”",
        "did not find expected '-' indicator": "列表项缩进不一致",
        "found unexpected end of stream": "引号或括号没有闭合",
        "found a tab character that violates indentation": "不能用 Tab 缩进，请改用空格",
    }
    for english, chinese in known.items():
        if problem.startswith(english):
            return chinese
    return problem or str(exc)


def _convert(loader: Any, node: Node, path: PathKey, doc: Document, depth: int,
             seen: set[int] | None = None, where: Position | None = None) -> Any:
    # An alias makes the composer reuse one node object; meeting a node twice means an
    # alias, refused before any expansion could multiply it.
    mark = node.start_mark
    doc.values[path] = Position(mark.line + 1, mark.column + 1)
    if isinstance(node, ScalarNode):
        # Plain text is most of a catalogue: skip the constructor's dispatch for it.
        return node.value if node.tag == _STR else loader.construct_object(node, deep=True)
    seen = set() if seen is None else seen
    if id(node) in seen:
        raise YamlSourceError(where or _position(node), "不支持 YAML 别名（*引用）：请把内容直接写出")
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise YamlSourceError(_position(node), f"嵌套层次过深（超过 {MAX_DEPTH} 层）")
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise YamlSourceError(_position(key_node), "键必须是简单文本")
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlSourceError(_position(key_node), "不支持 YAML 合并键（<<）：请把内容直接写出")
            key = str(loader.construct_scalar(key_node))
            if key in result:
                raise YamlSourceError(
                    _position(key_node),
                    f"键“{key}”重复（第 {doc.keys[path + (key,)].line} 行已有）：同一层级的键只能出现一次",
                )
            doc.keys[path + (key,)] = _position(key_node)
            result[key] = _convert(loader, value_node, path + (key,), doc, depth + 1, seen, _position(key_node))
        return result
    if isinstance(node, SequenceNode):
        return [_convert(loader, child, path + (i,), doc, depth + 1, seen, _position(node))
                for i, child in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load(path: Path) -> Document:
    """Read and parse one file from disk."""
    return parse(path, path.read_bytes())
