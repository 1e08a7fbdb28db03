"""Faster QR codes, bit for bit the ones segno makes.

Every catalogue item gets a QR code, and at 100,000 items those codes were the biggest single
cost of a cold build. segno is pure Python and walks the symbol module by module: it encodes
the data bit by bit, divides for Reed–Solomon byte by byte, places the codewords one module at
a time, applies and scores each of the eight masks module by module, and walks the symbol once
more for the SVG path — about 2–3 ms per code.

:func:`encode` draws the same symbol from tables built once per version (and error level) with
segno's own functions and constants, so that per code only whole-string and whole-integer work
is left:

* the data codewords are one integer shifted together, with segno's quirk kept (its padding
  to a codeword boundary adds a whole zero byte when the stream already ends on one);
* Reed–Solomon is linear, so a block's error correction is the XOR of one table entry per data
  byte; the tables come from segno's own ``make_blocks``;
* codeword placement is some 100 (strided) slices of the message's bit string, found by running
  segno's own ``add_codewords`` once on numbered modules;
* the symbol and its transpose are laid out together, every line led by an edge cell, and read
  as one integer with a bit per cell, so each of segno's penalty rules is a few shifts, ANDs and
  bit counts over all rows and columns at once (see :func:`_n1_n2_n4` and :func:`_n3`) —
  including its quirks in counting 1:1:3:1:1 patterns;
* that layout is affine in the data codewords (the three steps above are XOR-linear or only
  move bits), so once a symbol size has drawn enough codes it is one XOR per data codeword
  of tables made from the steps above (:meth:`_Tables.unmasked`);
* N3, the dearest rule, is scored last and only for masks that can still win (:func:`_best_mask`);
* format and version information are one OR per mask, built with segno's own writers;
* the SVG path is the row grid split where dark runs end, each piece's path text cached.

About 0.06 ms per code instead of 2–3 ms. :func:`encode` returns ``None`` for what it leaves to
segno (non-string content; data no version holds) and for a table set that, checked once against
segno itself on its first code, does not reproduce it: a segno upgrade that changes its output
costs speed, never correctness. ``tests/test_qr_fast.py`` compares thousands of codes, every
version from 1 to 13, with segno's symbols and SVG bytes, and the penalty rules with segno's on
random symbols.

:func:`find_and_apply_best_mask` is the same mask choice as a drop-in for segno's encoder
(:func:`install`), for the codes segno still draws itself; :func:`svg` writes any segno matrix.
:func:`version_info` answers "how big will this code be" without building the symbol at all.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape

import segno
from segno import consts, encoder

#: segno's own mask choice, used for Micro QR codes, a fixed mask, and the tests.
ORIGINAL = encoder.find_and_apply_best_mask

# In the scoring layout a module is an ASCII digit: light, dark, or the edge cell that leads
# every line (and fills line 0), which keeps runs and patterns from crossing line ends.
_EDGE = b"2"
_BITS_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_DIGITS_TO_BITS = bytes.maketrans(b"01", b"\x00\x01")
#: segno's pad codewords (11101100, 00010001), alternating; long enough for version 40.
_PAD_CODEWORDS = bytes((0xEC, 0x11)) * 1500


# --- Per symbol size: the scoring layout, the data masks, the function patterns -----------

@dataclass(frozen=True, eq=False)
class _Grid:
    """The scoring layout of a ``width``×``width`` symbol.

    A *grid* is ``side``×``side`` cells (``side = width + 1``): line 0 is all edge, and every
    further line is an edge cell followed by one row of the symbol (the *row grid*) or one
    column (the *column grid*, the row grid transposed). Module (i, j) sits at
    ``(i + 1) * side + j + 1`` in the row grid. The *layout* is the row grid followed by the
    column grid, so every rule segno applies to rows and to columns is applied to both at once.

    As bytes a cell is an ASCII digit (``b"0"`` light, ``b"1"`` dark, ``b"2"`` edge); for
    scoring, the layout is one integer with a bit per cell, dark = 1, first cell highest, so
    ``>> 1`` lines a cell up with its left neighbour and ``>> side`` with the one above.
    """
    width: int
    side: int
    #: grid → its ``side`` lines transposed (join them for the transposed grid).
    transpose: Callable[[bytes], tuple[bytes, ...]]
    #: Per mask: a bit on every masked module of the layout...
    mask_bits: tuple[int, ...]
    #: ... and a bit on every module (of :attr:`left_pairs`, :attr:`up_pairs`) the mask turns
    #: and its left neighbour (the one above) not, or the other way round. Masking is XOR, so
    #: whether a module matches its neighbour in the masked symbol is whether it does in the
    #: plain symbol, XOR this: one operation per mask instead of three (see _best_mask).
    mask_across: tuple[int, ...]
    mask_down: tuple[int, ...]
    #: A bit on every module (not on edges).
    modules: int
    #: ``width ** 2``, the symbol's modules.
    modules_count: int
    #: A bit on every cell whose left neighbour is a module.
    modules_left: int
    #: A bit on every module whose left neighbour, or neighbour above, is a module too.
    left_pairs: int
    up_pairs: int

    @property
    def area(self) -> int:
        return self.side * self.side


@functools.cache
def _grid(width: int) -> _Grid:
    side = width + 1
    area = side * side
    cells = bytearray(b"1" * (2 * area))
    for start in (0, area):
        cells[start:start + side] = b"0" * side
        cells[start:start + area:side] = b"0" * side
    modules = int(cells, 2)
    mask_bits = []
    region = _encoding_region(width)
    for pattern in encoder.get_data_mask_functions(False):
        cells = bytearray(2 * area)
        for i, j in region:
            if pattern(i, j):
                cells[(i + 1) * side + j + 1] = 1
                cells[area + (j + 1) * side + i + 1] = 1
        mask_bits.append(int(cells.translate(_BITS_TO_DIGITS), 2))
    left_pairs, up_pairs = modules & (modules >> 1), modules & (modules >> side)
    return _Grid(width, side, operator.itemgetter(*(slice(j, None, side) for j in range(side))),
                 tuple(mask_bits), tuple(left_pairs & (bits ^ (bits >> 1)) for bits in mask_bits),
                 tuple(up_pairs & (bits ^ (bits >> side)) for bits in mask_bits),
                 modules, width * width, modules >> 1, left_pairs, up_pairs)


def _function_matrix(width: int) -> tuple[bytearray, ...]:
    """The finder, separator, timing and alignment patterns as segno's ``_encode`` draws them
    before placing the codewords; 0x2 marks the modules left for data."""
    matrix = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(matrix, width, width)
    encoder.add_alignment_patterns(matrix, width, width)
    return matrix


def _encoding_region(width: int) -> list[tuple[int, int]]:
    """The modules segno's ``find_and_apply_best_mask`` masks."""
    matrix = _function_matrix(width)
    matrix[-8][8] = 0x1
    return [(i, j) for i in range(width) for j in range(width) if matrix[i][j] > 0x1]


