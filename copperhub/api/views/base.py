"""Shared shape of the read endpoints: cursor-paginated JSON, filters, ordering, and streamed CSV."""

import datetime as dt
import re

import django_filters
from django import forms
from django.http import StreamingHttpResponse
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import generics
from rest_framework.filters import OrderingFilter
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from copperhub.api.pagination import StablePagination
from copperhub.api.renderers import CSVRenderer, csv_rows

INT64 = {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1}


@extend_schema_field(INT64)
class IdFilter(django_filters.NumberFilter):
    """An integer id filter bounded to 64 bits, so no input can overflow the database's integer type."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, normalised to UTC.

    PostgreSQL refuses offsets beyond ±15:59 that ISO allows, and an instant near year 1 or 9999 overflows when
    shifted to another zone: both are bad input (400 naming the parameter), not a server error.
    """

    def to_python(self, value):
        try:
            result = super().to_python(value)
            return result.astimezone(dt.UTC) if result is not None else None
        except OverflowError:
            raise forms.ValidationError("Enter a date and time within years 1 to 9999 in UTC.") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class DocumentedOrderingFilter(OrderingFilter):
    """``?ordering=`` documented as what it accepts: the view's ordering fields, ``-`` for descending,
    several separated by commas (anything else is refused by ``QueryParametersAsDocumented``)."""

    def get_schema_operation_parameters(self, view):
        fields = list(getattr(view, "ordering_fields", None) or [])
        term = "-?(?:" + "|".join(re.escape(field) for field in fields) + ")"
        description = f"Sort by {', '.join(fields)}; a leading - sorts descending; several separated by commas."
        schema = {"type": "string", "pattern": f"^{term}(?:,{term})*$"}
        return [{"name": self.ordering_param, "required": False, "in": "query", "description": description,
                 "schema": schema}]  # fmt: skip


class ListApi(generics.ListAPIView):
    """A list endpoint; ``?format=csv`` streams every filtered row (no pagination) as CSV."""

    pagination_class = StablePagination
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    filter_backends = [DjangoFilterBackend, DocumentedOrderingFilter]
    csv_filename = "export.csv"

    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", None) != "csv":
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()
        fields = list(serializer_class().fields)
        rows = (serializer_class(obj, context=context).data for obj in queryset.iterator(chunk_size=2000))
        response = StreamingHttpResponse(csv_rows(rows, fields), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.csv_filename}"'
        return response


class DetailApi(generics.RetrieveAPIView):
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
