"""The text of one cell of a published catalogue table, both ways.

Published catalogues (Excel, Word, web pages) write each field in a handful of ways:
公开内容 as a numbered list, a 、-list or bullets; 公开依据 as 《title》(文号) with an
optional 【kind】 tag; 公开渠道 as a ■/□ checklist (with OCR artefacts 口, t, ▄) or a plain
list of the chosen ones; 对象/方式/层级 as √ ticks. Parsers return the value plus warnings
in Chinese; formatters write the form the parsers read back exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from . import standard_lists as std
from .doc_numbers import normalise_number

# --- 公开内容（要素） -----------------------------------------------------------------------

_NUMBERING = re.compile(r"^\s*(?:\d{1,2}\s*[.．、)）]|[（(]\d{1,2}[)）]|[①-⑳]|[●•·◆▪\-*])\s*")


def parse_content(text: str) -> list[str]:
    """Numbered or bulleted lines → one element per line; a single plain line → split on 、；."""
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
    if not lines:
        return []
    if any(_NUMBERING.match(line) for line in lines) or len(lines) > 1:
        return [e for e in (_NUMBERING.sub("", line, count=1).strip() for line in lines) if e]
    return [e.strip() for e in re.split(r"[、；;]", lines[0]) if e.strip()]


def format_content(elements: Sequence[str]) -> str:
    # Always numbered, so an element that itself contains “、” reads back as one element.
    return "\n".join(f"{i}. {e}" for i, e in enumerate(elements, 1))


# --- 公开依据 ------------------------------------------------------------------------------

#: 【tag】 spellings seen on published catalogues → our basis kinds (None: guess from the title).
KIND_TAGS: dict[str, str | None] = {
    **{k: k for k in std.BASIS_KINDS},
    "条例": "行政法规", "规章": "部门规章", "政府规章": "地方政府规章", "地方规章": "地方政府规章",
    "文件": "规范性文件", "政策文件": "规范性文件", "规范性文件及其他": "规范性文件",
    "法规": None, "部门规章及规范性文件": None, "法律法规": None,
}


@dataclass
class BasisParse:
    basis: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def guess_kind(title: str, number: str | None) -> str:
    """The 效力类别 a 文号 or title implies (主席令→法律, 国务院令→行政法规, 部令→部门规章 …)."""
    number = number or ""
    if "主席令" in number:
        return "法律"
    if re.search(r"国务院令|国令", number):
        return "行政法规"
    if re.search(r"政府令", number):
        return "地方政府规章"
    if re.search(r"(部|委|总局|署|行|局)令", number):
        return "部门规章"
    if re.search(r"公告", number) and "人大" in number:
        return "地方性法规"
    if re.search(r"〔\d{4}〕", normalise_number(number)):
        return "规范性文件"
    local = re.match(r"^[\u4e00-\u9fff]{2,8}?(省|市|自治区|自治州|县|区)", title) and not title.startswith("中华人民共和国")
    title = re.sub(r"[（(](试行|暂行|修订|修正)[)）]$", "", title)
    if re.search(r"[^办]法$", title):
        return "法律"
    if "条例" in title:
        return "地方性法规" if local else "行政法规"
    if re.search(r"(办法|规定|细则)$", title):
        return "地方政府规章" if local else "部门规章"
    if re.search(r"(意见|通知|方案|规划|指引|决定|规程|标准|目录|纲要)$", title):
        return "规范性文件"
    return "其他"


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    """Index of the bracket closing the one at ``start`` (nested 《…《…》…》 titles exist)."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
            if depth == 0:
                return i
    return -1


