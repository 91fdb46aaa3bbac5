"""Cursor pagination: constant cost per page however deep a tool reads (no OFFSET, no COUNT)."""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class StablePagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-pk"

    def decode_cursor(self, request):
        # A garbled cursor is bad input (400 naming the parameter), not a missing page.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from None
