"""文号 (issuing numbers) as printed in catalogues drift: 〔〕 ﹝﹞ [] () and stray spaces.

The standard form (GB/T 9704 党政机关公文格式) puts the year in 六角括号 〔〕.
"""

from __future__ import annotations

import re

_YEAR_BRACKETS = re.compile(r"[\[\(（﹝【〔]\s*(\d{4})\s*[\]\)）﹞】〕]")


def normalise_number(number: str) -> str:
    """``国发[2012] 45 号`` → ``国发〔2012〕45号``."""
    compact = re.sub(r"\s+", "", number)
    return _YEAR_BRACKETS.sub(r"〔\1〕", compact)
