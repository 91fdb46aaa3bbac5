"""How account types written in Copper and Fishbowl exports are read (account numbers and flags:
``copper.normalize``).
"""

import re

from customers.models import FishbowlCustomer

AccountType = FishbowlCustomer.AccountType

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
