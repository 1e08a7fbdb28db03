"""Faster QR codes, bit for bit the ones segno makes.

segno (pure Python) spends most of a code's ~4 ms choosing the data mask: it applies each of
the eight masks module by module through a Python function call and scores every result in a
Python loop. A city's 100,000 items make that minutes of CPU per build. This module does the
same work on whole rows at once — each row is a ``bytes``, masks are precomputed per symbol
size and applied with one integer XOR, runs are found by a regular expression and the 2×2
blocks by byte-wise XOR — and keeps segno's exact scoring rules, including its quirks, so the
chosen mask and the matrix are identical. ``tests/test_incremental.py`` checks that against
segno's own functions on many URLs, so a segno upgrade that changes its rules is caught.

:func:`install` swaps the function into segno's encoder; every other step (data encoding,
Reed–Solomon, format and version information, the SVG writer) stays segno's own.
:func:`version_info` answers "how big will this code be" without building the symbol at all.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from xml.sax.saxutils import escape

from segno import consts, encoder

#: segno's own implementation, used for Micro QR codes, a fixed mask, and the tests.
ORIGINAL = encoder.find_and_apply_best_mask

#: Runs of five or more equal modules (N1). Modules are 0 or 1 here (anything else is left
#: to segno's own function, see find_and_apply_best_mask).
_RUN = re.compile(rb"\x00{5,}|\x01{5,}")
#: Dark-light-dark-dark-dark-light-dark (N3).
_FINDER_LIKE = bytes((1, 0, 1, 1, 1, 0, 1))


@functools.cache
def _mask_columns(width: int) -> tuple[tuple[int, ...], ...]:
    """:func:`_mask_rows` for the columns: masks are applied to the transposed symbol as well."""
    columns = []
    for rows in _mask_rows(width):
        as_bytes = [row.to_bytes(width, "big") for row in rows]
        columns.append(tuple(int.from_bytes(bytes(column), "big") for column in zip(*as_bytes)))
    return tuple(columns)


@functools.cache
def _mask_rows(width: int) -> tuple[tuple[int, ...], ...]:
    """For each of the 8 masks, one integer per row: the mask's bytes over the encoding region."""
    functions = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(functions, width, width)
    encoder.add_alignment_patterns(functions, width, width)
    functions[-8][8] = 0x1
    masks = []
    for pattern in encoder.get_data_mask_functions(False):
        rows = []
        for i in range(width):
            row = bytes(int(pattern(i, j)) if functions[i][j] > 0x1 else 0 for j in range(width))
            rows.append(int.from_bytes(row, "big"))
        masks.append(tuple(rows))
    return tuple(masks)


def _finder_like(seq: bytes, size: int) -> int:
    """segno's N3 for one row or column, quirks kept (see ``encoder.mask_scores``)."""
    count = 0
    idx = seq.find(_FINDER_LIKE)
    while idx != -1:
        offset = idx + 7
        if idx in (0, size - 7) \
                or not any(seq[max(idx - 4, 0):min(idx, size)]) \
                or not any(seq[max(offset, 0):min(offset + 4, size)]):
            count += 40
        else:
            offset = idx + 4
        idx = seq.find(_FINDER_LIKE, offset)
    return count


