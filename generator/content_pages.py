"""Markdown pages from ``content/`` (关于本站, 政府信息公开指南, 无障碍声明 …).

Each file may start with YAML front matter (``title``, ``order``); its name is its URL:
``content/about.md`` → ``/about/``.
"""

from __future__ import annotations

import re
from pathlib import Path

from .model import ContentPage
from .problems import Position, Problems
from .yaml_source import YamlSourceError, parse

_FRONT_MATTER = re.compile(r"\A---\r?\n(.*?\r?\n)---\r?\n", re.S)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
#: Names a content page may not take, because the site's own pages live there.
RESERVED = {"items", "domains", "community", "search", "assets", "pagefind", "posters"}


def load_content(directory: Path | None, problems: Problems) -> tuple[ContentPage, ...]:
    if directory is None or not directory.is_dir():
        return ()
    pages = []
    for path in sorted(directory.glob("*.md")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.error(path, None, "文件不是 UTF-8 编码：请用 UTF-8 重新保存")
            continue
        meta: dict[str, object] = {}
        body = text
        offset = 0
        match = _FRONT_MATTER.match(text)
        if match:
            try:
                data = parse(path, match.group(1).encode()).data
            except YamlSourceError as exc:
                problems.error(path, Position(exc.position.line + 1, exc.position.col), exc.message)
                continue
            meta = data if isinstance(data, dict) else {}
            body = text[match.end():]
            offset = match.group(0).count("\n")
        slug = path.stem
        if not _SLUG.match(slug) or slug in RESERVED:
            problems.error(path, None, f"页面文件名“{path.name}”不可用：请用小写字母、数字和连字符，且不能是 {'、'.join(sorted(RESERVED))}")
            continue
        title = meta.get("title") or _first_heading(body)
        if not isinstance(title, str) or not title:
            problems.error(path, Position(1 + offset, 1), "页面缺少标题：请在开头写 front matter 的 title，或以“# 标题”开始")
            continue
        order = meta.get("order", 100)
        pages.append(ContentPage(slug=slug, title=title, body=_strip_first_heading(body, title),
                                 order=order if isinstance(order, int) else 100, source_path=path))
    return tuple(sorted(pages, key=lambda p: (p.order, p.slug)))


def _first_heading(body: str) -> str | None:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def _strip_first_heading(body: str, title: str) -> str:
    """The template prints the title as the page's h1; drop a duplicate ``# title`` line."""
    lines = body.lstrip("\n").splitlines()
    if lines and lines[0].strip() == f"# {title}":
        lines = lines[1:]
    return "\n".join(lines).strip() + "\n"
