"""文号 (issuing numbers) as printed in catalogues drift: 〔〕 ﹝﹞ [] () and stray spaces.

The standard form (GB/T 9704 党政机关公文格式) puts the year in 六角括号 〔〕.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_YEAR_BRACKETS = re.compile(r"[\[\(（﹝【〔]\s*(\d{4})\s*[\]\)）﹞】〕]")


# A city cites the same few hundred documents in thousands of items, and both the validator
# and the model ask for each: a cache spares running the two substitutions again.
@lru_cache(maxsize=4096)
def normalise_number(number: str) -> str:
    """``国发[2012] 45 号`` → ``国发〔2012〕45号``."""
    compact = _SPACES.sub("", number)
    return _YEAR_BRACKETS.sub(r"〔\1〕", compact)
