"""Salesforce record ids: 15 case-sensitive characters, or 18 with the case-safe suffix.

An id is the object's three-character key prefix (``001`` Account, ``0WO`` WorkOrder …), a
two-character instance part, a reserved ``0`` and the row's primary key in base 62 (nine
characters). It is computed from the row, never stored, so it cannot drift. The 18-character
form adds three characters that encode which of the first fifteen are upper case, so that an
id survives a case-insensitive copy (a spreadsheet): either form is accepted wherever an id is.
"""

from __future__ import annotations

import string

#: Base 62 digits in Salesforce's order of significance.
_DIGITS = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX_CHARS = string.ascii_uppercase + "012345"
INSTANCE = "5g"
_RECORD_WIDTH = 9
#: The largest primary key a 9-digit base-62 record part holds.
MAX_ROW_ID = 62**_RECORD_WIDTH - 1


def case_suffix(id15: str) -> str:
    """The three characters that make a 15-character id case-safe."""
    suffix = []
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix.append(_SUFFIX_CHARS[bits])
    return "".join(suffix)


def encode(key_prefix: str, row_id: int) -> str:
    """The 18-character id of row ``row_id`` of the object with ``key_prefix``."""
    if not 0 < row_id <= MAX_ROW_ID:
        raise ValueError(f"row id {row_id} is out of range")
    digits = []
    value = row_id
    for _ in range(_RECORD_WIDTH):
        value, digit = divmod(value, 62)
        digits.append(_DIGITS[digit])
    id15 = f"{key_prefix}{INSTANCE}0{''.join(reversed(digits))}"
    return id15 + case_suffix(id15)


def _restore_case(id18: str) -> str | None:
    """The 15-character id an 18-character one stands for, its case restored from the suffix
    (so ``001...aaa`` typed in any case is the same record), or None when malformed."""
    head, suffix = id18[:15], id18[15:].upper()
    restored = []
    for chunk, char in enumerate(suffix):
        bits = _SUFFIX_CHARS.find(char)
        if bits < 0:
            return None
        for position, letter in enumerate(head[chunk * 5 : chunk * 5 + 5]):
            if letter.isalpha():
                upper = bool(bits & (1 << position))
                restored.append(letter.upper() if upper else letter.lower())
            else:
                restored.append(letter)
    return "".join(restored)


def decode(value: str) -> tuple[str, int] | None:
    """(key prefix, row id) of a 15- or 18-character id, or None when it is not one of ours
    (wrong length, characters outside base 62, a suffix that does not match)."""
    if len(value) == 18:
        id15 = _restore_case(value)
        if id15 is None or case_suffix(id15) != value[15:].upper():
            return None
    elif len(value) == 15:
        id15 = value
    else:
        return None
    if not id15.isascii() or not id15.isalnum():
        return None
    prefix, instance, reserved, record = id15[:3], id15[3:5], id15[5], id15[6:]
    if instance != INSTANCE or reserved != "0":
        return None
    row_id = 0
    for char in record:
        row_id = row_id * 62 + _DIGITS.index(char)
    if row_id == 0:
        return None
    return prefix, row_id
