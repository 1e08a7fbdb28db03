"""Stage 2 — validate: check every parsed file against the schema in :mod:`fields`,
then the rules that span files (unique ids, references, enabled catalogues).

Every problem is collected; nothing stops at the first one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import fields as F
from . import standard_lists as std
from .doc_numbers import normalise_number
from .load import Sources
from .problems import Position, Problems
from .yaml_source import Document, PathKey

_ID = re.compile(F.ID_PATTERN)

_TYPE_NAMES = {
    "line": "文本", "text": "文本", "markdown": "文本", "date": "日期", "id": "标识",
    "url": "网址", "enum": "文本", "list": "列表", "objects": "列表",
}


@dataclass(frozen=True)
class Vocabulary:
    """The choices a site declares for itself (``choices_from``)."""

    channels: tuple[str, ...] = std.STANDARD_CHANNELS
    levels: tuple[str, ...] = std.DEFAULT_LEVELS

    def get(self, name: str) -> tuple[str, ...]:
        return tuple(getattr(self, name))


def site_vocabulary(site: dict[str, Any] | None) -> Vocabulary:
    site = site if isinstance(site, dict) else {}
    extra, levels = _texts(site.get("channels")), _texts(site.get("levels"))
    channels = std.STANDARD_CHANNELS + tuple(c for c in extra if c not in std.STANDARD_CHANNELS)
    return Vocabulary(channels=channels, levels=tuple(levels) or std.DEFAULT_LEVELS)


def _texts(value: Any) -> list[str]:
    """The text elements of what should be a list of text (the checks report the rest)."""
    return [element for element in value if isinstance(element, str)] if isinstance(value, list) else []


def validate_sources(sources: Sources, problems: Problems) -> None:
    check_site(sources.site, problems)
    vocabulary = site_vocabulary(sources.site.data if sources.site else None)
    for kind, doc in sources.catalogues:
        check_catalogue(kind, doc, vocabulary, problems)
    _check_cross_file(sources, problems)


def check_site(site_doc: Document | None, problems: Problems) -> None:
    """site.yaml on its own."""
    if site_doc is None:
        return
    site = site_doc.data
    if not isinstance(site, dict):
        problems.error(site_doc.path, site_doc.at(()), "site.yaml 应为“键: 值”形式的映射")
    else:
        _check_mapping(site_doc, site, F.SITE_FIELDS, (), None, Vocabulary(), problems)
        _check_base_url(site_doc, site, problems)


# --- one value against one field -------------------------------------------------------


def _check_mapping(doc: Document, data: dict[str, Any], fields: tuple[F.Field, ...], path: PathKey,
                   kind: str | None, vocab: Vocabulary, problems: Problems) -> None:
    known = F.keyed(fields)
    for key in data:
        if key not in known:
            hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            suggestion = f"，是否应为“{hint[0]}”（{known[hint[0]].title}）？" if hint else \
                f"。允许的键：{'、'.join(known)}"
            problems.error(doc.path, doc.key_at(path + (key,)), f"未知的键“{key}”{suggestion}")
    for f in fields:
        value = data.get(f.key)
        if value is None or value == "" or value == []:
            if f.is_required(kind):
                where = doc.key_at(path + (f.key,)) if f.key in data else doc.at(path)
                problems.error(doc.path, where, f"缺少必填字段{f.label()}：{f.help}")
            continue
        _check_value(doc, value, f, path + (f.key,), kind, vocab, problems)


def _check_value(doc: Document, value: Any, f: F.Field, path: PathKey, kind: str | None,
                 vocab: Vocabulary, problems: Problems) -> None:
    # Positions are looked up only for a problem: a valid file has none to report.
    if f.type in ("list", "objects"):
        if not isinstance(value, list):
            problems.error(doc.path, doc.at(path), f"字段{f.label()}应为列表，如 [甲, 乙] 或每行一个“- 值”")
            return
        if len(value) < f.min_items:
            problems.error(doc.path, doc.at(path), f"字段{f.label()}至少需要 {f.min_items} 项")
        if f.type == "objects":
            for i, element in enumerate(value):
                if not isinstance(element, dict):
                    problems.error(doc.path, doc.at(path + (i,)), f"字段{f.label()}的第 {i + 1} 项应为“键: 值”形式")
                    continue
                _check_mapping(doc, element, f.fields, path + (i,), kind, vocab, problems)
            return
        seen: set[Any] = set()
        element_field = f.element
        for i, element in enumerate(value):
            if isinstance(element, str) and element in seen:
                problems.warning(doc.path, doc.at(path + (i,)), f"字段{f.label()}中“{element}”重复")
            seen.add(element if isinstance(element, (str, int)) else id(element))
            _check_scalar(doc, element, element_field, path + (i,), vocab, problems)
        return
    _check_scalar(doc, value, f, path, vocab, problems)


def _check_scalar(doc: Document, value: Any, f: F.Field, path: PathKey, vocab: Vocabulary,
                  problems: Problems) -> None:
    if f.type == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            problems.error(doc.path, doc.at(path),
                           f"字段{f.label()}应为日期，格式 YYYY-MM-DD（如 2024-06-30），现为“{value}”")
        return
    if isinstance(value, (dict, list)):
        written = "“键: 值”形式的映射" if isinstance(value, dict) else "列表"
        problems.error(doc.path, doc.at(path), f"字段{f.label()}应为{_TYPE_NAMES[f.type]}，不能是{written}")
        return
    if not isinstance(value, str):
        shown = value.isoformat() if isinstance(value, dt.date) else value
        problems.error(doc.path, doc.at(path),
                       f"字段{f.label()}应为{_TYPE_NAMES[f.type]}，现为“{shown}”：以数字或日期开头的文本请加引号")
        return
    if not value.strip():
        problems.error(doc.path, doc.at(path), f"字段{f.label()}不能为空")
        return
    if f.type == "id" and not _ID.match(value):
        problems.error(doc.path, doc.at(path),
                       f"标识“{value}”不合法：只能用小写字母、数字和连字符，以字母或数字开头，最长64个字符（如 {f.example or 'edu-enrolment-policy'}）")
    elif f.type == "enum":
        choices = vocab.get(f.choices_from) if f.choices_from else f.choices
        if value not in choices:
            hint = difflib.get_close_matches(value, choices, n=1, cutoff=0.4)
            suggestion = f"，是否应为“{hint[0]}”？" if hint else ""
            extra = "（本地渠道请在 site.yaml 的 channels 中声明）" if f.choices_from == "channels" else ""
            problems.error(doc.path, doc.at(path),
                           f"字段{f.label()}的值“{value}”不在允许范围内{suggestion}允许：{'、'.join(choices)}{extra}")
    elif f.type in ("line",) and "\n" in value.strip():
        problems.error(doc.path, doc.at(path), f"字段{f.label()}应为单行文本")


# --- the same checks, for a file with nothing to report ----------------------------------


def _clean(data: dict[str, Any], rules: _Rules) -> bool:
    """Whether :func:`_check_mapping` would report nothing at all for ``data``.

    Nearly every file an editor commits is valid, and the general checks (with their messages,
    suggestions and positions at hand) cost a fifth of reading it. This asks the same questions
    with no message in mind; at the first doubt the general checks run and say what is wrong.
    It may be stricter than they are, never more lenient.
    """
    if not rules.keys >= data.keys():
        return False
    for key, required, kind_of, allowed, min_items, element, subrules in rules.fields:
        value = data.get(key)
        if value is None or value == "" or value == []:
            if required:
                return False
            continue
        if kind_of == "list":
            if type(value) is not list or len(value) < min_items \
                    or not all(_clean_scalar(v, element, allowed) for v in value) \
                    or len(set(value)) < len(value):        # a repeated element is warned of
                return False
        elif kind_of == "objects":
            if type(value) is not list or len(value) < min_items:
                return False
            assert subrules is not None
            for element_data in value:
                if type(element_data) is not dict or not _clean(element_data, subrules):
                    return False
        elif not _clean_scalar(value, kind_of, allowed):
            return False
    return True


def _clean_scalar(value: Any, kind_of: str, allowed: frozenset[str]) -> bool:
    """:func:`_check_scalar` would report nothing (see :func:`_clean`)."""
    if kind_of == "date":
        return type(value) is dt.date
    if type(value) is not str or not (text := value.strip()):
        return False
    if kind_of == "enum":
        return value in allowed
    if kind_of == "id":
        return _ID.match(value) is not None
    return kind_of != "line" or "\n" not in text


@dataclass(frozen=True)
class _Rules:
    """A tuple of fields as :func:`_clean` reads them, for one catalogue kind and vocabulary."""

    keys: frozenset[str]
    #: (key, required, type, allowed values, min_items, element type, rules of objects' fields)
    fields: tuple[tuple[str, bool, str, frozenset[str], int, str, "_Rules | None"], ...]


_RULES: dict[tuple[int, str | None, int], tuple[tuple[F.Field, ...], Vocabulary, _Rules]] = {}


def _rules(fields: tuple[F.Field, ...], kind: str | None, vocab: Vocabulary) -> _Rules:
    """The rules of ``fields``, made once per tuple, catalogue kind and vocabulary."""
    found = _RULES.get((id(fields), kind, id(vocab)))
    if found is None:
        rules = _Rules(frozenset(F.keyed(fields)), tuple(
            (f.key, f.is_required(kind), f.type,
             frozenset(vocab.get(f.choices_from) if f.choices_from else f.choices),
             f.min_items, f.item_type, _rules(f.fields, kind, vocab) if f.type == "objects" else None)
            for f in fields))
        # Kept with the tuple and the vocabulary, whose ids (the key) then stay theirs alone.
        found = _RULES[(id(fields), kind, id(vocab))] = (fields, vocab, rules)
    return found[2]


def _check_base_url(doc: Document, site: dict[str, Any], problems: Problems) -> None:
    url = site.get("base_url")
    if not isinstance(url, str) or not url.strip():
        return
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        problems.error(doc.path, doc.at(("base_url",)),
                       f"站点网址“{url}”应为以 https:// 开头的绝对网址，不带查询参数，如 https://www.example.gov.cn/gkml/")


# --- one catalogue file ----------------------------------------------------------------


def check_catalogue(folder_kind: str, doc: Document, vocab: Vocabulary, problems: Problems) -> None:
    """One catalogue file on its own: every field, and the rules within the file."""
    data = doc.data
    if not isinstance(data, dict):
        problems.error(doc.path, doc.at(()), "目录文件应为“键: 值”形式的映射，以 id、name、kind 等开头")
        return
    kind = data.get("kind") if data.get("kind") in std.CATALOGUE_KINDS else folder_kind
    if not _clean(data, _rules(F.CATALOGUE_FIELDS, kind, vocab)):
        _check_mapping(doc, data, F.CATALOGUE_FIELDS, (), kind, vocab, problems)
    stem = doc.path.stem
    if isinstance(data.get("id"), str) and data["id"] != stem:
        problems.error(doc.path, doc.at(("id",)),
                       f"目录标识“{data['id']}”与文件名“{doc.path.name}”不一致：id 应为“{stem}”，或把文件改名为“{data['id']}.yaml”")
    if data.get("kind") in std.CATALOGUE_KINDS and data["kind"] != folder_kind:
        folder = "domains" if data["kind"] == "domain" else "community"
        problems.error(doc.path, doc.at(("kind",)),
                       f"kind 为“{data['kind']}”的目录应放在 catalog/{folder}/ 下")
    items = data.get("items")
    if not isinstance(items, list):
        return
    first: dict[tuple[str, str], int] = {}   # (一级事项, 二级事项) → index of the first item naming it
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        _check_item_rules(doc, item, ("items", i), problems)
        key = (str(item.get("category")), str(item.get("name")))
        if key in first and item.get("status", "active") == "active":
            problems.warning(doc.path, doc.at(("items", i, "name")),
                             f"事项“{key[0]} / {key[1]}”在本目录中重复（第 {doc.at(('items', first[key])).line} 行已有）")
        first.setdefault(key, i)


def _check_item_rules(doc: Document, item: dict[str, Any], path: PathKey, problems: Problems) -> None:
    status = item.get("status", "active")
    ident = item.get("id", "?")
    if status == "withdrawn":
        for key, what in (("withdrawn_on", "撤销日期"), ("reason", "撤销原因")):
            if not item.get(key):
                problems.error(doc.path, doc.at(path + ("status",)),
                               f"事项“{ident}”已撤销（withdrawn），需写明 {key}（{what}）")
    else:
        for key in ("withdrawn_on", "reason", "replaced_by"):
            if key in item:
                problems.error(doc.path, doc.key_at(path + (key,)),
                               f"事项“{ident}”未撤销，不应有“{key}”：撤销时请同时写 status: withdrawn")
    if item.get("audience_group") and item.get("audience") == "全社会":
        problems.warning(doc.path, doc.key_at(path + ("audience_group",)),
                         "公开对象为“全社会”时不需要 audience_group（特定群体名称）")
    bases = item.get("basis")
    for i, basis in enumerate(bases if isinstance(bases, list) else ()):
        number = basis.get("number") if isinstance(basis, dict) else None
        if isinstance(number, str) and normalise_number(number) != number:
            problems.warning(doc.path, doc.at(path + ("basis", i, "number")),
                             f"文号“{number}”已按规范写法处理为“{normalise_number(number)}”，建议在文件中同样修改")


# --- rules across files ----------------------------------------------------------------


@dataclass(frozen=True)
class FileFacts:
    """What the rules across files need of one catalogue file: a few facts, not the file.

    A city's build keeps these for thousands of files it did not parse again (see units.py).
    """

    kind: str                                               # the folder's kind: domain or community
    path: Path
    ids: tuple[tuple[str, Position], ...] = ()              # every item id, where it is written
    references: tuple[tuple[str, str, Position], ...] = ()  # (item id, its replaced_by, where)

    @property
    def stem(self) -> str:
        return self.path.stem


def facts_of(kind: str, doc: Document) -> FileFacts:
    data = doc.data if isinstance(doc.data, dict) else {}
    ids: list[tuple[str, Position]] = []
    references: list[tuple[str, str, Position]] = []
    items = data.get("items")
    for i, item in enumerate(items if isinstance(items, list) else ()):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        ids.append((item["id"], doc.at(("items", i, "id"))))
        if isinstance(item.get("replaced_by"), str):
            references.append((item["id"], item["replaced_by"], doc.at(("items", i, "replaced_by"))))
    return FileFacts(kind, doc.path, tuple(ids), tuple(references))


def _check_cross_file(sources: Sources, problems: Problems) -> None:
    facts = [facts_of(kind, doc) for kind, doc in sources.catalogues]
    check_across_files(facts, sources.unreadable, sources.site, problems)


def check_across_files(facts: list[FileFacts], unreadable: set[tuple[str, str]], site_doc: Document | None,
                       problems: Problems) -> None:
    """Unique ids site-wide, real ``replaced_by`` targets, enabled catalogues that exist."""
    first_seen: dict[str, tuple[Path, int]] = {}
    catalogue_ids: dict[str, set[str]] = {"domain": set(), "community": set()}
    for file in facts:
        catalogue_ids[file.kind].add(file.stem)
        for ident, where in file.ids:
            seen = first_seen.get(ident)
            if seen is not None:
                path, line = seen
                problems.error(file.path, where,
                               f"事项标识“{ident}”重复：{path.name} 第 {line} 行已使用。标识须全站唯一，请改用新的标识")
            else:
                first_seen[ident] = (file.path, where.line)
    for file in facts:
        for ident, target, where in file.references:
            if target == ident:
                problems.error(file.path, where, f"事项“{ident}”的 replaced_by 不能指向自身")
            elif target not in first_seen:
                close = difflib.get_close_matches(target, first_seen, n=1)
                hint = f"，是否应为“{close[0]}”？" if close else ""
                problems.error(file.path, where, f"replaced_by 指向不存在的事项“{target}”{hint}")
    if site_doc is None or not isinstance(site_doc.data, dict):
        return
    for key, kind, folder in (("domains", "domain", "domains"), ("community", "community", "community")):
        enabled = site_doc.data.get(key)
        if not isinstance(enabled, list):
            continue
        for i, ident in enumerate(enabled):
            if isinstance(ident, str) and ident not in catalogue_ids[kind] and (kind, ident) not in unreadable:
                problems.error(site_doc.path, site_doc.at((key, i)),
                               f"site.yaml 启用了目录“{ident}”，但找不到 catalog/{folder}/{ident}.yaml")
