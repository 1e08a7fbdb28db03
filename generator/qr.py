"""QR codes: ``/items/<id>/qr.svg`` encodes the item's absolute URL.

A code printed on a notice-board sheet stays on the wall for years, on office printers,
in sunlight. So: error correction at least M (segno raises it for free when the symbol
size allows), the standard 4-module quiet zone, a white background drawn into the SVG
(the code stays readable on a dark or high-contrast page), and no Micro QR (phones'
camera apps do not read it). The bytes depend only on the URL, so builds stay identical.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from .outputs import Output, item_origin, planner, producer
from .render_context import RenderContext

if TYPE_CHECKING:
    import segno

#: Error correction never lower than this; segno boosts it when the version allows.
ERROR_LEVEL = "m"
#: Quiet zone, in modules, as ISO/IEC 18004 asks for.
QUIET_ZONE = 4
#: Above this version the code gets dense enough that a faded print is hard to scan;
#: new ids that would exceed it draw a warning (see ids_lock.warn_long_ids).
COMFORTABLE_VERSION = 5


@dataclass(frozen=True)
class QrInfo:
    version: int
    error: str            # "M", "Q" or "H"
    modules: int          # symbol width in modules, quiet zone included


@functools.cache
def _fast() -> ModuleType:
    """qr_fast, and with it segno, imported when a code is first sized or drawn: segno's writers
    import xml.sax.saxutils, which imports urllib.request, http.client and ssl (≈ 15 ms of every
    start), and an edit that changes no URL draws no code."""
    from . import qr_fast
    # The codes segno still draws itself (see svg) get qr_fast's mask choice: the same, sooner.
    qr_fast.install()
    return qr_fast


def prepare() -> None:
    """Import the encoder now (≈ 30 ms): a cold build does it while its catalogue files are
    read, so that the render workers it forks inherit it instead of each importing it."""
    _fast()


def make(url: str) -> segno.QRCode:
    import segno
    _fast()
    return segno.make(url, error=ERROR_LEVEL, micro=False, boost_error=True)


def info(url: str) -> QrInfo:
    # The size only, without drawing the symbol: the id lock asks this of every new item.
    version, error = _fast().version_info(url, ERROR_LEVEL)
    return QrInfo(version, error, version * 4 + 17 + 2 * QUIET_ZONE)


def svg(url: str, title: str | None = None) -> bytes:
    """The SVG of ``url``'s QR code: a viewBox only, so pages and prints size it freely."""
    # The bytes of segno's own encoder and writer (see segno_svg), from tables built once per
    # symbol size; what the fast path leaves to segno is drawn by segno (make).
    fast = _fast()
    symbol = fast.encode(url, ERROR_LEVEL)
    if symbol is None:
        return fast.svg(make(url).matrix, QUIET_ZONE, title or url)
    return symbol.svg(QUIET_ZONE, title or url)


def segno_svg(url: str, title: str | None = None) -> bytes:
    """:func:`svg` as segno writes it; the tests check that both give the same bytes."""
    buffer = io.BytesIO()
    make(url).save(
        buffer, kind="svg", border=QUIET_ZONE, xmldecl=False, omitsize=True, light="#fff", dark="#000",
        svgclass=None, lineclass=None, title=title or url, nl=True,
    )
    return buffer.getvalue()


def item_url(ctx: RenderContext, item_id: str) -> str:
    item = ctx.model.items_by_id[item_id]
    return ctx.model.site.absolute(item.path)


@planner
def plan_qr_codes(ctx: RenderContext) -> Iterable[Output]:
    # Withdrawn items keep their code: the sheet on the wall still points at them.
    for catalogue in ctx.model.catalogues:
        for item in catalogue.items:
            yield Output(item.path + "qr.svg", "qr_svg", item.id)


@producer("qr_svg", origin=item_origin(" 的二维码"))
def qr_svg(ctx: RenderContext, key: str) -> bytes:
    url = item_url(ctx, key)
    return svg(url, f"二维码：{url}")
