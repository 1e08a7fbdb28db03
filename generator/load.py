"""Stage 1 — load: find the catalogue's files and parse each one, positions kept.

Nothing here judges the content; a file that cannot be parsed at all becomes a problem
and is left out, so the other files are still checked in the same run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Position, Problems, os_reason
from .yaml_source import Document, YamlSourceError, parse

CATALOGUE_FOLDERS = {"domains": "domain", "community": "community"}


@dataclass
class Sources:
    """Every parsed file of one catalogue folder."""

    root: Path
    site: Document | None = None
    #: (folder kind, document), in file-name order so every run sees the same sequence.
    catalogues: list[tuple[str, Document]] = field(default_factory=list)
    lock_path: Path | None = None
    #: Catalogue files that exist but could not be parsed (already reported), by folder kind.
    unreadable: set[tuple[str, str]] = field(default_factory=set)


def load_site(root: Path, problems: Problems) -> Document | None:
    site_path = root / "site.yaml"
    if not site_path.is_file():
        problems.error(site_path, None, "找不到站点配置 site.yaml：每个目录仓库的 catalog/ 下都需要它（可用 gkml new site 生成）")
        return None
    return _parse(site_path, problems)


def load_sources(root: Path, problems: Problems) -> Sources:
    sources = Sources(root)
    sources.site = load_site(root, problems)
    for kind, path in catalogue_files(root, problems):
        doc = _parse(path, problems)
        if doc is not None:
            sources.catalogues.append((kind, doc))
        else:
            sources.unreadable.add((kind, path.stem))
    lock = root / "ids.lock"
    sources.lock_path = lock
    return sources


def catalogue_files(root: Path, problems: Problems) -> Iterator[tuple[str, Path]]:
    """(folder kind, path) of every catalogue file, in file-name order so every run sees the same sequence."""
    for folder, kind in CATALOGUE_FOLDERS.items():
        directory = root / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            if path.suffix == ".yml":
                problems.error(path, None, f"扩展名应为 .yaml：请把 {path.name} 改名为 {path.stem}.yaml")
                continue
            if path.suffix == ".yaml":
                yield kind, path


def _parse(path: Path, problems: Problems) -> Document | None:
    try:
        return parse(path, path.read_bytes())
    except YamlSourceError as exc:
        problems.error(path, exc.position, exc.message)
    except OSError as exc:
        problems.error(path, Position(), f"无法读取文件：{os_reason(exc)}")
    return None
