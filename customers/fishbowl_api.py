"""A small Fishbowl Advanced REST API client: login, SQL data-query, logout. Imports no models.

One ``requests.Session``; every call has a timeout (``FISHBOWL_TIMEOUT_SECONDS``). Failures are typed and worded
for the person who has to fix them: bad credentials, MFA required, an integration Fishbowl has not approved,
anything else with Fishbowl's own message. Use the client as a context manager: it logs in on entry and always
logs out on exit (Fishbowl counts sessions against the licence). A data query sends its SQL as the ``query``
URL parameter of a GET (a GET body is dropped by some proxies). The password, and any ``user:password`` in the
URL (which is stripped from it), are replaced by ``***`` in every error: Fishbowl may echo the login body.

``customer_rows`` and ``order_line_rows`` read the same data as the two CSV exports and yield rows keyed like
``customers.fishbowl_csv`` column keys, so the import treats both sources alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import requests
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

APP_NAME = "copperhub"
APP_DESCRIPTION = "copperhub reads customers and sales orders to keep Copper CRM in step with Fishbowl."
PAGE_SIZE = 5000

# [tables and columns as Fishbowl documents them; inferred: soitemtype, so.salesman holding the username]
CUSTOMERS_SQL = """
SELECT c.id AS fishbowl_id, c.number AS account_key, c.name AS name, at.name AS account_type,
       su.userName AS sales_rep, c.activeFlag AS active
FROM customer c
LEFT JOIN account a ON a.id = c.accountId
LEFT JOIN accounttype at ON at.id = a.typeId
LEFT JOIN sysuser su ON su.id = c.defaultSalesmanId
ORDER BY c.id
""".strip()

ORDER_LINES_SQL = """
SELECT so.num AS number, so.id AS so_id, so.dateIssued AS date_issued, so.statusId AS status,
       c.id AS customer_id, {account_key} AS account_number, c.name AS customer_name,
       so.salesman AS sales_person, su.userName AS default_sales_rep,
       soitem.id AS so_item_id, COALESCE(p.num, soitem.productNum) AS product_number,
       soitem.description AS description, soitemtype.name AS item_type,
       soitem.qtyFulfilled AS quantity, soitem.unitPrice AS unit_price,
       soitem.totalPrice AS total_price, soitem.totalCost AS total_cost
FROM so
JOIN soitem ON soitem.soId = so.id
JOIN customer c ON c.id = so.customerId
LEFT JOIN product p ON p.id = soitem.productId
LEFT JOIN soitemtype ON soitemtype.id = soitem.typeId
LEFT JOIN sysuser su ON su.id = c.defaultSalesmanId
ORDER BY so.num, soitem.id
""".strip()

# Copper's Account Order ID holds customer.id or customer.number (FISHBOWL_ACCOUNT_KEY): the order's key.
ACCOUNT_KEY_COLUMNS = {"id": "c.id", "number": "c.number"}
CUSTOMER_KEYS = ("fishbowl_id", "account_key", "name", "account_type", "sales_rep", "active")
ORDER_LINE_KEYS = [
    "number",
    "so_id",
    "date_issued",
    "status",
    "customer_id",
    "account_number",
    "customer_name",
    "sales_person",
    "default_sales_rep",
    "so_item_id",
    "product_number",
    "description",
    "item_type",
    "quantity",
    "unit_price",
    "total_price",
    "total_cost",
]


class FishbowlError(Exception):
    """Base of every Fishbowl failure; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    @property
    def user_message(self) -> str:
        return self.message


class FishbowlAuthError(FishbowlError):
    """401/403: wrong username or password, an expired session, or no access."""


class FishbowlMfaRequired(FishbowlAuthError):
    """Fishbowl answered 401 with ``MFA: Required``: this user logs in with a second factor."""


class FishbowlAppNotApproved(FishbowlAuthError):
    """The integration (app id) has not been approved inside Fishbowl yet."""


class FishbowlRequestError(FishbowlError):
    """Any other failure: Fishbowl unreachable, timed out, or an error answer."""


