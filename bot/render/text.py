"""Fitting text into platform limits: truncating a label, splitting a long text into chunks.

Both prefer natural boundaries (paragraph, line, sentence, word) and only cut inside a word
when a single word is longer than the limit. Lengths are counted in code points, as Slack's
SDK and Discord's API do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

ELLIPSIS = "…"

Measure = Callable[[str], int]
"""Length of a chunk once rendered (e.g. after markdown translation and escaping)."""

Protect = Callable[[str], Sequence[tuple[int, int]]]
"""Ranges of a text that should not be split (e.g. a bold span), as (start, end) offsets."""

# Coarse to fine. The flag says whether a level honours protected ranges; the last level may
# break one, because a protected span longer than the limit has to be cut somewhere.
_LEVELS: tuple[tuple[re.Pattern[str], bool], ...] = (
    (re.compile(r"\n\s*\n\s*"), True),
    (re.compile(r"\n\s*"), True),
    (re.compile(r"(?<=[.!?…:;])\s+"), True),
    (re.compile(r"\s+"), True),
    (re.compile(r"\s+"), False),
)


def _no_protection(_: str) -> Sequence[tuple[int, int]]:
    return ()


def truncate(text: str, limit: int, *, measure: Measure = len) -> str:
    """Shorten `text` so that `measure(result) <= limit`, ending with "…".

    Cuts at the last space when that keeps most of the text, so a word is not chopped in half;
    a text that already fits is returned unchanged.
    """
    if measure(text) <= limit:
        return text
    cut = _longest_prefix(text, limit, lambda prefix: measure(prefix.rstrip() + ELLIPSIS))
    space = text.rfind(" ", 0, cut + 1)
    if space > cut * 0.6:
        cut = space
    return text[:cut].rstrip() + ELLIPSIS


def truncate_start(text: str, limit: int, *, measure: Measure = len) -> str:
    """Keep the end of `text` (what was written last), starting with "…" if anything was dropped."""
    if measure(text) <= limit:
        return text
    low, high = 1, len(text)
    # Smallest start offset whose suffix fits; measure grows as the suffix grows.
    while low < high:
        mid = (low + high) // 2
        if measure(ELLIPSIS + text[mid:].lstrip()) <= limit:
            high = mid
        else:
            low = mid + 1
    start = low
    space = text.find(" ", start)
    if 0 <= space < start + (len(text) - start) * 0.4:
        start = space
    return ELLIPSIS + text[start:].lstrip()


def split_text(
    text: str, limit: int, *, measure: Measure = len, protect: Protect = _no_protection
) -> list[str]:
    """Split `text` into chunks with `measure(chunk) <= limit`, losing no words.

    Whitespace at a split point is dropped; everything else is kept in order. Returns no chunk
    for an empty or blank text.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if not text:
        return []
    chunks = _split(text, limit, measure, protect, 0)
    # Safety net for a measure that is not additive: never hand back an oversized chunk.
    fitted: list[str] = []
    for chunk in filter(None, chunks):
        fitted += _hard_split(chunk, limit, measure) if measure(chunk) > limit else [chunk]
    return fitted


def _split(text: str, limit: int, measure: Measure, protect: Protect, level: int) -> list[str]:
    if measure(text) <= limit:
        return [text]
    if level == len(_LEVELS):
        return _hard_split(text, limit, measure)
    pattern, honour = _LEVELS[level]
    pieces = _pieces(text, pattern, protect(text) if honour else ())
    if len(pieces) == 1:
        return _split(text, limit, measure, protect, level + 1)
    # Sizes add up piece by piece instead of re-measuring a growing chunk, which would be
    # quadratic. For our measures the sum is exact or an overestimate (joining pieces can only
    # pair up emphasis markers, which shortens), so chunks stay within the limit.
    chunks: list[str] = []
    current, current_size = "", 0
    for separator, piece in pieces:
        size = measure(piece)
        joined = current_size + measure(separator) + size if current else size
        if joined <= limit:
            current = current + separator + piece if current else piece
            current_size = joined
            continue
        if current:
            chunks.append(current)
        if size <= limit:
            current, current_size = piece, size
            continue
        parts = _split(piece, limit, measure, protect, level + 1)
        chunks.extend(parts[:-1])
        current = parts[-1]
        current_size = measure(current)
    chunks.append(current)
    return chunks


def _pieces(
    text: str, pattern: re.Pattern[str], protected: Sequence[tuple[int, int]]
) -> list[tuple[str, str]]:
    """(separator before, piece) pairs, splitting only at separators outside protected ranges."""
    pieces: list[tuple[str, str]] = []
    start, separator = 0, ""
    for match in pattern.finditer(text):
        if match.start() == 0 or any(low < match.start() < high for low, high in protected):
            continue
        pieces.append((separator, text[start : match.start()]))
        start, separator = match.end(), match.group()
    pieces.append((separator, text[start:]))
    return [(sep, piece) for sep, piece in pieces if piece]


def _hard_split(text: str, limit: int, measure: Measure) -> list[str]:
    """Last resort for a single word longer than the limit: cut it where it must be cut."""
    chunks: list[str] = []
    while text:
        cut = max(1, _longest_prefix(text, limit, measure))
        chunks.append(text[:cut])
        text = text[cut:]
    return chunks


def _longest_prefix(text: str, limit: int, measure: Measure) -> int:
    """Largest n with measure(text[:n]) <= limit (0 if none); assumes measure grows with n."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if measure(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


def wrap(text: str, width: int, *, first: str = "", rest: str = "", measure: Measure = len) -> list[str]:
    """Lines of at most `width` columns, broken only at spaces (a word is never cut).

    `first` starts the first line and `rest` every later one (a list's hanging indent). Line
    breaks in `text` are kept. A single word wider than the line stands alone on its line
    rather than being broken.
    """
    lines: list[str] = []
    for source in text.split("\n"):
        prefix = first if not lines else rest
        line, size, empty = prefix, measure(prefix), True
        for word in source.split():
            word_size = measure(word)
            if not empty and size + 1 + word_size > width:
                lines.append(line)
                line, size, empty = rest, measure(rest), True
            line, size = (
                (line + word, size + word_size) if empty else (f"{line} {word}", size + 1 + word_size)
            )
            empty = False
        lines.append(line.rstrip() if empty else line)
    return lines
