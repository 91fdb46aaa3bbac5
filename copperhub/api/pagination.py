"""Cursor pagination: constant cost per page however deep a tool reads (no OFFSET, no COUNT).

A cursor is opaque: only the ``next`` / ``previous`` links hold valid ones. Any other value names no page, so
it is a 404 (as DRF answers), in the API's error shape with a message naming the parameter; ``page_size``
must be a whole number from 1 to ``max_page_size`` (``QueryParametersAsDocumented`` refuses anything else
with a 400, from the bounds documented here).
"""

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

INVALID_CURSOR = "No such page: the cursor parameter takes only values from the next/previous links."


class StablePagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-pk"

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        # A hand-made cursor names no page: a 404, never a database error later.
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise NotFound(INVALID_CURSOR) from None
        if cursor is not None and cursor.position is not None and not self._valid_position(cursor.position):
            raise NotFound(INVALID_CURSOR)
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
                parameter["description"] = f"Rows per page, 1 to {self.max_page_size} (default {self.page_size})."
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = "Only as found in the next/previous links; any other value is a 404."
        return parameters

    def _valid_position(self, position: str) -> bool:
        """A hand-made cursor's position must be a value of the ordering field, not a database error later."""
        try:
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
        except FieldDoesNotExist:
            return True
        try:
            value = field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        return not isinstance(value, int) or -(2**63) <= value < 2**63