class FishbowlClient:
    def __init__(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        app_id: str | int,
        timeout: float = 30.0,
        app_name: str = APP_NAME,
        app_description: str = APP_DESCRIPTION,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url, url_secrets = _url_without_credentials(base_url.rstrip("/"))
        self.username = username
        self.password = password
        # Never shown: Fishbowl may echo the login body in an error, and a URL may carry user:password.
        self._secrets = sorted(
            {secret for secret in (password, *url_secrets) if secret}, key=len, reverse=True
        )
        self.app_id = int(app_id) if str(app_id).isdigit() else app_id
        self.timeout = timeout
        self.app_name = app_name
        self.app_description = app_description
        self.session = session or requests.Session()
        self.token: str | None = None

    def __enter__(self) -> FishbowlClient:
        self.login()
        return self

    def __exit__(self, *exc: object) -> None:
        self.logout()

    def login(self) -> None:
        body = {
            "appName": self.app_name,
            "appDescription": self.app_description,
            "appId": self.app_id,
            "username": self.username,
            "password": self.password,
        }
        response = self._request("POST", "/api/login", json=body, action="log in")
        token = (self._json(response) or {}).get("token")
        if not token:
            raise FishbowlRequestError(f"Fishbowl at {self.base_url} answered the login without a token.")
        self.token = token
        self.session.headers["Authorization"] = f"Bearer {token}"

    def logout(self) -> None:
        """End the session; never raises (a failed logout must not hide the import's own outcome)."""
        if self.token is None:
            return
        try:
            self._request("POST", "/api/logout", action="log out")
        except FishbowlError as exc:
            logger.warning("Fishbowl logout failed: %s", exc)
        finally:
            self.token = None
            self.session.headers.pop("Authorization", None)

    def data_query(self, sql: str) -> list[dict[str, Any]]:
        """Run a read-only SQL query; Fishbowl answers a JSON array of rows keyed by column name or alias."""
        # The SQL travels as the ``query`` URL parameter: a GET with a body is dropped by some proxies.
        response = self._request("GET", "/api/data-query", params={"query": sql}, action="run a data query")
        rows = self._json(response)
        if not isinstance(rows, list):
            raise FishbowlRequestError(
                "Fishbowl answered the data query with something other than a list of rows."
            )
        return rows

    def data_query_pages(self, sql: str, *, page_size: int = PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """The rows of ``sql`` (which must have a stable ORDER BY), fetched ``page_size`` at a time."""
        offset = 0
        while True:
            rows = self.data_query(f"{sql}\nLIMIT {int(page_size)} OFFSET {int(offset)}")
            yield from rows
            if len(rows) < page_size:
                return
            offset += page_size

    # --- transport ---------------------------------------------------------------------------------------
    def redact(self, text: str) -> str:
        """``text`` with the password (and any credentials of the URL) replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
            text = text.replace(quote(secret, safe=""), "***")
        return text

    def _request(self, method: str, path: str, *, action: str, **kwargs: Any) -> requests.Response:
        try:
            return self._send(method, path, action=action, **kwargs)
        except FishbowlError as exc:
            exc.message = self.redact(exc.message)
            exc.args = (exc.message,)
            raise exc from None  # the transport's own exception may quote what was sent

    def _send(self, method: str, path: str, *, action: str, **kwargs: Any) -> requests.Response:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise FishbowlRequestError(
                f"Fishbowl at {self.base_url} did not answer within {self.timeout:g} s (trying to {action})."
            ) from None
        except requests.RequestException as exc:
            raise FishbowlRequestError(
                f"Could not reach Fishbowl at {self.base_url} to {action}: {exc}"
            ) from None
        if response.status_code >= 400:
            raise self._error(response, action)
        return response

    def _error(self, response: requests.Response, action: str) -> FishbowlError:
        status = response.status_code
        body = self._json(response, strict=False)
        message = str(body.get("message") or "") if isinstance(body, dict) else ""
        message = message or response.text[:200].strip()
        said = f" Fishbowl said: {message}" if message else ""
        if status == 401 and response.headers.get("MFA", "").lower() == "required":
            return FishbowlMfaRequired(
                f"Fishbowl requires multi-factor authentication for user '{self.username}'; copperhub cannot "
                f"answer an MFA prompt. Use a Fishbowl user without MFA for the integration.{said}",
                status=status,
            )
        if status in (401, 403) and "approve" in message.lower():
            return FishbowlAppNotApproved(
                f"Fishbowl has not approved the integration '{self.app_name}' (app id {self.app_id}). An "
                f"administrator must approve it in Fishbowl (Integrations), then try again.{said}",
                status=status,
            )
        if status == 401 and self.token is None:
            return FishbowlAuthError(
                f"Fishbowl refused the username or password of user '{self.username}' (HTTP 401). Check "
                f"FISHBOWL_USERNAME and FISHBOWL_PASSWORD.{said}",
                status=status,
            )
        if status in (401, 403):
            return FishbowlAuthError(
                f"Fishbowl refused to {action} (HTTP {status}): the session expired or user "
                f"'{self.username}' has no access.{said}",
                status=status,
            )
        return FishbowlRequestError(f"Fishbowl could not {action} (HTTP {status}).{said}", status=status)

    @staticmethod
    def _json(response: requests.Response, *, strict: bool = True) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            if not strict:
                return None
            raise FishbowlRequestError(
                f"Fishbowl answered HTTP {response.status_code} with something that is not JSON."
            ) from exc


def _url_without_credentials(url: str) -> tuple[str, tuple[str, ...]]:
    """``http://user:pw@host:8080/x`` → ``("http://host:8080/x", ("user:pw", "pw"))``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, ()
    userinfo, host = parts.netloc.rsplit("@", 1)
    secrets = (userinfo, unquote(userinfo), *(unquote(p) for p in userinfo.split(":", 1)[1:]))
    return urlunsplit(parts._replace(netloc=host)), tuple(s for s in secrets if s)


def fishbowl_client_from_settings(**overrides: Any) -> FishbowlClient:
    """A client configured from the ``FISHBOWL_*`` settings; raises ``ImproperlyConfigured`` naming a missing one."""
    from django.conf import settings

    for name in ("FISHBOWL_URL", "FISHBOWL_USERNAME", "FISHBOWL_PASSWORD", "FISHBOWL_APP_ID"):
        if not getattr(settings, name, ""):
            raise ImproperlyConfigured(
                f"{name} is not set: copperhub cannot talk to Fishbowl. Set it in the environment, or import "
                "the CSV exports with --customers/--orders instead."
            )
    options: dict[str, Any] = {
        "base_url": settings.FISHBOWL_URL,
        "username": settings.FISHBOWL_USERNAME,
        "password": settings.FISHBOWL_PASSWORD,
        "app_id": settings.FISHBOWL_APP_ID,
        "timeout": settings.FISHBOWL_TIMEOUT_SECONDS,
    }
    options.update(overrides)
    return FishbowlClient(**options)


def _pick(row: dict[str, Any], keys) -> dict[str, Any]:
    """Keep the expected keys (matched case-insensitively: MySQL may return an alias in another case)."""
    lowered = {str(key).lower(): value for key, value in row.items()}
    return {key: lowered.get(key) for key in keys}


def customer_rows(client: FishbowlClient) -> Iterator[dict[str, Any]]:
    for row in client.data_query_pages(CUSTOMERS_SQL):
        yield _pick(row, CUSTOMER_KEYS)


def order_line_rows(client: FishbowlClient, *, account_key: str = "id") -> Iterator[dict[str, Any]]:
    sql = ORDER_LINES_SQL.format(account_key=ACCOUNT_KEY_COLUMNS[account_key])
    for row in client.data_query_pages(sql):
        values = _pick(row, ORDER_LINE_KEYS)
        issued = values["date_issued"]
        if isinstance(issued, int | float) and not isinstance(issued, bool):
            # Some Fishbowl versions serialise dates as epoch milliseconds. [inferred]
            values["date_issued"] = datetime.fromtimestamp(issued / 1000, tz=UTC).date()
        yield values
