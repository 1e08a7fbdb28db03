"""generator.qr_fast draws segno's QR codes from precomputed tables: the same modules, the same
mask, and the same SVG bytes as segno's own encoder and writer, for every kind of URL."""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Iterator

import pytest
import segno
from segno import consts, encoder

from generator import qr, qr_fast

SLUG = "abcdefghijklmnopqrstuvwxyz0123456789-"
HOSTS = ("example.gov.cn", "www.example.gov.cn", "zwgk.district.example.gov.cn")


def _realistic(rng: random.Random, count: int) -> Iterator[str]:
    """Item URLs as sites have them: a host, the catalogue prefix, an id of 1–60 characters."""
    for _ in range(count):
        slug = "".join(rng.choice(SLUG) for _ in range(rng.randint(1, 60)))
        yield f"https://{rng.choice(HOSTS)}/gkml/items/{slug}/"


def _every_length(rng: random.Random, longest: int) -> Iterator[str]:
    """One URL-like text per length from 1 to ``longest``: versions 1 to 10 and beyond, and
    every length at which segno boosts the error level to Q or H."""
    for length in range(1, longest + 1):
        yield "".join(rng.choice("abcdefghij0123/-.:") for _ in range(length))


def _unusual() -> list[str]:
    return [
        "",
        "https://example.gov.cn/gkml/items/政务公开/",                      # UTF-8 bytes
        "https://example.gov.cn/gkml/items/公開/",                          # Shift JIS bytes
        "https://example.gov.cn/gkml/items/café-déjà/",                     # ISO 8859-1 bytes
        "https://example.gov.cn/gkml/items/%E6%94%BF%E5%8A%A1%E5%85%AC%E5%BC%80/",
        "https://example.gov.cn/gkml/items/a?b=1&c=<2>&d=\"'\"/",
        "https://example.gov.cn/" + "一" * 40 + "/",
        "0123456789" * 3,                                                   # numeric mode
        "12345678901234567890123456789012345678901234567890123",
        "HTTPS://EXAMPLE.GOV.CN/GKML/ITEMS/EDU-ENROLMENT-POLICY/",          # alphanumeric mode
        "HTTP://A.CN/" + "B" * 90,
        "漢字",                                                             # Kanji mode
        "漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字",
    ]


def _urls() -> list[str]:
    rng = random.Random(20240611)
    return [*_realistic(rng, 2200), *_every_length(rng, 300), *_unusual()]


URLS = _urls()


def _segno(url: str) -> segno.QRCode:
    return segno.make(url, error=qr.ERROR_LEVEL, micro=False, boost_error=True)


def _fast(url: str) -> qr_fast.Symbol:
    symbol = qr_fast.encode(url, qr.ERROR_LEVEL)
    assert symbol is not None, url
    return symbol


def test_svg_bytes_are_segnos() -> None:
    for url in URLS:
        title = f"二维码：{url} & <{len(url)}>"
        assert qr.svg(url, title) == qr.segno_svg(url, title), url
    assert qr.svg(URLS[0]) == qr.segno_svg(URLS[0])


def test_symbols_are_segnos_and_cover_versions_1_to_10_and_every_error_level() -> None:
    shapes = set()
    for url in URLS:
        expected, symbol = _segno(url), _fast(url)
        assert (symbol.version, qr_fast._ERROR_NAMES[symbol.error], symbol.mask, symbol.matrix) \
            == (expected.version, expected.error, expected.mask, expected.matrix), url
        assert qr_fast.version_info(url, qr.ERROR_LEVEL) == (expected.version, expected.error)
        shapes.add((symbol.version, expected.error))
    assert set(range(1, 11)) <= {version for version, _ in shapes}
    assert {"M", "Q", "H"} <= {error for _, error in shapes}
    # Byte mode is boosted to Q up to version 4 and to H in version 1 only.
    assert {(1, "Q"), (2, "Q"), (3, "Q"), (4, "Q"), (1, "H")} <= shapes


def test_layout_from_per_byte_cells_is_the_slow_ways() -> None:
    """Once a (version, error level) has drawn enough codes it adds up per-byte cells instead of
    computing error correction and placement: both must give the same layout for any data."""
    rng = random.Random(11)
    for version in range(1, 11):
        for error in (consts.ERROR_LEVEL_M, consts.ERROR_LEVEL_Q, consts.ERROR_LEVEL_H):
            tables = qr_fast._tables(version, error)
            tables.make_cells()
            for data in [bytes(tables.data_codewords), *(rng.randbytes(tables.data_codewords) for _ in range(8))]:
                assert tables.unmasked(data) == tables.layout(data), (version, error)


def test_symbols_drawn_from_cells_are_segnos() -> None:
    # Up to version 10 (the cells of larger ones take seconds to make, and their codes are
    # layouts of the same kind: the test above compares layouts).
    sample = [url for url in random.Random(12).sample(URLS, 150) + _unusual() if _fast(url).version <= 10]
    for url in sample:
        symbol = _fast(url)
        qr_fast._tables(symbol.version, symbol.error).make_cells()
    for url in sample:
        expected, symbol = _segno(url), _fast(url)
        assert (symbol.mask, symbol.matrix) == (expected.mask, expected.matrix), url