def _score(rows: list[bytes], numbers: list[int], columns: list[bytes], size: int) -> int:
    """N1 + N2 + N3 + N4 of a masked matrix, as ``encoder.evaluate_mask`` computes them."""
    # N1: a run of n ≥ 5 scores n − 2; the separator keeps runs inside their row or column.
    runs = _RUN.findall(b"\xff".join(rows + columns))
    n1 = sum(map(len, runs)) - 2 * len(runs)
    # N2: 3 for every 2×2 block of one value (byte-wise XOR is zero where modules agree).
    n2 = 0
    for above, below in zip(numbers, numbers[1:]):
        differ = (below ^ (below >> 8)) | (above ^ (above >> 8)) | (below ^ above)
        n2 += differ.to_bytes(size, "big")[1:].count(0)
    n2 *= 3
    n3 = 0
    for seq in rows:
        if _FINDER_LIKE in seq:
            n3 += _finder_like(seq, size)
    for seq in columns:
        if _FINDER_LIKE in seq:
            n3 += _finder_like(seq, size)
    dark = sum(number.bit_count() for number in numbers)   # one bit per dark module (value 1)
    percent = float(dark) / (size ** 2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def find_and_apply_best_mask(matrix: Any, width: int, height: int, proposed_mask: int | None = None) -> Any:
    """Drop-in for ``segno.encoder.find_and_apply_best_mask``: same mask, same matrix."""
    if proposed_mask is not None or width != height or width < 21 \
            or b"".join(matrix).translate(None, b"\x00\x01"):
        return ORIGINAL(matrix, width, height, proposed_mask)
    plain = [int.from_bytes(row, "big") for row in matrix]
    plain_columns = [int.from_bytes(bytes(column), "big") for column in zip(*matrix)]
    best_score = None
    best_pattern = 0
    best_numbers: list[int] = []
    for pattern, (mask, mask_columns) in enumerate(zip(_mask_rows(width), _mask_columns(width))):
        numbers = [row ^ bits for row, bits in zip(plain, mask)]
        rows = [number.to_bytes(width, "big") for number in numbers]
        columns = [(column ^ bits).to_bytes(width, "big") for column, bits in zip(plain_columns, mask_columns)]
        score = _score(rows, numbers, columns, width)
        if best_score is None or score < best_score:   # the first of equal scores wins, as in segno
            best_score, best_pattern, best_numbers = score, pattern, numbers
    return best_pattern, tuple(bytearray(n.to_bytes(width, "big")) for n in best_numbers)


def install() -> None:
    """Make segno use the row-wise mask choice (idempotent)."""
    encoder.find_and_apply_best_mask = find_and_apply_best_mask


_ERROR_NAMES = {consts.ERROR_LEVEL_L: "L", consts.ERROR_LEVEL_M: "M", consts.ERROR_LEVEL_Q: "Q",
                consts.ERROR_LEVEL_H: "H"}


def version_info(content: str, error: str) -> tuple[int, str]:
    """(version, error level name) ``segno.make(content, error=error, micro=False,
    boost_error=True)`` would give, found without drawing the symbol.

    Both depend only on the segment's mode, encoding and length, so the answer is kept per
    such shape: a site's URLs come in a few lengths, and 100,000 items cost milliseconds.
    """
    data, length, encoding = encoder.data_to_bytes(content, None)
    mode = encoder.find_mode(data)
    return _version_info(mode, length, encoding if mode == consts.MODE_BYTE else None, content, error)


def _version_info(mode: int, length: int, encoding: str | None, content: str, error: str) -> tuple[int, str]:
    key = (mode, length, encoding, error)
    found = _SHAPES.get(key)
    if found is None:
        found = _SHAPES[key] = _compute_version_info(content, error)
    return found


#: (mode, length, encoding, error) → (version, error name)
_SHAPES: dict[tuple[int, int, str | None, str], tuple[int, str]] = {}


def _compute_version_info(content: str, error: str) -> tuple[int, str]:
    level = encoder.normalize_errorlevel(error)
    segments = encoder.prepare_data(content, None, None)
    version = encoder.find_version(segments, level, eci=False, micro=False)
    level = encoder.boost_error_level(version, level, segments, False)
    return int(version), _ERROR_NAMES[level]


_DARK_RUN = re.compile(rb"\x01+")


def svg(matrix: Any, border: int, title: str) -> bytes:
    """The bytes ``QRCode.save(kind="svg", border=border, xmldecl=False, omitsize=True,
    light="#fff", dark="#000", svgclass=None, lineclass=None, title=title, nl=True)`` writes.

    segno walks the symbol module by module through generators; here each row's dark runs
    come from one regular expression. The path's relative moves are segno's, as is the order
    of the two paths (shortest first).
    """
    size = len(matrix) + 2 * border
    moves = []
    x, y = 0, 0.0
    first = True
    row_y = border + 0.5
    for row in matrix:
        for run in _DARK_RUN.finditer(bytes(row)):
            x1, x2 = border + run.start(), border + run.end()
            dy = row_y - y
            moves.append(f"{'M' if first else 'm'}{x1 - x} {int(dy) if int(dy) == dy else dy}h{x2 - x1}")
            first = False
            x, y = x2, row_y
        row_y += 1
    dark = f'<path stroke="#000" d="{"".join(moves)}"/>'
    light = f'<path fill="#fff" d="M0 0h{size}v{size}h-{size}z"/>'
    paths = "".join(sorted((dark, light), key=len))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}">'
            f"<title>{escape(title)}</title>{paths}</svg>\n").encode("utf-8")
