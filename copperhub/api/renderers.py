"""CSV for the list endpoints (``?format=csv``): every row of the filtered list, streamed.

Text cells that a spreadsheet would run as a formula are neutralised (``syncs.csv_safe``); a JSON cell (a
dict or list) starts with ``{`` or ``[`` and is safe as it is.
"""

import csv
import io
import json

from rest_framework.renderers import BaseRenderer

from syncs.csv_safe import csv_cell


def _cell(value):
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return "" if value is None else csv_cell(value)


def csv_rows(rows, fields: list[str]):
    """Yield CSV text for an iterable of dicts, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_cell(row.get(field)) for field in fields])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class CSVRenderer(BaseRenderer):
    """Renders a list (or a paginated ``results`` list) of dicts as CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        if isinstance(data, dict):
            data = [data]
        data = list(data or [])
        fields = list(data[0].keys()) if data else []
        return "".join(csv_rows(data, fields))
