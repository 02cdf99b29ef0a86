"""One definition of a digit for every stage: a character of Unicode category Nd.

Normalisation (normalise.py) writes every such digit as its ASCII digit after NFKC
(full-width ５, Arabic-Indic ٥, Devanagari ५ all become 5), so the parser
(quantity.py), the mention finder (mentions.py) and the evidence check
(evidence.py) see the same figures: a number the parser could read is a number
coverage counts. Patterns over normalised text use DIGIT ([0-9]); code that looks
at a source's original characters uses `is_digit`.
"""

from __future__ import annotations

import re
import unicodedata

DIGIT = "[0-9]"            # a digit in normalised text (never Python's broader \d)
DECIMAL_POINTS = ".．"     # in original text: ASCII and full-width full stop


def is_digit(ch: str) -> bool:
    """Whether one original character is a digit (Unicode Nd: 5, ５, ٥, ५, 𝟓...)."""
    return unicodedata.category(ch) == "Nd"


# A digit other than 0-9: re's \d is exactly Unicode Nd for str patterns (tested over
# every code point), so a text without one is returned as it is, at C speed.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def ascii_digits(text: str) -> str:
    """`text` with every Nd digit written as its ASCII digit (other characters unchanged)."""
    if text.isascii() or _OTHER_DIGIT.search(text) is None:
        return text
    return "".join(str(unicodedata.decimal(ch)) if is_digit(ch) else ch for ch in text)


def nfkc(text: str) -> str:
    """NFKC, then every digit in ASCII: the normal form every figure is read in."""
    return ascii_digits(unicodedata.normalize("NFKC", text))
