"""Writes of the commissions app, by responsibility:

- ``calculate``: ``commission_calculate`` (scope, rules per order, the month's lines replaced) and its result;
- ``loading``: the set-based reads a calculation starts from (orders and sums, history, spiffs);
- ``lines``: the line rows and their one-transaction replacement;
- ``runs``: ``commission_calculate_start`` (queue a run) and ``commission_calculate_run`` (its runner).
"""

from commissions.services.calculate import CommissionResult, commission_calculate, commission_scope
from commissions.services.runs import commission_calculate_run, commission_calculate_start

__all__ = [
    "CommissionResult",
    "commission_calculate",
    "commission_calculate_run",
    "commission_calculate_start",
    "commission_scope",
]
