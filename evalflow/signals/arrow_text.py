"""Column-at-a-time text helpers built on pyarrow's compute kernels.

Why pyarrow: its regular-expression kernels run Google RE2 in C++ over a whole
column, linear in the text length whatever the size of the alternation, while
pandas' ``str.contains`` on object columns calls Python's backtracking ``re`` once
per row. On a day of a million responses that is the difference between seconds
and minutes. RE2 has no look-around, so every pattern used through these helpers is
written in the subset both RE2 and Python's ``re`` understand; detectors that need
look-arounds or validation use RE2 to find the (rare) candidate rows and Python only
on those.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Word boundaries that understand accented letters: RE2's ``\b`` is ASCII-only, so a
# term ending in "é" would never be followed by a boundary. These consume the
# neighbouring character, which is fine for "does the row match" questions.
RE2_LEFT = r"(?:^|[^\pL\pN_])"
RE2_RIGHT = r"(?:[^\pL\pN_]|$)"
# Python's ``\w`` is Unicode-aware for ``str`` patterns, so look-arounds suffice.
PY_LEFT = r"(?<!\w)"
PY_RIGHT = r"(?!\w)"


def to_arrow(texts: pd.Series | pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pa.Array:
    """A single ``large_string`` array with nulls replaced by the empty string.

    Large offsets (64-bit) because a day's concatenated contexts can exceed 2 GiB.
    """
    if isinstance(texts, pa.ChunkedArray):
        arr = texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    elif isinstance(texts, pa.Array):
        arr = texts
    else:
        values = texts.astype(object) if isinstance(texts, pd.Series) else list(texts)
        if isinstance(values, pd.Series):
            values = values.where(values.notna(), None)
        arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    return arr


def bounded_union(bodies: Iterable[str], flavour: str) -> str:
    """One alternation of ``bodies`` wrapped in Unicode-aware word boundaries."""
    inner = "|".join(f"(?:{b})" for b in bodies)
    if flavour == "re2":
        return f"{RE2_LEFT}(?:{inner}){RE2_RIGHT}"
    if flavour == "python":
        return f"{PY_LEFT}(?:{inner}){PY_RIGHT}"
    raise ValueError(f"unknown regex flavour {flavour!r}")


def matches(arr: pa.Array, pattern: str, ignore_case: bool = True) -> np.ndarray:
    """Row mask of ``pattern`` (RE2 syntax) found anywhere in each string."""
    if len(arr) == 0:
        return np.zeros(0, dtype=bool)
    out = pc.match_substring_regex(arr, pattern=pattern, ignore_case=ignore_case)
    return out.to_numpy(zero_copy_only=False).astype(bool, copy=False)


def lengths(arr: pa.Array) -> np.ndarray:
    """Length of each string in characters (code points)."""
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64)
    return pc.utf8_length(arr).to_numpy(zero_copy_only=False).astype(np.int64)
