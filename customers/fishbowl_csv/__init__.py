"""Reading Fishbowl's exports (CSV files, or API rows shaped like them) into clean Python values.

No database access. ``headers`` matches header spellings to columns, ``dialect`` tells a file's encoding and
delimiter, ``amounts`` its number format, ``sources`` yields ``(line, {column key: raw value})`` rows, and
``rows`` turns a row into typed fields plus ``(column key, problem)`` pairs. The README's "Fishbowl exports"
section is the contract for people who make the files.
"""

from customers.fishbowl_csv.amounts import AmountFormatError, amount_parse
from customers.fishbowl_csv.dialect import ImportFileError
from customers.fishbowl_csv.headers import CUSTOMER_COLUMNS, ORDER_LINE_COLUMNS, Column, header_normalise
from customers.fishbowl_csv.rows import AmountNotes, OrderLineParser, customer_parse, order_line_parse
from customers.fishbowl_csv.sources import CsvSource, ImportProblem, IterableSource, RowSource
from customers.fishbowl_csv.values import line_type_of, parse_date, parse_status

__all__ = [
    "CUSTOMER_COLUMNS",
    "ORDER_LINE_COLUMNS",
    "AmountFormatError",
    "AmountNotes",
    "Column",
    "CsvSource",
    "ImportFileError",
    "ImportProblem",
    "IterableSource",
    "OrderLineParser",
    "RowSource",
    "amount_parse",
    "customer_parse",
    "header_normalise",
    "line_type_of",
    "order_line_parse",
    "parse_date",
    "parse_status",
]
