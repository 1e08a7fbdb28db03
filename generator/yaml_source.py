"""Read one YAML file safely, keeping the line and column of every key and value.

Catalogue files are written by hand, so errors must point at a place in them. libyaml's parser
reports each key and value with its position (its *events*); we turn the events straight into
plain values and keep each value's position beside it, looked up by path
(``("items", 3, "name")``) when a message needs one.

Refused, with a message instead of a crash: files over :data:`MAX_BYTES`, text that is
not UTF-8, aliases (``*ref`` — the way "billion laughs" bombs multiply), duplicate keys
(PyYAML would silently keep the last one) and nesting deeper than :data:`MAX_DEPTH`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import (AliasEvent, DocumentEndEvent, MappingEndEvent, MappingStartEvent, ScalarEvent,
                         SequenceEndEvent, SequenceStartEvent, StreamEndEvent)
from yaml.nodes import ScalarNode

from .problems import Position

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 40

PathKey = tuple[str | int, ...]


class YamlSourceError(Exception):
    def __init__(self, position: Position, message: str):
        super().__init__(message)
        self.position = position
        self.message = message


#: Where a container's entries are written: for a mapping, key → (the key's mark, the value's
#: mark); for a list, each element's mark (libyaml's marks: 0-based line, column, index).
Marks = dict[str, tuple[Any, Any]] | list[Any]


@dataclass
class Document:
    """A parsed file: its data, and where each of its values is written.

    ``marks`` holds, by the ``id`` of each mapping and list of ``data`` (which the document
    keeps alive), where its entries are written: a lookup walks ``data`` and these side by side.
    """

    path: Path
    data: Any
    marks: dict[int, Marks] = field(default_factory=dict, repr=False, compare=False)
    #: Where ``data`` itself starts (None for an empty file).
    root_mark: Any = field(default=None, repr=False, compare=False)

    def at(self, path: PathKey) -> Position:
        """Where the value at ``path`` is written, or its nearest written ancestor."""
        if self.root_mark is None:
            return Position()
        value, mark = self.data, self.root_mark
        for step in path:
            found = self._child(value, step)
            if found is None:
                break
            value, mark, _ = found
        return _position(mark)

    def each_at(self, path: PathKey) -> list[Position]:
        """Where each element of the list at ``path`` is written (none when it is not a list)."""
        found = self._exactly(path)
        if found is None or not isinstance(found[0], list):
            return []
        return [_position(mark) for mark in self.marks[id(found[0])]]

    def key_at(self, path: PathKey) -> Position:
        """Where the key naming ``path`` is written (for unknown or misplaced keys)."""
        if path:
            found = self._exactly(path)
            if found is not None and found[2] is not None:
                return _position(found[2])
        return self.at(path)

    def _exactly(self, path: PathKey) -> tuple[Any, Any, Any] | None:
        """(value, its mark, its key's mark or None) at ``path`` exactly, or None."""
        if self.root_mark is None:
            return None
        found: tuple[Any, Any, Any] | None = (self.data, self.root_mark, None)
        for step in path:
            found = self._child(found[0], step)
            if found is None:
                return None
        return found

    def _child(self, value: Any, step: str | int) -> tuple[Any, Any, Any] | None:
        """(value, mark, key mark or None) one step below ``value``: a mapping's key or a list's index."""
        if isinstance(value, dict):
            if step in value:
                key_mark, mark = self.marks[id(value)][step]    # type: ignore[call-overload]
                return value[step], mark, key_mark
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            return value[step], self.marks[id(value)][step], None
        return None


def _position(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: The implicit resolvers by first character. Catalogue text mostly starts with a Chinese
#: character, for which none is registered, so it is text without trying any; the few other
#: plain values (``name``, ``title``, dates) repeat in a file and get PyYAML's answer once each.
#: This gives PyYAML's own answers only while no path resolver is registered and no implicit
#: resolver applies whatever the first character (``None``): true of SafeLoader.
_RESOLVERS = _Loader.yaml_implicit_resolvers
assert None not in _RESOLVERS and not _Loader.yaml_path_resolvers
_DONE = object()         # in a mapping: no key read yet (the next scalar is a key)


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
        data, marks, root_mark = _read(loader)
        return Document(path, data, marks, root_mark)
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
    finally:
        loader.dispose()


def _read(loader: Any) -> tuple[Any, dict[int, Marks], Any]:
    """(data, its values' marks by container, where it starts) from the parser's events.

    One pass over libyaml's events, with no node objects: PyYAML's composer makes a node per
    value and calls three Python resolver methods for it, which cost more than reading the
    file. Problems are raised in the order they are written, so the first one is reported.
    """
    marks: dict[int, Marks] = {}
    get = loader.get_event
    get()                                    # the stream's start
    if type(get()) is StreamEndEvent:        # the document's start, or an empty file
        return None, marks, None
    # One object for each text repeated in the file (channels, subjects, laws cited): a file's
    # unit then pickles each once, smaller and sooner loaded by the parent process.
    share = {}.setdefault
    plain_tags: dict[str, str] = {}
    construct = loader.construct_object
    stack: list[tuple[Any, Any, Any]] = []   # the open containers' parents: (container, marks, own mark)
    container: Any = None                    # the open mapping or list (None: at the top)
    entries: Any = None                      # its marks
    own_mark: Any = None                     # where it starts
    key: Any = _DONE                         # in a mapping: the key read, waiting for its value
    key_mark: Any = None
    root: Any = None
    root_mark: Any = None
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            value = event.value
            tag = event.tag
            if tag is None or tag == "!":
                # PyYAML's resolver: quoted text (or tagged "!") is never resolved implicitly,
                # nor plain text whose first character no implicit resolver is registered for;
                # the rest gets PyYAML's own answer, once per text.
                if not event.implicit[0] or (value and value[0] not in _RESOLVERS):
                    tag = _STR
                else:
                    tag = plain_tags.get(value)
                    if tag is None:
                        tag = plain_tags[value] = loader.resolve(ScalarNode, value, event.implicit)
            if key is _DONE and type(container) is dict:
                # A key: its text, whatever its tag (as PyYAML's constructor takes a key).
                if tag == _MERGE:
                    raise YamlSourceError(_position(event.start_mark), "不支持 YAML 合并键（<<）：请把内容直接写出")
                if value in container:
                    first = entries[value][0].line + 1
                    raise YamlSourceError(
                        _position(event.start_mark),
                        f"键“{value}”重复（第 {first} 行已有）：同一层级的键只能出现一次",
                    )
                key, key_mark = value, event.start_mark
                continue
            if tag == _STR:
                value = share(value, value)
            else:
                try:
                    value = construct(ScalarNode(tag, value, event.start_mark, event.end_mark, event.style), deep=True)
                except yaml.YAMLError:
                    raise
                except Exception:       # the value does not fit its type: ValueError, IndexError …
                    raise YamlSourceError(_position(event.start_mark), _unreadable(value, tag)) from None
            mark = event.start_mark
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if key is _DONE and type(container) is dict:
                raise YamlSourceError(_position(event.start_mark), "键必须是简单文本")
            mark = event.start_mark
            if len(stack) > MAX_DEPTH:
                raise YamlSourceError(_position(mark), f"嵌套层次过深（超过 {MAX_DEPTH} 层）")
            value, new_entries = ({}, {}) if kind is MappingStartEvent else ([], [])
            marks[id(value)] = new_entries
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            container, entries, own_mark = stack.pop()
            key = _DONE
            continue
        elif kind is AliasEvent:
            # Refused before any expansion could multiply it: reported where it is used (the
            # key of a mapping value, the list holding it).
            where = key_mark if type(container) is dict and key is not _DONE else own_mark
            raise YamlSourceError(_position(where or event.start_mark), "不支持 YAML 别名（*引用）：请把内容直接写出")
        elif kind is DocumentEndEvent:
            following = get()
            if type(following) is not StreamEndEvent:
                raise ComposerError("expected a single document in the stream", root_mark,
                                    "but found another document", following.start_mark)
            return root, marks, root_mark
        else:
            raise ComposerError(None, None, f"unexpected {kind.__name__}", event.start_mark)
        # A value (scalar, or a mapping or list just opened) goes where the open container wants it.
        if type(container) is dict:
            container[key] = value
            entries[key] = (key_mark, mark)
            key = _DONE
        elif container is not None:
            container.append(value)
            entries.append(mark)
        else:
            root, root_mark = value, mark
        if kind is not ScalarEvent:
            stack.append((container, entries, own_mark))
            container, entries, own_mark = value, new_entries, mark


def _unreadable(value: str, tag: str) -> str:
    if tag == _TIMESTAMP:
        # PyYAML reads 2024-13-01 as a date, then cannot make one of it.
        return f"“{value}”不是有效的日期：请写成实际存在的日期，如 2024-03-01（年-月-日）"
    return f"“{value}”不能按 YAML 标记“{tag.rsplit(':', 1)[-1]}”读取：请改正取值，或去掉标记（如 !!int）"


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


def load(path: Path) -> Document:
    """Read and parse one file from disk."""
    return parse(path, path.read_bytes())
