"""Cursor pagination: constant cost per page however deep a tool reads (no OFFSET, no COUNT)."""

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class StablePagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-pk"

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        # A garbled cursor is bad input (400 naming the parameter), not a missing page.
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from None
        if cursor is not None and cursor.position is not None and not self._valid_position(cursor.position):
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]})
        return cursor

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
