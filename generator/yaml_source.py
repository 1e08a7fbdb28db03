"""Read one YAML file safely, keeping the line and column of every key and value.

Catalogue files are written by hand, so errors must point at a place in them. PyYAML's
node tree carries those marks; we turn it into plain values and keep the tree, where the
position of a path (``("items", 3, "name")``) is looked up when a message needs it.

Refused, with a message instead of a crash: files over :data:`MAX_BYTES`, text that is
not UTF-8, aliases (``*ref`` — the way "billion laughs" bombs multiply), duplicate keys
(PyYAML would silently keep the last one) and nesting deep enough to exhaust the stack.
"""

from __future__ import annotations

import operator
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
    """A parsed file: its data, and the node tree PyYAML composed it from.

    Positions are read from the nodes when a message needs one: a valid file asks for a few
    per item, while a table of every value's position cost more than checking the file.
    """

    path: Path
    data: Any
    #: The composed root node (None for an empty file); every node carries its start mark.
    root: Node | None = field(default=None, repr=False, compare=False)
    #: Each long mapping node's keys (by id), indexed the first time a path goes through it.
    _entries: dict[int, dict[str, tuple[Node, Node]]] = field(default_factory=dict, init=False, repr=False,
                                                              compare=False)

    def at(self, path: PathKey) -> Position:
        """Where the value at ``path`` is written, or its nearest written ancestor."""
        node = self.root
        if node is None:
            return Position()
        for step in path:
            child = self._child(node, step)
            if child is None:
                break
            node = child
        return _position(node)

    def each_at(self, path: PathKey) -> list[Position]:
        """Where each element of the list at ``path`` is written (none when it is not a list)."""
        node = self._node(path)
        return [_position(element) for element in node.value] if isinstance(node, SequenceNode) else []

    def key_at(self, path: PathKey) -> Position:
        """Where the key naming ``path`` is written (for unknown or misplaced keys)."""
        parent = self._node(path[:-1]) if path else None
        if isinstance(parent, MappingNode):
            entry = self._entry(parent, path[-1])
            if entry is not None:
                return _position(entry[0])
        return self.at(path)

    def _node(self, path: PathKey) -> Node | None:
        """The node at ``path`` exactly, or None when the path leads nowhere."""
        node = self.root
        for step in path:
            if node is None:
                return None
            node = self._child(node, step)
        return node

    def _child(self, node: Node, step: str | int) -> Node | None:
        """The value node one step below ``node``: a mapping's key or a sequence's index."""
        if isinstance(node, MappingNode):
            entry = self._entry(node, step)
            return None if entry is None else entry[1]
        if isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            return node.value[step]
        return None

    def _entry(self, node: MappingNode, key: str | int) -> tuple[Node, Node] | None:
        """The (key, value) nodes of ``key`` in a mapping; keys are unique plain text (parse saw to it)."""
        pairs = node.value
        if len(pairs) <= _SCANNED:
            # An item's few keys: looking through them costs less than indexing them.
            for pair in pairs:
                if pair[0].value == key:
                    return pair
            return None
        entries = self._entries.get(id(node))
        if entries is None:
            entries = self._entries[id(node)] = {k.value: (k, v) for k, v in pairs}
        return entries.get(key)


#: Mappings up to this many keys are looked through for a key; longer ones are indexed once.
_SCANNED = 24


