"""The Copper developer API client: polite (paced, retrying) and typed in its failures.

Imports no models and reads settings only in ``copper_client_from_settings()``, so it can be used (and tested)
anywhere. One ``requests.Session`` carries Copper's four headers; every call has a total deadline (connect +
headers + body, ``copper.transport``), so a server that drip-feeds its answer cannot hold a call past it.

Pacing: the client asks a ``RequestLimiter`` (``copper.limiter``) before every request it sends. It is
injected: ``copper_client_from_settings`` passes the one shared by every copperhub process on the account
(database or Redis, ``copper.limiter_backends``); a client built with only ``rate_per_minute`` keeps a
sliding window of its own. A 429 that happens anyway (another integration spends the same limit) is retried
for at least ``retry_budget_seconds`` of waiting (longer than Copper's 60-second window), honouring
``Retry-After`` and otherwise backing off exponentially with jitter up to ``backoff_max``; 5xx answers,
connection errors and timeouts are retried ``max_retries`` times; other 4xx are not retried and raise a typed
error carrying Copper's own message.

Sleeping, the clock and the jitter source are injectable so tests never really sleep. The typed errors live
in ``copper.errors``, reading an answer in ``copper.responses``, the backoff arithmetic in ``copper.retry``,
the counters in ``copper.stats`` and the keyset walk in ``copper.keyset``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import requests

from copper.errors import (
    CopperConfigurationError,
    CopperError,
    CopperRateLimited,
    CopperServerError,
    CopperTimeout,
)
from copper.keyset import WalkInfo
from copper.keyset import companies_walk as keyset_walk
from copper.limiter import NoLimit, RequestLimiter, SlidingWindowLimiter
from copper.responses import client_error, decode_json, error_message, int_or_none
from copper.retry import RETRY_BUDGET_SECONDS, backoff_delay
from copper.stats import CopperStats, PageInfo
from copper.transport import DeadlineExceeded, deadline_session, send_with_deadline

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.copper.com/developer_api/v1"
PAGE_SIZE = 200
# Copper's documented cap: one search returns at most its first 100,000 records, whatever the paging.
SEARCH_CAP = 100_000
CONFIGURATION_MISSING = (
    "{setting} is not set: copperhub cannot talk to Copper. Set it in the environment (see the README) "
    "and start the pull again."
)


class CopperClient:
    """A Copper API client for one account (one key, one user email)."""

    def __init__(
        self,
        *,
        api_key: str,
        user_email: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        rate_per_minute: float | None = 175,
        limiter: RequestLimiter | None = None,
        max_retries: int = 5,
        retry_budget_seconds: float = RETRY_BUDGET_SECONDS,
        backoff_base: float = 1.0,
        backoff_max: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
    ) -> None:
        """``limiter`` wins over ``rate_per_minute`` (which builds a sliding window for this client alone;
        ``None``/``0``: no pacing). ``timeout`` is each call's total deadline."""
        if not api_key:
            raise CopperConfigurationError(CONFIGURATION_MISSING.format(setting="COPPER_API_KEY"))
        if not user_email:
            raise CopperConfigurationError(CONFIGURATION_MISSING.format(setting="COPPER_USER_EMAIL"))
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.retry_budget_seconds = float(retry_budget_seconds)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        if limiter is None:
            limiter = (
                SlidingWindowLimiter(int(rate_per_minute), clock=clock, sleep=sleep)
                if rate_per_minute
                else NoLimit()
            )
        self.limiter = limiter
        self.stats = CopperStats()
        self.last_page_info = PageInfo()
        self.last_walk: WalkInfo | None = None  # of the latest companies_walk
        self.session = session or deadline_session()
        self.session.headers.update(
            {
                "X-PW-AccessToken": api_key,
                "X-PW-Application": "developer_api",
                "X-PW-UserEmail": user_email,
                "Content-Type": "application/json",
            }
        )

    # --- transport ---------------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, body: Any = None) -> requests.Response:
        """Send one call (pacing, retrying) and return the successful response; raise a typed error otherwise.

        A GET never carries a body (Copper answers a GET with a body with an HTML 400 page).
        """
        url = f"{self.base_url}/{path.lstrip('/')}"
        data = None if method == "GET" or body is None else json.dumps(body)
        attempt = 0  # retries of 5xx / no answer
        limited = 0  # 429s answered to this call
        limited_waited = 0.0
        while True:
            self.stats.paced_seconds += self.limiter.acquire()
            started = self.clock()
            if self.stats.first_request_at is None:
                self.stats.first_request_at = started
            self.stats.last_request_at = started
            self.stats.requests += 1
            try:
                response = send_with_deadline(self.session, method, url, data=data, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                self.stats.http_seconds += self.clock() - started
                self.stats.connection_errors += 1
                if attempt >= self.max_retries:
                    where = f"{method} /{path.lstrip('/')}"
                    if isinstance(exc, requests.Timeout):
                        why = (
                            "in time" if isinstance(exc, DeadlineExceeded) else "before the socket timed out"
                        )
                        raise CopperTimeout(
                            f"Copper did not answer {where} {why} ({self.timeout:g} s per call) after "
                            f"{attempt + 1} attempts: {exc}"
                        ) from exc
                    raise CopperServerError(
                        f"Copper did not answer {where} after {attempt + 1} attempts: {exc}"
                    ) from exc
                self._backoff(attempt, None)
                attempt += 1
                continue
            self.stats.http_seconds += self.clock() - started
            status = response.status_code
            if status < 400:
                return response
            if status == 429:
                self.stats.rate_limited += 1
                limited += 1
                if limited_waited >= self.retry_budget_seconds:
                    raise CopperRateLimited(
                        f"Copper kept answering 429 (rate limited) to {method} /{path.lstrip('/')} "
                        f"for {limited_waited:.0f} s ({limited} attempts).",
                        status=status,
                    )
                limited_waited += self._backoff(limited - 1, response.headers.get("Retry-After"))
                continue
            if status >= 500:
                self.stats.server_errors += 1
                if attempt >= self.max_retries:
                    raise CopperServerError(
                        f"Copper answered {status} to {method} /{path.lstrip('/')} after {attempt + 1} "
                        f"attempts: {error_message(response)}",
                        status=status,
                    )
                self._backoff(attempt, None)
                attempt += 1
                continue
            raise client_error(method, path, response)

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        delay = backoff_delay(
            attempt, retry_after, base=self.backoff_base, maximum=self.backoff_max, rng=self.rng
        )
        self.stats.retries += 1
        self.stats.backoff_seconds += delay
        logger.info("Copper: retrying in %.2fs (attempt %d)", delay, attempt + 1)
        self.sleep(delay)
        return delay

    def _json(self, method: str, path: str, *, body: Any = None) -> Any:
        return decode_json(method, path, self.request(method, path, body=body))

    # --- calls -------------------------------------------------------------------------------------------
    def account(self) -> dict[str, Any]:
        """``GET /account``: a cheap credentials check (``{id, name}``)."""
        return self._json("GET", "/account")

    def users(self) -> list[dict[str, Any]]:
        """Every user the key may see (``POST /users/search``, paged by 200)."""
        users: list[dict[str, Any]] = []
        seen: set[int] = set()
        page = 1
        while True:
            rows = self._json("POST", "/users/search", body={"page_size": PAGE_SIZE, "page_number": page})
            for row in rows:
                if row.get("id") not in seen:
                    seen.add(row.get("id"))
                    users.append(row)
            if len(rows) < PAGE_SIZE:
                return users
            page += 1

    def custom_field_definitions(self) -> list[dict[str, Any]]:
        """``GET /custom_field_definitions``: every definition, as Copper returns them."""
        return self._json("GET", "/custom_field_definitions")

    def companies_search(
        self,
        body: dict[str, Any] | None = None,
        *,
        page_size: int = PAGE_SIZE,
        on_total: Callable[[int | None], None] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of ``POST /companies/search`` by page number (rows de-duplicated by id across pages).

        Offset paging: a row edited meanwhile shifts the rest back one (one row skipped), and nothing past
        Copper's 100,000-row cap comes back. For a filtered look-up of a few pages; the pull uses
        ``companies_walk``.

        ``body`` holds the filters; paging keys are set here. The sort defaults to ``date_modified asc``
        (Copper sorts by one field; rows may shift between pages, hence the de-duplication). Stops on a
        short or empty page. ``X-PW-TOTAL`` of the first page (an upper bound) goes to ``on_total`` and to
        ``last_page_info.total_estimate``; it is never used to stop.
        """
        query = {"sort_by": "date_modified", "sort_direction": "asc", **(body or {})}
        query["page_size"] = page_size
        info = self.last_page_info = PageInfo()
        seen: set[int] = set()
        page_number = 1
        while True:
            query["page_number"] = page_number
            response = self.request("POST", "/companies/search", body=query)
            rows = decode_json("POST", "/companies/search", response)
            if page_number == 1:
                info.total_estimate = int_or_none(response.headers.get("X-PW-TOTAL"))
                if on_total is not None:
                    on_total(info.total_estimate)
            info.pages += 1
            fresh = []
            for row in rows:
                row_id = row["id"]
                if row_id in seen:
                    info.duplicates += 1
                    continue
                seen.add(row_id)
                fresh.append(row)
            info.rows += len(fresh)
            if rows and not fresh and len(rows) >= page_size:
                raise CopperError(
                    f"Copper returned page {page_number} of a company search with only rows already seen; "
                    "stopping rather than looping."
                )
            if fresh:
                yield fresh
            if len(rows) < page_size:
                return
            page_number += 1

    def companies_walk(
        self,
        filters: dict[str, Any] | None = None,
        *,
        minimum_modified: int | None = None,
        maximum_modified: int | None = None,
        page_size: int = PAGE_SIZE,
        search_cap: int = SEARCH_CAP,
        on_total: Callable[[int | None], None] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of companies by keyset windows over ``(date_modified, id)`` (see ``copper.keyset``).

        The pull's walk: no edit during it hides a company, no search asks past ``search_cap`` rows.
        ``self.last_walk`` tells afterwards whether every window was covered.
        """
        return keyset_walk(
            self,
            filters,
            minimum_modified=minimum_modified,
            maximum_modified=maximum_modified,
            page_size=page_size,
            search_cap=search_cap,
            on_total=on_total,
        )

    def company_get(self, company_id: int) -> dict[str, Any]:
        """``GET /companies/{id}``; raises ``CopperNotFound`` for an unknown id."""
        return self._json("GET", f"/companies/{int(company_id)}")

    def company_update(self, company_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT /companies/{id}``: partial update of the top-level keys sent; returns the updated company."""
        return self._json("PUT", f"/companies/{int(company_id)}", body=body)

    def companies_by_ids(
        self, ids: Iterable[int], *, batch_size: int = PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Re-read companies by id, ``batch_size`` (≤ 200) per search; ids Copper lacks are skipped."""
        batch: list[int] = []
        for company_id in ids:
            batch.append(int(company_id))
            if len(batch) >= batch_size:
                yield from self._companies_batch(batch)
                batch = []
        if batch:
            yield from self._companies_batch(batch)

    def _companies_batch(self, ids: list[int]) -> list[dict[str, Any]]:
        # At most 200 ids, so one page holds every match: no second request to confirm the end.
        body = {"ids": ids, "page_size": PAGE_SIZE, "page_number": 1, "sort_by": "date_modified"}
        return self._json("POST", "/companies/search", body=body)

    # --- webhooks ----------------------------------------------------------------------------------------
    def webhooks_list(self) -> list[dict[str, Any]]:
        """``GET /webhooks``: every subscription of the account (``{id, target, type, event, ...}``)."""
        return self._json("GET", "/webhooks")

    def webhook_create(
        self,
        *,
        target: str,
        type: str,  # noqa: A002 - Copper's own name for it
        event: str,
        secret: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """``POST /webhooks``: subscribe ``target`` to ``type``/``event``; ``secret`` pairs are echoed in each
        notification, ``headers`` sent with it. Returns the subscription (with its ``id``)."""
        body: dict[str, Any] = {"target": target, "type": type, "event": event}
        if secret:
            body["secret"] = secret
        if headers:
            body["headers"] = headers
        return self._json("POST", "/webhooks", body=body)

    def webhook_delete(self, subscription_id: int) -> dict[str, Any]:
        """``DELETE /webhooks/{id}``; raises ``CopperNotFound`` for an unknown id."""
        return self._json("DELETE", f"/webhooks/{int(subscription_id)}")


def copper_client_from_settings(**overrides: Any) -> CopperClient:
    """A client configured from the ``COPPER_*`` settings; ``overrides`` replace constructor arguments.

    Raises ``CopperConfigurationError`` naming the missing setting.
    """
    from django.conf import settings

    for name in ("COPPER_API_KEY", "COPPER_USER_EMAIL"):
        if not getattr(settings, name, ""):
            raise CopperConfigurationError(CONFIGURATION_MISSING.format(setting=name))
    options: dict[str, Any] = {
        "api_key": settings.COPPER_API_KEY,
        "user_email": settings.COPPER_USER_EMAIL,
        "base_url": getattr(settings, "COPPER_BASE_URL", DEFAULT_BASE_URL),
        "timeout": getattr(settings, "COPPER_TIMEOUT_SECONDS", 30.0),
        "max_retries": getattr(settings, "COPPER_MAX_RETRIES", 5),
        "retry_budget_seconds": getattr(settings, "COPPER_RETRY_BUDGET_SECONDS", RETRY_BUDGET_SECONDS),
        "backoff_base": getattr(settings, "COPPER_BACKOFF_SECONDS", 1.0),
    }
    options.update(overrides)
    if "limiter" not in options and "rate_per_minute" not in options:
        # The limiter every copperhub process on this account shares (its module may import models; this
        # one does not, hence the late import).
        from copper.limiter_backends import shared_limiter_from_settings  # why: no models at load

        options["limiter"] = shared_limiter_from_settings(
            account=f"{options['base_url']}|{options['user_email']}"
        )
    return CopperClient(**options)
