"""OpenAPI post-processing: every operation documents the shared error shape (see ``errors.py``)."""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": True},
            },
            "required": ["status", "code", "message"],
        }
    },
    "required": ["error"],
}

ERROR_DESCRIPTIONS = {
    "400": "The request is not valid; `fields` names each problem.",
    "401": "Not authenticated.",
    "403": "Authenticated but not permitted (or a read-only token tried to write).",
    "404": "No such object, page (cursor) or format.",
    "409": "The object is not in a state that allows this.",
    "415": "The body is not JSON, a form or multipart data.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: add the JSON error responses to every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            codes = ["400", "401", "403"]
            # Reads also answer 404 for an unknown cursor or ?format= (DRF's content negotiation).
            if "{" in path or method == "get":
                codes.append("404")
            if method in {"post", "put", "patch", "delete"}:
                codes.append("409")
            if "requestBody" in operation:
                codes.append("415")
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": ref}},
                    },
                )
    return result
