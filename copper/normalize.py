"""How values Copper holds for Fishbowl are read: account numbers and active flags.

Pure functions, no models: the Fishbowl import, the Copper pull and the customer sync must agree on what an
account number and an active flag are.
"""

import re

_TRUE_FLAGS = {"true", "checked", "yes", "y", "1", "t", "x", "on", "active"}
# Fishbowl issues account numbers made of letters, digits and a few separators.
ACCOUNT_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"  # also matched in SQL by customers.selectors
_ACCOUNT_NUMBER_RE = re.compile(ACCOUNT_NUMBER_PATTERN)


def account_number_normalise(raw: object) -> str:
    """Trim and drop thousands commas: ``" 1,160 "`` → ``"1160"``. ``None`` and blanks give ``""``.

    A float that is a whole number (as a spreadsheet may write it, ``1160.0``) becomes ``"1160"``.
    """
    if raw is None or raw is False:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        text = text.replace(",", "")
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".", 1)[0]
    return text


def account_number_is_valid(number: str) -> bool:
    """Whether Fishbowl could have issued this (already normalised) account number."""
    return bool(_ACCOUNT_NUMBER_RE.fullmatch(number))


def flag_is_set(raw: object) -> bool:
    """An active flag counts as set when written as True, "true", "checked", "Checked", "yes" or 1."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return raw != 0
    if raw is None:
        return False
    return str(raw).strip().lower() in _TRUE_FLAGS