def _rows_grid(matrix: Sequence[bytes | bytearray], grid: _Grid) -> bytes:
    """A segno matrix (modules 0 and 1) as a row grid."""
    return _EDGE.join((_EDGE * grid.side, *(bytes(row).translate(_BITS_TO_DIGITS) for row in matrix)))


def _matrix(rows: bytes, grid: _Grid) -> tuple[bytearray, ...]:
    """A row grid as segno's matrix: one bytearray of 0 and 1 per row."""
    side = grid.side
    return tuple(bytearray(rows[start + 1:start + side].translate(_DIGITS_TO_BITS))
                 for start in range(side, grid.area, side))


# --- Mask choice: segno's penalty rules (ISO/IEC 18004 7.8.3), quirks included -----------------

def _n1_n2_n4(grid: _Grid, dark: int, same_left: int, same_up: int) -> tuple[int, int, int]:
    """N1, N2 and N4 of a layout (one call per mask: the rules' own calls were a fifth of it).

    ``same_left`` and ``same_up``: a bit on every module of the colour of its left neighbour,
    and of the one above (see :func:`_same`).
    """
    # N1, runs: a run of n ≥ 5 equal modules in a row or column scores n − 2, that is one per
    # 5-module window inside the run (n − 4) plus 2 for the run's first window: 3 per window,
    # less 2 for each window that follows another.
    pairs = same_left & (same_left >> 1)
    windows = pairs & (pairs >> 2)
    n1 = 3 * windows.bit_count() - 2 * (windows & (windows >> 1)).bit_count()
    # N2, blocks: 3 per 2×2 block of one colour (the column grid holds each block again).
    n2 = 3 * ((same_left & same_up & (same_up >> 1)).bit_count() // 2)
    # N4, dark share: 10 per 5 % away from half, in segno's float arithmetic (each module is
    # in the layout twice).
    percent = float(dark.bit_count() // 2) / grid.modules_count
    return n1, n2, 10 * int(abs(percent * 100 - 50) / 5)


def _same(grid: _Grid, dark: int) -> tuple[int, int]:
    """(same_left, same_up) of a layout: its modules of the colour of their left neighbour, and
    of the one above. ``x ^ (x & y)`` is ``x & ~y`` without a negative integer: Python's ``~``
    of a big integer is −(y + 1), and ANDing with it costs twice as much."""
    differs_left, differs_up = dark ^ (dark >> 1), dark ^ (dark >> grid.side)
    return grid.left_pairs ^ (grid.left_pairs & differs_left), grid.up_pairs ^ (grid.up_pairs & differs_up)


def _n3(grid: _Grid, dark: int, left: int) -> int:
    """Dark-light-dark-dark-dark-light-dark in a row or column, 40 each, as segno counts them.

    segno counts a pattern when the 4 modules before or after it are light — or fewer than 4,
    where the line ends first (it clips there), so a pattern at a line's start or end always
    counts. Its scan then resumes 7 modules on after a counted pattern but only 4 on after an
    uncounted one, so a pattern 4 or 6 modules after a counted one (they overlap) is skipped.
    ``left`` is ``dark >> 1``, each module's left neighbour (shared with N1 and N2).
    """
    light = grid.modules ^ dark
    light_on_left = grid.modules_left ^ left
    # From a pattern's last module leftwards: dark, light, three dark, light, dark.
    dark_then_light = dark & light_on_left
    light_then_dark = light & left
    three = dark & left & (left >> 1)
    found = dark_then_light & (three >> 2) & (light_then_dark >> 5)   # bit on a pattern's last module
    if not found:
        return 0
    # "The first module that is not light, within 4, is dark" going left from each cell...
    before = dark | light_then_dark
    before = dark | (light & (before >> 1))
    before = dark | (light & (before >> 1))
    # ... and going right.
    after = dark | (light & (dark << 1))
    after = dark | (light & (after << 1))
    after = dark | (light & (after << 1))
    margin = found ^ (found & (before >> 7) & (after << 1))
    # Each pattern only depends on the ones before it, so this settles in a round or two.
    counted = margin
    while True:
        settled = margin ^ (margin & ((counted >> 4) | (counted >> 6)))
        if settled == counted:
            return 40 * counted.bit_count()
        counted = settled


def mask_scores(matrix: Sequence[bytes | bytearray]) -> tuple[int, int, int, int]:
    """``segno.encoder.mask_scores`` of a square matrix of 0 and 1: (N1, N2, N3, N4)."""
    grid = _grid(len(matrix))
    rows = _rows_grid(matrix, grid)
    dark = _dark(rows + b"".join(grid.transpose(rows)))
    n1, n2, n4 = _n1_n2_n4(grid, dark, *_same(grid, dark))
    return n1, n2, _n3(grid, dark, dark >> 1), n4


_EDGE_TO_LIGHT = bytes.maketrans(_EDGE, b"0")


def _dark(layout: bytes) -> int:
    return int(layout.translate(_EDGE_TO_LIGHT), 2)


#: The least N3 of any symbol: segno counts each finder pattern's three middle rows and three
#: middle columns (1:1:3:1:1 at a line's start or end always counts). Only where the top-right
#: (bottom-left) finder ends a line may a pattern 6 modules before it, across the separator,
#: be counted instead, which is 40 all the same. 3 finders × 6 lines × 40.
_N3_FLOOR = 3 * 6 * 40


def _best_mask(grid: _Grid, plain: int) -> tuple[int, int]:
    """(mask, masked layout) with segno's lowest penalty score; of equal scores the first mask
    wins, as in segno. ``plain``: the unmasked layout, a bit per cell (see :func:`_dark`).

    N3 costs the most to score, so it is scored last, from the mask with the lowest N1 + N2 +
    N4 up, and not at all for a mask that cannot win even with the least N3 (about half of
    them)."""
    same_left, same_up = _same(grid, plain)
    partial = []
    for mask, (bits, mask_across, mask_down) in enumerate(zip(grid.mask_bits, grid.mask_across, grid.mask_down)):
        dark = plain ^ bits
        partial.append((sum(_n1_n2_n4(grid, dark, same_left ^ mask_across, same_up ^ mask_down)), mask, dark))
    partial.sort()                        # by score, then mask: the first mask of a score first
    best_score, best_mask, best_dark = -1, 0, plain
    for score, mask, dark in partial:
        if best_score >= 0:
            floor = score + _N3_FLOOR
            if floor > best_score:
                break                     # nor can any mask after it
            if floor == best_score and mask > best_mask:
                continue                  # at best a tie, which the earlier mask wins
        score += _n3(grid, dark, dark >> 1)
        if best_score < 0 or (score, mask) < (best_score, best_mask):
            best_score, best_mask, best_dark = score, mask, dark
    return best_mask, best_dark


def _row_digits(dark: int, grid: _Grid) -> bytes:
    """The row grid (as bytes of ASCII digits) of a layout's bits, edges restored."""
    area, side = grid.area, grid.side
    cells = bytearray(bin((dark >> area) | (1 << area))[3:].encode())
    cells[:side] = _EDGE * side
    cells[side::side] = _EDGE * (side - 1)
    return bytes(cells)


def find_and_apply_best_mask(matrix: Any, width: int, height: int, proposed_mask: int | None = None) -> Any:
    """Drop-in for ``segno.encoder.find_and_apply_best_mask``: same mask, same matrix."""
    if proposed_mask is not None or width != height or width < 21 \
            or b"".join(matrix).translate(None, b"\x00\x01"):
        return ORIGINAL(matrix, width, height, proposed_mask)
    grid = _grid(width)
    rows = _rows_grid(matrix, grid)
    mask, dark = _best_mask(grid, _dark(rows + b"".join(grid.transpose(rows))))
    return mask, _matrix(_row_digits(dark, grid), grid)


def install() -> None:
    """Make segno use this mask choice for the codes it still draws itself (idempotent)."""
    encoder.find_and_apply_best_mask = find_and_apply_best_mask


# --- Per version and error level: codewords, placement, format information ------------------

class _Flips(dict[int, int]):
    """Byte value → the XOR of its set bits' entries (a linear map over GF(2), as Reed–Solomon
    and the placement of a codeword are), made from the 8 single-bit entries when a value is
    first met.

    Lazily: a site's codes share their base URL and padding, so most codeword positions meet
    one or two values and the rest a few dozen (an item id's characters), where all 256 for
    every position of a layout table would take 3 MB for a 29×29 symbol and grow with the
    third power of its size."""

    def __init__(self, singles: list[int]):
        super().__init__()
        self.singles = singles

    def __missing__(self, value: int) -> int:
        flips = 0
        for bit, single in enumerate(self.singles):
            if value >> bit & 1:
                flips ^= single
        self[value] = flips
        return flips


#: Per position in a block, per byte value: error correction codewords (see _reed_solomon_table).
_RsTable = tuple[_Flips, ...]
#: A data block: (first codeword, end, its table, number of error correction codewords).
_Block = tuple[int, int, _RsTable, int]


@dataclass(eq=False)
class _Tables:
    """Everything about a (version, error level) that does not depend on the data."""
    version: int
    error: int
    grid: _Grid
    #: Data capacity in bits and in codewords.
    capacity: int
    data_codewords: int
    blocks: tuple[_Block, ...]
    #: data + error correction codewords (block after block) → the interleaved message.
    interleave: Callable[[bytes], tuple[int, ...]]
    #: 1 above the message's top bit, so ``bin()`` keeps its leading zeros.
    message_flag: int
    #: Remainder bits and function modules, appended to the message bits for :attr:`place`.
    constants: bytes
    #: message bits + constants → the pieces of the column grid, in order.
    place: Callable[[bytes], tuple[bytes, ...]]
    #: Per mask: format and version information, a bit per cell, over the layout's row grid.
    formats: tuple[int, ...]
    #: Per data codeword position, per byte value: the layout bits it flips (see :meth:`unmasked`).
    cells: tuple[_Flips, ...] | None = None
    #: The layout of all-zero data codewords.
    blank: int = 0
    #: Codes drawn before :attr:`cells` were made.
    drawn: int = 0

    def unmasked(self, data: bytes) -> int:
        """The unmasked layout of these data codewords, a bit per cell (see :class:`_Grid`).

        The layout is affine in the data codewords: Reed–Solomon is linear over XOR,
        interleaving and placement only move bits, and the function patterns and remainder
        bits are the same for every code. So it is :attr:`blank` XOR one entry of :attr:`cells`
        per data codeword: the modules that byte turns dark, with the error correction
        codewords it contributes to, in the symbol and its transpose (≈ 3 µs, against ≈ 30 for
        :meth:`layout`). Making the cells costs ``8 × data_codewords`` layouts (one per data
        bit), so they are made once this many codes were drawn the slow way: a small site
        never pays for them, a large one at most twice what they cost.
        """
        if self.cells is not None:
            return functools.reduce(operator.xor, map(operator.getitem, self.cells, data), self.blank)
        self.drawn += 1
        if self.drawn >= 8 * self.data_codewords:
            self.make_cells()
        return self.layout(data)

    def layout(self, data: bytes) -> int:
        """The unmasked layout, the slow way: error correction codewords, the interleaved
        message as a bit string, and its bits placed by :attr:`place`."""
        ecc = b"".join([_reed_solomon(table, data[start:stop]).to_bytes(words, "big")
                        for start, stop, table, words in self.blocks])
        message = bytes(self.interleave(data + ecc))
        bits = bin(int.from_bytes(message, "big") | self.message_flag)[3:].encode()
        columns = b"".join(self.place(bits + self.constants))
        return _dark(b"".join(self.grid.transpose(columns)) + columns)

    def make_cells(self) -> None:
        count = self.data_codewords
        self.blank = blank = self.layout(bytes(count))
        cells = []
        for position in range(count):
            singles = []
            for bit in range(8):
                data = bytearray(count)
                data[position] = 1 << bit
                singles.append(self.layout(bytes(data)) ^ blank)
            cells.append(_Flips(singles))
        self.cells = tuple(cells)


@functools.cache
def _tables(version: int, error: int) -> _Tables:
    width = encoder.calc_matrix_size(version)
    grid = _grid(width)
    blocks, order = _blocks(version, error)
    data_codewords = sum(stop - start for start, stop, _, _ in blocks)
    capacity = consts.SYMBOL_CAPACITY[version][error]
    assert capacity == 8 * data_codewords
    message_bits, constants, place = _placement(version)
    assert message_bits == 8 * len(order)
    return _Tables(version, error, grid, capacity, data_codewords, blocks, operator.itemgetter(*order),
                   1 << message_bits, constants, place,
                   tuple(_format_bits(version, error, mask, grid) for mask in range(8)))


def _blocks(version: int, error: int) -> tuple[tuple[_Block, ...], list[int]]:
    """The data blocks of ``consts.ECC`` and the interleaving order of ``make_final_message``:
    data codewords column by column across the blocks, then error correction codewords alike
    (as indices into data codewords followed by error correction codewords, block by block)."""
    blocks: list[_Block] = []
    data_blocks: list[range] = []
    error_blocks: list[range] = []
    data_end = sum(info.num_blocks * info.num_data for info in consts.ECC[version][error])
    start, error_start = 0, data_end
    for info in consts.ECC[version][error]:
        error_words = info.num_total - info.num_data
        table = _reed_solomon_table(info.num_data, error_words)
        for _ in range(info.num_blocks):
            blocks.append((start, start + info.num_data, table, error_words))
            data_blocks.append(range(start, start + info.num_data))
            error_blocks.append(range(error_start, error_start + error_words))
            start += info.num_data
            error_start += error_words
    order = []
    for group in (data_blocks, error_blocks):
        for k in range(max(map(len, group))):
            order.extend(block[k] for block in group if k < len(block))
    return tuple(blocks), order


@functools.cache
def _reed_solomon_table(num_data: int, error_words: int) -> _RsTable:
    """Row k, entry d: the error correction codewords (as one integer) of a block holding d at
    position k and zeros elsewhere. The code is linear (XOR), so a block's codewords are the
    XOR of one entry per data byte. The 8 single-bit entries per position are segno's own."""
    ec_info = SimpleNamespace(num_blocks=1, num_total=num_data + error_words, num_data=num_data)
    rows = []
    for k in range(num_data):
        singles = []
        for bit in range(8):
            block = [0] * num_data
            block[k] = 1 << bit
            # make_blocks reads the data codewords through the buffer's toints().
            _, (ecc,) = encoder.make_blocks((ec_info,), SimpleNamespace(toints=lambda block=block: iter(block)))
            singles.append(int.from_bytes(ecc, "big"))
        rows.append(_Flips(singles))
    return tuple(rows)


@functools.cache
def _placement(version: int) -> tuple[int, bytes, Callable[[bytes], tuple[bytes, ...]]]:
    """(modules for the message, constants, slicer): segno's codeword placement as slices.

    segno's ``add_codewords`` is run once with the message bits numbered; reading the symbol
    column by column then gives, per module, a bit number or a function module. Consecutive
    modules of a column are mostly bits a fixed step apart (2 along a two-module column, ±
    by direction), so the column grid is a few slices of "message bits + constants"."""
    width = encoder.calc_matrix_size(version)
    side = width + 1
    matrix = tuple(list(row) for row in _function_matrix(width))
    free = sum(row.count(0x2) for row in matrix)
    # Numbers from 3 on, so they differ from the function modules (0, 1) and the free mark (2).
    encoder.add_codewords(matrix, range(3, 3 + free), version)
    # Format and version information land on modules reserved light (never data), so
    # _format_bits can OR them into the masked symbol.
    written = tuple(bytearray(b"\2" * width) for _ in range(width))
    encoder.add_format_info(written, version, consts.ERROR_LEVEL_M, 0)
    encoder.add_version_info(written, version)
    assert all(matrix[i][j] == 0 for i, row in enumerate(written) for j, value in enumerate(row) if value != 2)
    message_bits = 8 * sum(info.num_blocks * info.num_total for info in consts.ECC[version][consts.ERROR_LEVEL_M])
    # The remainder bits (make_final_message's zeros) come first among the constants.
    constants = bytearray(b"0" * (free - message_bits))
    sources = []                       # per cell of the column grid: an index into bits + constants
    for cell in [None] * side + [value for j in range(width) for value in [None, *(row[j] for row in matrix)]]:
        if cell is not None and cell >= 3:
            sources.append(cell - 3)
        else:
            assert cell in (None, 0, 1)
            sources.append(message_bits + len(constants))
            constants += _EDGE if cell is None else b"01"[cell:cell + 1]
    return message_bits, bytes(constants), operator.itemgetter(*_as_slices(sources))


def _as_slices(indices: list[int]) -> list[slice]:
    """``indices`` as consecutive slices, each a run of indices a fixed step apart."""
    slices = []
    start = 0
    while start < len(indices):
        stop = start + 1
        step = indices[stop] - indices[start] if stop < len(indices) else 1
        if step == 0:
            step = 1
        else:
            while stop < len(indices) and indices[stop] - indices[stop - 1] == step:
                stop += 1
        end = indices[stop - 1] + step
        slices.append(slice(indices[start], end if end >= 0 else None, step))
        start = stop
    return slices


def _format_bits(version: int, error: int, mask: int, grid: _Grid) -> int:
    """Format and version information (segno's writers), a bit on each dark one, over the
    layout's row grid.

    Their modules are light in the masked symbol (reserved, outside the masked region), so
    ORing them in is what segno's writers do there."""
    width = grid.width
    blank = tuple(bytearray(width) for _ in range(width))
    encoder.add_format_info(blank, version, error, mask)
    encoder.add_version_info(blank, version)
    return int(_rows_grid(blank, grid).translate(_EDGE_TO_LIGHT), 2) << grid.area


# --- Per code ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Symbol:
    """A QR code as segno would draw it; :attr:`rows` is its row grid (see :class:`_Grid`)."""
    version: int
    error: int
    mask: int
    rows: bytes

    @property
    def width(self) -> int:
        return encoder.calc_matrix_size(self.version)

    @property
    def matrix(self) -> tuple[bytearray, ...]:
        """The modules as ``segno.QRCode.matrix`` holds them."""
        return _matrix(self.rows, _grid(self.width))

    def svg(self, border: int, title: str) -> bytes:
        """The bytes segno's SVG writer gives (see :func:`svg`)."""
        return _svg(self.rows, self.width, border, title)


def encode(content: Any, error: str) -> Symbol | None:
    """The symbol ``segno.make(content, error=error, micro=False, boost_error=True)`` draws, or
    ``None`` for what is left to segno itself (see the module documentation)."""
    if not isinstance(content, str):
        return None
    data, length, _ = encoder.data_to_bytes(content, None)
    mode = _mode(data)
    if mode == consts.MODE_BYTE:
        count, payload, payload_bits = length, int.from_bytes(data, "big"), 8 * length
    else:
        segment = encoder.make_segment(content, None, None)
        count, payload_bits = segment.char_count, len(segment.bits)
        payload = int(bytes(segment.bits).translate(_BITS_TO_DIGITS) or b"0", 2)
    fit = _fit(mode, payload_bits, encoder.normalize_errorlevel(error))
    if fit is None:
        return None
    tables = _tables(*fit)
    checked = _CHECKED.get(fit)
    if checked is False:
        return None
    symbol = _draw(tables, mode, count, payload, payload_bits)
    if checked is None:
        _CHECKED[fit] = checked = _same_as_segno(symbol, content, error)
    return symbol if checked else None


def _mode(data: bytes) -> int:
    """segno's ``find_mode``, answered at once for what every item URL is: ASCII with a lower-case
    letter is neither digits, nor alphanumeric (upper case only), nor Shift JIS kanji (whose
    bytes are 0x81 and above), so it is byte mode."""
    if data.isascii() and data.upper() != data:
        return consts.MODE_BYTE
    return encoder.find_mode(data)


#: (version, error) → whether its tables drew segno's symbol on their first code.
_CHECKED: dict[tuple[int, int], bool] = {}


def _same_as_segno(symbol: Symbol, content: str, error: str) -> bool:
    code = segno.make(content, error=error, micro=False, boost_error=True)
    return (code.version, code.mask, code.matrix) == (symbol.version, symbol.mask, symbol.matrix)


@functools.cache
def _fit(mode: int, payload_bits: int, error: int) -> tuple[int, int] | None:
    """(version, error level) segno picks for one segment of ``payload_bits`` bits, with its own
    ``find_version`` and ``boost_error_level``; ``None`` if no version holds it."""
    segments = encoder.Segments()
    segments.add_segment(encoder._Segment(bytearray(payload_bits), 0, mode, None))
    try:
        version = encoder.find_version(segments, error, eci=False, micro=False)
    except encoder.DataOverflowError:
        return None
    return version, encoder.boost_error_level(version, error, segments, False)


def _draw(tables: _Tables, mode: int, count: int, payload: int, payload_bits: int) -> Symbol:
    mask, dark = _best_mask(tables.grid, tables.unmasked(_data_codewords(tables, mode, count, payload, payload_bits)))
    return Symbol(tables.version, tables.error, mask, _row_digits(dark | tables.formats[mask], tables.grid))


def _reed_solomon(table: _RsTable, block: bytes) -> int:
    """A block's error correction codewords, as one integer (see :func:`_reed_solomon_table`)."""
    return functools.reduce(operator.xor, map(operator.getitem, table, block))


def _data_codewords(tables: _Tables, mode: int, count: int, payload: int, payload_bits: int) -> bytes:
    """segno's bit stream (mode, count, data, terminator, padding bits, pad codewords) as bytes."""
    count_bits = consts.CHAR_COUNT_INDICATOR_LENGTH[mode][encoder.version_range(tables.version)]
    length = 4 + count_bits + payload_bits
    tail = min(tables.capacity - length, consts.TERMINATOR_LENGTH[None])
    # segno pads to the next codeword boundary with 8 - length % 8 zeros: a whole zero
    # codeword when the stream already ends on one. Codewords beyond the capacity are dropped.
    tail += 8 - (length + tail) % 8
    stream = ((mode << count_bits | count) << payload_bits | payload) << tail
    codewords = stream.to_bytes((length + tail) // 8, "big")
    return (codewords + _PAD_CODEWORDS)[:tables.data_codewords]


# --- SVG -------------------------------------------------------------------------------------

#: One step of the dark path: light modules and line ends, then a run of dark modules.
_STEP = re.compile(rb"[02]*1+")
#: Where one dark run ends and light follows: the row grid is split there, in C.
_RUN_END = b"10"
#: Pieces kept per symbol size; the usual ones are a few thousand.
_PIECES_KEPT = 1 << 16


class _Steps(dict[bytes, str]):
    """Path text of the modules between two run ends (see :data:`_RUN_END`), without the
    ``b"0"`` before them and the ``b"1"`` after; filled as pieces are met."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def __missing__(self, piece: bytes) -> str:
        text = self.text(b"0" + piece + b"1")
        if len(self) < _PIECES_KEPT:
            self[piece] = text
        return text

    def text(self, modules: bytes) -> str:
        """The steps of ``modules``, which start where a dark run ended."""
        return "".join(map(self.step, _STEP.findall(modules)))

    def step(self, step: bytes) -> str:
        light = step.rstrip(b"1")
        rows = light.count(_EDGE)
        # Across a line end the move goes back from the end of the last run to the next one.
        dx = len(light) if not rows else light.index(_EDGE) + len(light) - 1 - light.rindex(_EDGE) - self.width
        return f"m{dx} {rows}h{len(step) - len(light)}"


@functools.cache
def _steps(width: int) -> _Steps:
    return _Steps(width)


def _number(value: float) -> str:
    return str(int(value) if int(value) == value else value)


def _svg(rows: bytes, width: int, border: int, title: str) -> bytes:
    """The bytes ``QRCode.save(kind="svg", border=border, xmldecl=False, omitsize=True,
    light="#fff", dark="#000", svgclass=None, lineclass=None, title=title, nl=True)`` writes,
    from a row grid: segno's relative moves, and the shorter of the two paths first."""
    steps = _steps(width)
    pieces = rows.split(_RUN_END)
    head = pieces[0] + b"1" if len(pieces) > 1 else rows
    first, *rest = _STEP.findall(head)
    light = first.rstrip(b"1")
    row = light.count(_EDGE) - width - 2          # edges passed: line 0 (width + 1), one per row
    x = len(light) - 1 - light.rindex(_EDGE)
    moves = "".join(map(steps.step, rest))
    if len(pieces) > 1:
        moves += "".join(map(steps.__getitem__, pieces[1:-1])) + steps.text(b"0" + pieces[-1])
    size = width + 2 * border
    dark = (f'<path stroke="#000" d="M{border + x} {_number(border + 0.5 + row)}h{len(first) - len(light)}'
            f'{moves}"/>')
    background = f'<path fill="#fff" d="M0 0h{size}v{size}h-{size}z"/>'
    paths = "".join(sorted((dark, background), key=len))
    # Encoded apart: the path is ASCII, which Python encodes as one copy, while a string that
    # also holds the title's Chinese would be encoded character by character.
    return b"".join((f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}"><title>'.encode(),
                     escape(title).encode("utf-8"), f"</title>{paths}</svg>\n".encode()))


def svg(matrix: Any, border: int, title: str) -> bytes:
    """:meth:`Symbol.svg` for a segno matrix (modules 0 and 1, at least one dark)."""
    width = len(matrix)
    return _svg(_rows_grid(matrix, _grid(width)), width, border, title)


# --- Size only -------------------------------------------------------------------------------

_ERROR_NAMES = {consts.ERROR_LEVEL_L: "L", consts.ERROR_LEVEL_M: "M", consts.ERROR_LEVEL_Q: "Q",
                consts.ERROR_LEVEL_H: "H"}


def version_info(content: str, error: str) -> tuple[int, str]:
    """(version, error level name) ``segno.make(content, error=error, micro=False,
    boost_error=True)`` would give, found without drawing the symbol.

    Both depend only on the segment's mode, encoding and length, so the answer is kept per
    such shape: a site's URLs come in a few lengths, and 100,000 items cost milliseconds.
    """
    data, length, encoding = encoder.data_to_bytes(content, None)
    mode = _mode(data)
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