def test_cells_are_made_only_once_they_pay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Making the cells costs a layout per data bit: a site with fewer codes of a size never
    makes them, a larger one makes them once and keeps them."""
    monkeypatch.setattr(qr_fast, "_tables", functools.cache(qr_fast._tables.__wrapped__))
    urls = [f"https://example.gov.cn/gkml/items/x{number:06d}/" for number in range(1000)]
    tables = qr_fast._tables(*qr_fast._fit(consts.MODE_BYTE, 8 * len(urls[0]), consts.ERROR_LEVEL_M))
    threshold = 8 * tables.data_codewords
    for url in urls[:threshold - 1]:
        _fast(url)
    assert tables.cells is None
    for url in urls[threshold - 1:]:
        _fast(url)
    assert tables.cells is not None and tables.drawn == threshold
    assert [_fast(url).svg(4, url) for url in urls[-5:]] == [qr.segno_svg(url, url) for url in urls[-5:]]


def test_mode_is_segnos() -> None:
    rng = random.Random(13)
    texts = [url.encode("utf-8") for url in URLS] + [bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
                                                    for _ in range(3000)]
    texts += [b"", b"0123", b"HTTPS://A.CN/", b"https://a.cn/", "漢字".encode("shift_jis"), b"a\x81\x40"]
    for data in texts:
        assert qr_fast._mode(data) == encoder.find_mode(data), data


def test_mask_is_the_one_segnos_own_mask_choice_picks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Against segno's module-by-module scoring, not the drop-in that qr installs."""
    monkeypatch.setattr(encoder, "find_and_apply_best_mask", qr_fast.ORIGINAL)
    rng = random.Random(7)
    for url in [*rng.sample(URLS, 200), *_unusual()]:
        expected, symbol = _segno(url), _fast(url)
        assert (symbol.mask, symbol.matrix) == (expected.mask, expected.matrix), url


def test_penalty_scores_are_segnos_on_random_and_planted_matrices() -> None:
    """N1–N4 on random symbols with 1:1:3:1:1 patterns planted next to light margins, line
    ends and each other (overlapping by 4 and 6 modules), where segno's scan has its quirks."""
    rng = random.Random(3)
    dark, light = b"\x01", b"\x00"
    pattern = dark + light + dark * 3 + light + dark
    plants = [pattern, light * 4 + pattern, pattern + light * 4, pattern + pattern[3:], pattern + pattern[1:],
              light * 4 + pattern + pattern[3:] + pattern[3:] + light * 4, pattern + light * 2, light * 3 + pattern]
    for _ in range(1500):
        width = rng.choice((21, 25, 29, 33, 37, 41, 45, 57))
        share = rng.uniform(0.2, 0.8)
        matrix = tuple(bytearray(rng.random() < share for _ in range(width)) for _ in range(width))
        for _ in range(rng.randint(0, 14)):
            plant, i, j = rng.choice(plants), rng.randrange(width), rng.randrange(width)
            for k, module in enumerate(plant):
                if rng.random() < 0.5 and j + k < width:
                    matrix[i][j + k] = module
                elif i + k < width:
                    matrix[i + k][j] = module
        assert qr_fast.mask_scores(matrix) == encoder.mask_scores(matrix, width, width)


def test_svg_of_any_border_is_segnos() -> None:
    for url in URLS[:5] + _unusual()[:3]:
        for border in (0, 1, 2, 4, 7):
            buffer = io.BytesIO()
            _segno(url).save(buffer, kind="svg", border=border, xmldecl=False, omitsize=True, light="#fff",
                             dark="#000", svgclass=None, lineclass=None, title=url, nl=True)
            assert _fast(url).svg(border, url) == buffer.getvalue(), (url, border)
            assert qr_fast.svg(_segno(url).matrix, border, url) == buffer.getvalue(), (url, border)


def test_what_no_version_holds_is_left_to_segno() -> None:
    too_long = "https://example.gov.cn/" + "x" * 3000
    assert qr_fast.encode(too_long, qr.ERROR_LEVEL) is None
    with pytest.raises(encoder.DataOverflowError):
        qr.svg(too_long)
    assert qr_fast.encode(b"https://example.gov.cn/", qr.ERROR_LEVEL) is None


def test_tables_that_do_not_reproduce_segno_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each (version, error level) is checked against segno on its first code; a mismatch (say,
    after a segno upgrade) leaves those codes to segno."""
    monkeypatch.setattr(qr_fast, "_CHECKED", {})
    monkeypatch.setattr(qr_fast, "_same_as_segno", lambda *args: False)
    url = "https://example.gov.cn/gkml/items/edu-enrolment-policy/"
    assert qr_fast.encode(url, qr.ERROR_LEVEL) is None
    assert qr_fast.encode(url, qr.ERROR_LEVEL) is None
    assert qr.svg(url) == qr.segno_svg(url)


def test_drop_in_mask_choice_is_segnos(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mask choice qr installs into segno, for the codes segno still draws, against segno's."""
    unmasked: list[tuple[bytearray, ...]] = []

    def record(matrix: tuple[bytearray, ...], width: int, height: int, proposed_mask: int | None = None) -> object:
        unmasked.append(tuple(bytearray(row) for row in matrix))
        return qr_fast.ORIGINAL(matrix, width, height, proposed_mask)

    monkeypatch.setattr(encoder, "find_and_apply_best_mask", record)
    for url in random.Random(9).sample(URLS, 30):
        _segno(url)
    for matrix in unmasked:
        width = len(matrix)
        assert qr_fast.find_and_apply_best_mask(tuple(map(bytearray, matrix)), width, width) \
            == qr_fast.ORIGINAL(tuple(map(bytearray, matrix)), width, width)