def parse_basis(text: str, previous: list[dict[str, str]] | None = None) -> BasisParse:
    """``【法律】《中华人民共和国义务教育法》（主席令第52号）第十二条、《…》`` → basis entries."""
    result = BasisParse()
    text = text.strip()
    if not text:
        return result
    if text in ("同上", "同前", "同上。"):
        if previous:
            result.basis = [dict(b) for b in previous]
            result.warnings.append("公开依据为“同上”，已复制上一行的依据，请核对")
        else:
            result.warnings.append("公开依据为“同上”，但前面没有可复制的依据")
        return result
    if "《" not in text:
        for piece in (p.strip(" 。") for p in re.split(r"[\n、；;]", text)):
            if piece:
                _add(result, piece, None, None, None)
        return result
    tag: str | None = None
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "【":
            end = text.find("】", pos)
            if end < 0:
                break
            tag = text[pos + 1:end].strip()
            pos = end + 1
        elif ch == "《":
            end = _closing(text, pos, "《", "》")
            if end < 0:
                result.warnings.append(f"书名号没有闭合：“{text[pos:pos + 20]}”")
                break
            title = text[pos + 1:end].strip()
            pos = end + 1
            number = articles = None
            rest = re.match(r"\s*[（(]([^（()）]*)[)）]", text[pos:])
            if rest:
                inside = rest.group(1).strip()
                if re.search(r"[号令]", inside):
                    number = normalise_number(inside)
                elif re.search(r"第.+条", inside):
                    articles = inside
                else:
                    title += f"（{inside}）"
                pos += rest.end()
            after = re.match(r"\s*【([^】]*)】(?=\s*(?:$|[、，,；;\n]))", text[pos:])
            if after and tag is None:   # 《title》（文号）【kind】 — the tag written after the title
                tag = after.group(1).strip()
                pos += after.end()
            tail = re.match(r"[^《【\n]*", text[pos:])
            if tail and tail.group(0).strip(" 、，,；;。"):
                extra = tail.group(0).strip(" 、，,；;。")
                if re.search(r"第.+条", extra) and not articles:
                    articles = extra
                else:
                    result.warnings.append(f"依据“{title}”后的文字“{extra}”未导入")
                pos += tail.end()
            _add(result, title, tag, number, articles)
            tag = None   # a 【tag】 labels the one title after it
        else:
            end = min([i for i in (text.find("《", pos), text.find("【", pos)) if i >= 0], default=len(text))
            stray = text[pos:end].strip(" 、，,；;。\n")
            if stray:
                result.warnings.append(f"公开依据中的文字“{stray}”不是《书名》形式，未导入")
            pos = end
    return result


def _add(result: BasisParse, title: str, tag: str | None, number: str | None, articles: str | None) -> None:
    kind = KIND_TAGS.get(tag) if tag else None
    if kind is None:
        kind = guess_kind(title, number)
        label = f"【{tag}】不是标准的效力类别" if tag else "未标明效力类别"
        result.warnings.append(f"依据“{title}”{label}，已按文号和名称推定为“{kind}”，请核对")
    entry = {"title": title, "kind": kind}
    if number:
        entry["number"] = number
    if articles:
        entry["articles"] = articles
    result.basis.append(entry)


def format_basis(basis: Iterable[tuple[str, str, str | None, str | None]]) -> str:
    """(title, kind, number, articles) entries, one a line: ``【kind】《title》（number）articles``."""
    lines = []
    for title, kind, number, articles in basis:
        lines.append(f"【{kind}】《{title}》" + (f"（{number}）" if number else "") + (articles or ""))
    return "\n".join(lines)


# --- 公开渠道和载体 ------------------------------------------------------------------------

CHOSEN = "■▄☑☒✓✔√▇█"
UNCHOSEN = "□☐口"
#: Other spellings seen on published catalogues → the standard channel.
CHANNEL_ALIASES: dict[str, str] = {
    "政府服务中心": "政务服务中心", "行政服务中心": "政务服务中心",
    "发布会听证会": "发布会/听证会", "发布会、听证会": "发布会/听证会",
    "入户现场": "入户/现场",
    "社区/企事业单位/村公示栏(电子屏)": "社区/企事业单位/村公示栏（电子屏）",
    "社区/企事业单位/村公示栏": "社区/企事业单位/村公示栏（电子屏）",
    "公示栏": "社区/企事业单位/村公示栏（电子屏）",
    "公示栏（电子屏）": "社区/企事业单位/村公示栏（电子屏）",
}


