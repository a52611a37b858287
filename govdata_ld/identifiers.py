"""Identifiers of the Chinese catalog standards: unified social credit codes and resource codes.

The unified social credit code (统一社会信用代码) follows GB 32100-2015: 18 characters from a
31-symbol alphabet (digits and upper-case letters without I, O, Z, S, V), the last being a check
character computed with the GB/T 17710 (ISO 7064) weights.
"""

from __future__ import annotations

import re

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")


def uscc_check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a code.

    Args:
        first17: the first 17 characters of a unified social credit code.

    Returns:
        The 18th character.

    Raises:
        ValueError: if ``first17`` is not 17 characters of the code alphabet.

    >>> uscc_check_character("91350100M000100Y4")
    '3'
    """
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError(
            f"expected 17 characters from {USCC_ALPHABET!r}, got {first17!r}"
        )
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def complete_uscc(first17: str) -> str:
    """Append the check character to 17 characters, giving a valid code.

    >>> complete_uscc("11520100MB1234567")
    '11520100MB1234567P'
    """
    return first17 + uscc_check_character(first17)


def is_valid_uscc(code: str) -> bool:
    """Tell whether ``code`` is a well-formed unified social credit code with a correct check character.

    >>> is_valid_uscc("91350100M000100Y43")
    True
    >>> is_valid_uscc("91350100M000100Y44")
    False
    """
    return bool(_USCC_SHAPE.fullmatch(code)) and uscc_check_character(code[:17]) == code[17]