def _position(node: Node) -> Position:
    mark = node.start_mark
    return Position(mark.line + 1, mark.column + 1)


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: The shortcuts below give PyYAML's own answers only while no path resolver is registered and
#: no implicit resolver applies whatever the first character (``None``): true of SafeLoader.
_SHORTCUT = None not in _Base.yaml_implicit_resolvers and not _Base.yaml_path_resolvers
_COLLECTION_TAGS = {SequenceNode: _Base.DEFAULT_SEQUENCE_TAG, MappingNode: _Base.DEFAULT_MAPPING_TAG}


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """libyaml's parser (about ten times faster than PyYAML's own) with quicker resolver calls.

    The composer calls three resolver methods for every node. For a plain scalar PyYAML tries
    the implicit resolvers (bool, int, float, null, timestamp …) registered for its first
    character. Catalogue text mostly starts with a Chinese character, for which none is
    registered, so the answer is ``str`` without trying any; the few other plain values
    (``name``, ``title``, dates) repeat in a file and get PyYAML's answer once each.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._plain_tags: dict[str, str] = {}

    if _SHORTCUT:
        def resolve(self, kind: type, value: Any, implicit: Any) -> str:
            if kind is not ScalarNode:
                return _COLLECTION_TAGS[kind]
            if not implicit[0]:                # quoted, or tagged "!": never resolved implicitly
                return _STR
            if value and value[0] not in self.yaml_implicit_resolvers:
                return _STR
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = self._plain_tags[value] = super().resolve(kind, value, implicit)
            return tag

        # These two follow the path of each node for path resolvers: there are none to follow
        # it for. The composer calls both for every node and ignores what they return, so any
        # built-in taking the same arguments does: unlike a Python method, it needs no frame
        # (about 3 % of parsing a file).
        descend_resolver = operator.is_        # (current_node, current_index)
        ascend_resolver = tuple                # ()


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
        data = _Converter(loader).value(root, 0, None) if root is not None else None
        return Document(path, data, root)
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


class _Converter:
    """Turns the composed nodes into plain values, refusing what a catalogue may not hold.

    Problems are raised in the order they are written in the file, so the first one is reported.
    """

    def __init__(self, loader: Any):
        self.construct = loader.construct_object
        self.seen: set[int] = set()
        # One object for each text repeated in the file (channels, subjects, laws cited): a
        # file's unit then pickles each once, smaller and sooner loaded by the parent process.
        texts: dict[str, str] = {}
        self.share = texts.setdefault

    def value(self, node: Node, depth: int, where: Node | None) -> Any:
        """``node``'s value; ``where``: the node an alias of it is reported at (None: itself)."""
        if isinstance(node, ScalarNode):
            return node.value if node.tag == _STR else self.scalar(node)
        # An alias makes the composer reuse one node object; meeting a node twice means an
        # alias, refused before any expansion could multiply it.
        if id(node) in self.seen:
            raise YamlSourceError(_position(where or node), "不支持 YAML 别名（*引用）：请把内容直接写出")
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise YamlSourceError(_position(node), f"嵌套层次过深（超过 {MAX_DEPTH} 层）")
        if isinstance(node, MappingNode):
            return self.mapping(node, depth)
        if isinstance(node, SequenceNode):
            return [self.share(child.value, child.value) if child.tag == _STR and isinstance(child, ScalarNode)
                    else self.value(child, depth + 1, node) for child in node.value]
        return self.construct(node, deep=True)

    def scalar(self, node: ScalarNode) -> Any:
        try:
            return self.construct(node, deep=True)
        except ValueError:
            # PyYAML reads 2024-13-01 as a date, then cannot make one of it.
            raise YamlSourceError(_position(node), f"“{node.value}”不是有效的日期：请写成实际存在的日期，"
                                  "如 2024-03-01（年-月-日）") from None

    def mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            # The usual key is plain text not yet used in this mapping; any other is looked at closely.
            if key_node.tag != _STR or not isinstance(key_node, ScalarNode) or key in result:
                key = self.key(node, key_node, result)
            # Plain text is most of a catalogue: taken as it is, without a call for each value.
            if value_node.tag == _STR and isinstance(value_node, ScalarNode):
                result[key] = self.share(value_node.value, value_node.value)
            else:
                result[key] = self.value(value_node, depth + 1, key_node)
        return result

    @staticmethod
    def key(node: MappingNode, key_node: Node, earlier: dict[str, Any]) -> str:
        """The text of one of ``node``'s keys; ``earlier``: its keys before this one."""
        if not isinstance(key_node, ScalarNode):
            raise YamlSourceError(_position(key_node), "键必须是简单文本")
        if key_node.tag == _MERGE:
            raise YamlSourceError(_position(key_node), "不支持 YAML 合并键（<<）：请把内容直接写出")
        key = key_node.value       # what the constructor gives for a scalar key, whatever its tag
        if key in earlier:
            first = next(k for k, _ in node.value if k.value == key)
            raise YamlSourceError(
                _position(key_node),
                f"键“{key}”重复（第 {first.start_mark.line + 1} 行已有）：同一层级的键只能出现一次",
            )
        return key


def load(path: Path) -> Document:
    """Read and parse one file from disk."""
    return parse(path, path.read_bytes())