@dataclass
class ChannelParse:
    chosen: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checklist: bool = False


def _canonical_channel(name: str, known: Sequence[str]) -> str | None:
    name = name.strip(" 、，,；;。:：")
    if name in known:
        return name
    alias = CHANNEL_ALIASES.get(name) or CHANNEL_ALIASES.get(name.replace("(", "（").replace(")", "）"))
    if alias:
        return alias
    if name.replace("(", "（").replace(")", "）") in known:
        return name.replace("(", "（").replace(")", "）")
    return None


def parse_channels(text: str, known: Sequence[str]) -> ChannelParse:
    """A ■/□ checklist (or a plain list of the chosen channels) → the chosen channels."""
    result = ChannelParse()
    text = text.strip()
    if not text:
        return result
    marks = CHOSEN + UNCHOSEN
    # “t” is Wingdings’ filled lozenge after a lost font: a mark, when a channel name follows it.
    names = "|".join(re.escape(k) for k in sorted(known, key=len, reverse=True))
    text = re.sub(rf"(?<![A-Za-z])t(?=\s*(?:{names}))", "■", text)
    # “口” is also a word (窗口); it is a box only before a known channel name or at a token start.
    text = re.sub(rf"口(?=\s*(?:{names}))", "□", text)
    text = re.sub(r"(^|[\s、，,；;])口", r"\1□", text)
    result.checklist = any(ch in text for ch in marks)
    if result.checklist:
        pieces = re.findall(rf"([{re.escape(marks)}])\s*([^{re.escape(marks)}\n]*)", text)
        leading = text[: min((text.find(ch) for ch in marks if ch in text), default=0)].strip()
        if leading:
            result.warnings.append(f"渠道清单开头的文字“{leading}”没有勾选框，未导入")
        for mark, name in pieces:
            name = re.split(r"\s{2,}", name.strip())[0] if name.strip() else ""
            if mark in UNCHOSEN or not name:
                continue
            _choose(result, name, known)
    else:
        for name in re.split(r"[\n、，,；;\s]+", text):
            if name:
                _choose(result, name, known)
    return result


def _choose(result: ChannelParse, name: str, known: Sequence[str]) -> None:
    name = name.strip(" 、，,；;。")
    other = re.match(r"^其他[（(:：]?(.+?)[)）]?$", name)
    canonical = _canonical_channel(name, known)
    if canonical is None and other:
        canonical = "其他"
        result.warnings.append(f"渠道“{name}”已记为“其他”，括号中的说明未导入，可写入备注")
    if canonical is None:
        canonical = name
        result.warnings.append(f"渠道“{name}”不在标准清单中，也未在 site.yaml 的 channels 中声明：已保留，请声明或改为标准渠道")
    if canonical not in result.chosen:
        result.chosen.append(canonical)


def format_channels(chosen: Sequence[str], standard: Sequence[str] = std.STANDARD_CHANNELS) -> str:
    """The checklist as printed: every standard channel with ■ or □, then any local ones chosen."""
    listed = list(standard) + [c for c in chosen if c not in standard]
    return "\n".join(("■" if c in chosen else "□") + c for c in listed)


# --- √ tick columns ------------------------------------------------------------------------

_NOT_TICKED = {"", "×", "✗", "✘", "□", "☐", "口", "否", "无", "-", "—", "/", "0"}


def is_ticked(text: str) -> bool:
    return text.strip() not in _NOT_TICKED


def is_tick_mark(text: str) -> bool:
    """A cell holding only a mark (√, ■, 是 …), as opposed to a name such as “项目单位”."""
    return text.strip() in {"√", "✓", "✔", "■", "☑", "●", "○", "是", "Y", "y", "V", "v", "x", "X", "▄", "t"}
