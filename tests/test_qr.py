"""QR codes: every item's ``qr.svg``, rasterised as a printer or a phone camera would see it,
decodes with a real decoder to exactly the item's absolute URL, and that URL is a built page."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import cairosvg
import pytest
import zxingcpp
from PIL import Image, ImageFilter

from generator import qr

from .conftest import MINI, build_site, copy_catalog

#: 4 cm at 300 dpi (the poster prints the code 6 cm wide, wall sheets 3.7 cm) and a small
#: 150 px raster, about what a phone camera gets from a code across a notice board.
SIZES = {"print-4cm-300dpi": 472, "150px": 150}


def _items(site: Path) -> list[dict[str, str]]:
    return json.loads((site / "catalog.json").read_text(encoding="utf-8"))["items"]


def _raster(svg: bytes, size: int) -> Image.Image:
    png = cairosvg.svg2png(bytestring=svg, output_width=size, output_height=size)
    return Image.open(io.BytesIO(png)).convert("L")


def _decode(image: Image.Image) -> list[zxingcpp.Result]:
    return [r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def _qr_file(site: Path, item: dict[str, str]) -> Path:
    return site / item["qr"][len(json.loads((site / "catalog.json").read_text(encoding="utf-8"))["base_url"]):]


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_every_item_code_decodes_to_its_absolute_url(mini_site: Path, size: int) -> None:
    items = _items(mini_site)
    assert len(items) >= 6
    for item in items:
        svg = _qr_file(mini_site, item).read_bytes()
        found = _decode(_raster(svg, size))
        assert [r.text for r in found] == [item["url"]], f"{item['id']} at {size}px"
        # At least M, as a faded sheet on a wall needs.
        assert found[0].ec_level in ("M", "Q", "H")


def test_withdrawn_item_keeps_its_code(mini_site: Path) -> None:
    svg = (mini_site / "items/sa-dibao-old-guide/qr.svg").read_bytes()
    assert [r.text for r in _decode(_raster(svg, 300))] == ["https://example.gov.cn/gkml/items/sa-dibao-old-guide/"]


def test_faded_low_contrast_print_still_decodes(mini_site: Path) -> None:
    """A sheet that has hung in the sun: grey instead of black, slightly blurred."""
    svg = (mini_site / "items/edu-enrolment-policy/qr.svg").read_bytes()
    image = _raster(svg, 300).point(lambda v: 175 if v < 128 else 235).filter(ImageFilter.GaussianBlur(1.2))
    assert [r.text for r in _decode(image)] == ["https://example.gov.cn/gkml/items/edu-enrolment-policy/"]


def test_every_decoded_url_is_a_built_item_page(mini_site: Path) -> None:
    base = json.loads((mini_site / "catalog.json").read_text(encoding="utf-8"))["base_url"]
    for item in _items(mini_site):
        url = _decode(_raster(_qr_file(mini_site, item).read_bytes(), 300))[0].text
        assert url.startswith(base)
        page = mini_site / url[len(base):] / "index.html"
        assert page.is_file(), url
        # The page the code opens is that item's page (its canonical URL is the code's URL).
        assert f'<link rel="canonical" href="{url}">' in page.read_text(encoding="utf-8")


def test_code_has_four_module_quiet_zone(mini_site: Path) -> None:
    svg = (mini_site / "items/jw-members/qr.svg").read_bytes().decode()
    url = "https://example.gov.cn/gkml/items/jw-members/"
    info = qr.info(url)
    modules = info.version * 4 + 17
    assert info.modules == modules + 8
    assert f'viewBox="0 0 {info.modules} {info.modules}"' in svg
    # Render one pixel per module: the outer 4 modules on every side are white.
    image = _raster(svg.encode(), info.modules)
    pixels = image.load()
    border = [pixels[x, y] for x in range(info.modules) for y in range(info.modules)
              if min(x, y) < 4 or max(x, y) >= info.modules - 4]
    assert min(border) > 200
    # ... and the finder pattern starts right after it.
    assert pixels[4, 4] < 60


def test_item_urls_stay_at_a_low_version(mini_site: Path) -> None:
    """Short item URLs give coarse modules that survive faded office prints."""
    for item in _items(mini_site):
        assert qr.info(item["url"]).version <= qr.COMFORTABLE_VERSION, item["url"]


def test_code_follows_base_url_override(tmp_path: Path) -> None:
    site = build_site(copy_catalog(MINI, tmp_path / "catalog"), tmp_path / "site",
                      base_url="https://staging.example.org/pre/gkml/")
    svg = (site / "items/jw-funds/qr.svg").read_bytes()
    assert [r.text for r in _decode(_raster(svg, 300))] == ["https://staging.example.org/pre/gkml/items/jw-funds/"]


def test_svg_bytes_are_deterministic() -> None:
    url = "https://example.gov.cn/gkml/items/edu-catchment/"
    assert qr.svg(url) == qr.svg(url)
    assert qr.svg(url).startswith(b"<svg ") and b"<?xml" not in qr.svg(url)


def test_item_page_shows_code_and_links_poster(mini_site: Path) -> None:
    html = (mini_site / "items/sa-dibao-guide/index.html").read_text(encoding="utf-8")
    image = re.search(r'<img class="item-qr-code" src="([^"]+)"[^>]*alt="([^"]+)"', html)
    assert image, "the item page shows its QR code"
    assert image.group(1) == "../../items/sa-dibao-guide/qr.svg"
    assert "https://example.gov.cn/gkml/items/sa-dibao-guide/" in image.group(2)
    link = re.search(r'<a href="([^"]+)">打印张贴版</a>', html)
    assert link and link.group(1) == "../../items/sa-dibao-guide/poster/"
    assert urlsplit(link.group(1)).path.endswith("poster/")
