"""How account types and addresses written in Copper and Fishbowl exports are read (account numbers and
flags: ``copper.normalize``).
"""

import re

from customers.models import FishbowlCustomer

AccountType = FishbowlCustomer.AccountType

DOMESTIC = {"", "US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA"}

_ACCOUNT_TYPES = {
    "retail": AccountType.RETAIL,
    "retailer": AccountType.RETAIL,
    "wholesale": AccountType.WHOLESALE,
    "wholesaler": AccountType.WHOLESALE,
    "whole sale": AccountType.WHOLESALE,
    "distributor": AccountType.DISTRIBUTOR,
    "distributer": AccountType.DISTRIBUTOR,
    "distribution": AccountType.DISTRIBUTOR,
    "dist": AccountType.DISTRIBUTOR,
}


def account_type_normalise(raw: object) -> str:
    """Map a label (any case, common spellings) to an ``AccountType``; empty or unknown → ``UNKNOWN``.

    A list (a MultiSelect's labels) is read as its first recognised label.
    """
    if isinstance(raw, list | tuple):
        for item in raw:
            value = account_type_normalise(item)
            if value != AccountType.UNKNOWN:
                return value
        return AccountType.UNKNOWN
    if raw is None:
        return AccountType.UNKNOWN
    key = re.sub(r"\s+", " ", str(raw).strip().lower())
    key = key.removesuffix(" account").removesuffix("s") if key not in _ACCOUNT_TYPES else key
    return _ACCOUNT_TYPES.get(key, AccountType.UNKNOWN)


def address_text(address: object) -> str:
    """Copper's ``{street, city, state, postal_code, country}`` written as Fishbowl writes addresses.

    One line, ``"1 Main St, Springfield, IL 62701"``; the country is added only when it is not the US.
    """
    if not isinstance(address, dict):
        return ""
    part = {
        key: str(address.get(key) or "").strip()
        for key in ("street", "city", "state", "postal_code", "country")
    }
    region = " ".join(p for p in (part["state"], part["postal_code"]) if p)
    country = "" if part["country"].upper() in DOMESTIC else part["country"]
    return ", ".join(p for p in (part["street"], part["city"], region, country) if p)


def address_key(text: str | None) -> str:
    """An address with case, commas, line breaks and repeated spaces ignored, for comparing two writings."""
    return " ".join(re.split(r"[\s,]+", (text or "").lower())).strip()
