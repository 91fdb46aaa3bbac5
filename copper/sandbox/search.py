"""How the Copper sandbox reads a search: its paging, its sort and its filters, checked as Copper checks them
and turned into SQL over the store's ``companies`` table.

Pure functions: the store runs the SQL (and applies the search cap).
"""

from __future__ import annotations

from typing import Any

from copper.sandbox.validation import SandboxInputError, as_int, as_int_list, as_number, dumps

MAX_PAGE_SIZE = 200
SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "name", "assignee_ids",
               "contact_type_ids", "tags", "city", "state", "postal_code", "country", "minimum_created_date",
               "maximum_created_date", "minimum_modified_date", "maximum_modified_date", "custom_fields",
               "minimum_interaction_count", "maximum_interaction_count"}  # fmt: skip
SORTS = {
    "date_modified": "date_modified",
    "date_created": "date_created",
    "name": "name COLLATE NOCASE",
    "id": "id",
}
_FIELD_VALUE = ("(SELECT json_extract(f.value, '$.value') FROM json_each(companies.body, '$.custom_fields') AS f "
                "WHERE json_extract(f.value, '$.custom_field_definition_id') = ?)")  # fmt: skip


def companies_query(
    query: dict[str, Any], *, definitions: dict[int, dict]
) -> tuple[str, list[Any], str, int, int]:
    """``POST /companies/search``'s body as ``(where, params, order, page_size, page_number)``.

    Raises ``SandboxInputError`` for an unknown key, a bad page, an unknown sort or a bad filter."""
    unknown = sorted(set(query) - SEARCH_KEYS)
    if unknown:
        raise SandboxInputError(f"Base: Unrecognized attributes specified: {', '.join(unknown)}")
    size, number = paging(query)
    sort_by = query.get("sort_by") or "date_modified"
    if sort_by not in SORTS:
        raise SandboxInputError(f"Sort by: is not included in the list ({', '.join(SORTS)})")
    direction = str(query.get("sort_direction") or "asc").lower()
    if direction not in ("asc", "desc"):
        raise SandboxInputError("Sort direction: is not included in the list (asc, desc)")
    where, params = companies_where(query, definitions=definitions)
    order = f"{SORTS[sort_by]} {direction}, id {direction}"
    return where, params, order, size, number


def paging(query: dict[str, Any]) -> tuple[int, int]:
    """``(page_size, page_number)`` of a search, checked as Copper checks them."""
    size = as_int(query.get("page_size", 20), "Page size")
    number = as_int(query.get("page_number", 1), "Page number")
    if size > MAX_PAGE_SIZE:
        raise SandboxInputError(f"Page size: must be less than or equal to {MAX_PAGE_SIZE}")
    if size < 1 or number < 1:
        raise SandboxInputError("Page size and page number: must be greater than 0")
    return size, number


def companies_where(  # noqa: C901 - one branch per filter
    query: dict[str, Any], *, definitions: dict[int, dict]
) -> tuple[str, list[Any]]:
    """The SQL ``WHERE`` clause and its parameters for a company search's filters."""
    clauses, params = ["1 = 1"], []
    if query.get("ids") is not None:
        clauses.append("id IN (SELECT value FROM json_each(?))")
        params.append(dumps(as_int_list(query["ids"], "Ids")))
    if query.get("name"):
        clauses.append("name LIKE ?")
        params.append(f"%{query['name']}%")
    for key, column in (("assignee_ids", "assignee_id"), ("contact_type_ids", "contact_type_id")):
        if query.get(key) is not None:
            wanted = as_int_list(query[key], key.replace("_", " ").capitalize())
            none = " OR " + column + " IS NULL" if -2 in wanted else ""
            clauses.append(f"({column} IN (SELECT value FROM json_each(?)){none})")  # noqa: S608 - fixed names
            params.append(dumps(wanted))
    if query.get("tags"):
        clauses.append("EXISTS (SELECT 1 FROM json_each(companies.body, '$.tags') t "
                       "WHERE t.value IN (SELECT value FROM json_each(?)))")  # fmt: skip
        params.append(dumps(query["tags"] if isinstance(query["tags"], list) else [query["tags"]]))
    for key in ("city", "state", "postal_code", "country"):
        if query.get(key):
            clauses.append(f"lower(json_extract(companies.body, '$.address.{key}')) = lower(?)")
            params.append(str(query[key]))
    for key, column, op in (("minimum_created_date", "date_created", ">="),
                            ("maximum_created_date", "date_created", "<="),
                            ("minimum_modified_date", "date_modified", ">="),
                            ("maximum_modified_date", "date_modified", "<="),
                            ("minimum_interaction_count", "json_extract(body, '$.interaction_count')", ">="),
                            ("maximum_interaction_count", "json_extract(body, '$.interaction_count')", "<=")):  # fmt: skip
        if query.get(key) is not None:
            clauses.append(f"{column} {op} ?")
            params.append(as_int(query[key], key.replace("_", " ").capitalize()))
    filters = query.get("custom_fields") or []
    if not isinstance(filters, list):
        raise SandboxInputError("Custom fields: must be a list of {custom_field_definition_id, value}")
    for entry in filters:
        clause, values = _custom_field_filter(entry, definitions)
        clauses.append(clause)
        params.extend(values)
    return " AND ".join(clauses), params


def _custom_field_filter(entry: Any, definitions: dict[int, dict]) -> tuple[str, list[Any]]:
    if not isinstance(entry, dict) or "custom_field_definition_id" not in entry:
        raise SandboxInputError("Custom fields: each filter needs a custom_field_definition_id")
    def_id = as_int(entry["custom_field_definition_id"], "Custom field definition")
    definition = definitions.get(def_id)
    if definition is None:
        raise SandboxInputError(f"Custom fields: unknown custom_field_definition_id {def_id}")
    data_type, value = definition["data_type"], entry.get("value")
    if data_type == "Checkbox":
        return (f"{_FIELD_VALUE} = 1", [def_id]) if value else (f"coalesce({_FIELD_VALUE}, 0) = 0", [def_id])
    if data_type == "Dropdown":
        return f"{_FIELD_VALUE} IN (SELECT value FROM json_each(?))", [  # noqa: S608 - fixed SQL
            def_id,
            dumps(as_int_list(value, "Value")),
        ]
    if data_type == "MultiSelect":
        return ("EXISTS (SELECT 1 FROM json_each(companies.body, '$.custom_fields') AS f, "
                "json_each(f.value, '$.value') AS v WHERE json_extract(f.value, '$.custom_field_definition_id') "
                "= ? AND v.value IN (SELECT value FROM json_each(?)))",
                [def_id, dumps(as_int_list(value, "Value"))])  # fmt: skip
    if data_type in ("Float", "Currency", "Percentage", "Date"):
        clauses, params = [], []
        for key, op in (("minimum_value", ">="), ("maximum_value", "<="), ("value", "=")):
            if entry.get(key) is not None:
                clauses.append(f"{_FIELD_VALUE} {op} ?")
                params += [def_id, as_number(entry[key])]
        return (" AND ".join(clauses) or "1 = 1"), params
    if data_type == "Connect":
        raise SandboxInputError(f"Custom fields: {definition['name']} cannot be filtered")
    return f"{_FIELD_VALUE} = ?", [def_id, str(value)]
