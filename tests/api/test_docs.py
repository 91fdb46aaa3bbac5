"""The API documents itself without the internet: Swagger UI from our own static files, and a root listing."""

import re

import pytest
from django.contrib.staticfiles import finders

from tests.api.conftest import make_token
from tests.api.test_schema import _schema_dict

pytestmark = pytest.mark.django_db


def test_the_docs_page_loads_swagger_ui_from_this_server_and_names_no_external_host(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "SwaggerUIBundle" in page
    assert not re.findall(r"(?:https?:)?//[\w.-]+\.\w+", page), "the page names another host"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not among the static files"


def test_swagger_ui_asks_no_online_validator(client, staff_user):
    client.force_login(staff_user)
    assert '"validatorUrl": null' in client.get("/api/v1/docs/").content.decode()


def test_the_api_root_lists_every_endpoint_of_the_schema(api, nobody):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(nobody, read_only=True)}")
    response = api.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    listed = {row["path"]: row for row in body["endpoints"]}
    described = {path: set(ops) for path, ops in _schema_dict()["paths"].items() if path != "/api/v1/"}
    assert set(listed) == set(described) | {"/api/v1/schema/", "/api/v1/docs/"}
    for path, operations in described.items():
        assert {m.lower() for m in listed[path]["methods"]} == operations & {"get", "post"}, path
    assert listed["/api/v1/sales-orders/"]["description"].startswith("Fishbowl sales orders")
    assert listed["/api/v1/change-sets/{id}/approve/"]["methods"] == ["POST"]
    assert body["docs"] == "/api/v1/docs/" and body["schema"] == "/api/v1/schema/"


def test_the_api_root_needs_authentication(api):
    assert api.get("/api/v1/").status_code == 401
