"""``gkml posters``: the notice-board sheets as PDF files, ready to print.

One PDF per catalogue (its wall sheets: every active item with its QR code, several to
an A4 page), and with ``--items`` one single-page PDF per active item. The pages are
the site's own poster pages, rendered into a temporary folder and printed by Chromium;
the site in ``build/`` is not touched.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..build import BuildOptions, check
from ..build_options import InputFolders
from ..outputs import Output, produce
from ..poster_pages import poster_path, revised, wall_sheet_path
from ..poster_pdf import CHROMIUM, PdfError, PrintJob, print_all
from ..problems import UsageError
from ..render_context import RenderContext
from ..render_stage import plan
from ..report import print_problems, summary
from ..theme import Theme


@dataclass
class PosterOptions(InputFolders):
    out: Path = Path("build-posters")
    catalogues: tuple[str, ...] = ()      # empty: every published catalogue
    items: bool = False                   # also one PDF per active item
    chromium: Path = CHROMIUM
    #: Where the rendered pages are, for tests that want to look at them; normally a temp folder.
    keep_pages: Path | None = None
    written: list[Path] = field(default_factory=list)


def _needed(output: Output, pages: set[str]) -> bool:
    """The files the print pages use: themselves, the QR codes and the theme's assets."""
    return output.path in pages or output.path.startswith("assets/") or output.path.endswith("/qr.svg")


def run(options: PosterOptions, quiet: bool = False) -> int:
    checked = check(BuildOptions(catalog=options.catalog, content=options.content, theme=options.theme))
    if checked.problems.errors or checked.model is None:
        print_problems(checked.problems)
        print(f"无法生成张贴版：{summary(checked.problems)}。请先修正目录数据（gkml validate）。", file=sys.stderr)
        return 1
    model = checked.model
    unknown = [c for c in options.catalogues if c not in model.catalogues_by_id]
    if unknown:
        known = "、".join(c.id for c in model.catalogues)
        raise UsageError(f"没有已发布的目录“{'、'.join(unknown)}”。可选：{known}")
    catalogues = [model.catalogues_by_id[c] for c in options.catalogues] or list(model.catalogues)

    jobs: list[tuple[str, Path, dt.date]] = []
    for catalogue in catalogues:
        if catalogue.active_items:
            jobs.append((wall_sheet_path(catalogue) + "index.html", options.out / f"{catalogue.id}.pdf",
                         catalogue.updated))
        if options.items:
            for item in catalogue.active_items:
                jobs.append((poster_path(item) + "index.html", options.out / "items" / f"{item.id}.pdf",
                             revised(item, catalogue)))

    ctx = RenderContext(model, Theme(options.theme))
    pages = {page for page, _, _ in jobs}
    with tempfile.TemporaryDirectory(prefix=".gkml-posters-") as temporary:
        root = options.keep_pages or Path(temporary)
        for output in plan(ctx):
            if _needed(output, pages):
                target = root / output.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(produce(ctx, output))
        try:
            print_all([PrintJob(root / page, pdf, date, model.site.absolute(page.removesuffix("index.html")))
                       for page, pdf, date in jobs], options.chromium)
        except PdfError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
    options.written = [pdf for _, pdf, _ in jobs]
    if not quiet:
        sheets = sum(1 for page, _, _ in jobs if page.startswith("posters/"))
        print(f"已生成 {len(jobs)} 个 PDF（上墙版 {sheets} 个、单项张贴版 {len(jobs) - sheets} 个），输出到 {options.out}",
              file=sys.stderr)
    return 0
