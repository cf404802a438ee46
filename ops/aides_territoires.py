"""A polite client of the aides-territoires API (``GET /api/aids/``), for the catalogue importer.

It asks for the schemes open to companies (``organization_type_slugs=private-sector``) in one
perimeter (the région's id), follows the ``next`` pages, and turns each result into a
:class:`RemoteAid` holding only the fields the importer compares. With an API token it first
exchanges it for a bearer token (``POST /api/connexion/`` with ``X-AUTH-TOKEN``); neither token
is ever logged. Each request has a timeout; 429 (honouring ``Retry-After``), 5xx answers and
network errors are retried a few times with a growing pause.

Usage::

    client = AidesTerritoiresClient(base_url="https://aides-territoires.beta.gouv.fr",
                                    token=None, timeout=10)
    remote = client.aids(perimeter="70955")          # list[RemoteAid], every page
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

__all__ = ["DEFAULT_URL", "AidesTerritoiresClient", "ImportFailed", "RemoteAid", "parse_aid"]

DEFAULT_URL = "https://aides-territoires.beta.gouv.fr"
USER_AGENT = "relocbot/0.1 (CCI Hauts-de-France; aid catalogue review)"
MAX_PAGES = 200          # 50 results a page: far more than a région publishes for companies
MAX_RETRY_AFTER = 60.0   # seconds; a longer Retry-After gives up instead
log = logging.getLogger(__name__)


class ImportFailed(RuntimeError):
    """The API could not be read (after the retries); the message names no token."""


@dataclass(frozen=True, slots=True)
class RemoteAid:
    """One scheme as aides-territoires publishes it (the compared fields only)."""

    id: str
    name: str
    url: str                 # its aides-territoires page, absolute
    origin_url: str | None   # the funder's own page
    financers: tuple[str, ...]
    perimeter: str | None
    aid_types: tuple[str, ...]
    start_date: dt.date | None
    deadline: dt.date | None
    rate_low: float | None
    rate_high: float | None
    is_live: bool | None     # absent from some versions of the API
    date_updated: str | None

    def ended(self, today: dt.date) -> bool:
        """Unpublished, or its submission deadline has passed."""
        return self.is_live is False or (self.deadline is not None and self.deadline < today)


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _rate(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _names(value: Any) -> tuple[str, ...]:
    """A list of names, or of ``{"name": ...}`` objects (both shapes exist)."""
    items = value if isinstance(value, list) else []
    return tuple(str(x["name"] if isinstance(x, dict) else x) for x in items
                 if (x.get("name") if isinstance(x, dict) else x))


def parse_aid(raw: dict[str, Any], *, base_url: str = DEFAULT_URL) -> RemoteAid:
    """One element of ``results``; its ``url`` (a path on the site) made absolute."""
    perimeter = raw.get("perimeter")
    if isinstance(perimeter, dict):
        perimeter = perimeter.get("name")
    live = raw.get("is_live")
    return RemoteAid(
        id=str(raw.get("slug") or raw.get("id")), name=str(raw.get("name") or "").strip(),
        url=urljoin(base_url.rstrip("/") + "/", str(raw.get("url") or "")),
        origin_url=raw.get("origin_url") or None, financers=_names(raw.get("financers")),
        perimeter=str(perimeter) if perimeter else None, aid_types=_names(raw.get("aid_types")),
        start_date=_date(raw.get("start_date")), deadline=_date(raw.get("submission_deadline")),
        rate_low=_rate(raw.get("subvention_rate_lower_bound")),
        rate_high=_rate(raw.get("subvention_rate_upper_bound")),
        is_live=live if isinstance(live, bool) else None,
        date_updated=raw.get("date_updated") or None)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


class AidesTerritoiresClient:
    def __init__(self, *, base_url: str = DEFAULT_URL, token: str | None = None,
                 timeout: float = 10.0, attempts: int = 4, backoff: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.attempts = max(attempts, 1)
        self.backoff = backoff
        self._token = token
        self._bearer: str | None = None
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout, transport=transport,
                                  headers={"User-Agent": USER_AGENT, "Accept": "application/json"})

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, retried on 429, 5xx and network errors; 4xx otherwise fail at once."""
        path = urlsplit(url).path
        problem = ""
        for attempt in range(self.attempts):
            pause = self.backoff * 2 ** attempt
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            else:
                if response.status_code < 400:
                    return response
                if response.status_code != 429 and response.status_code < 500:
                    raise ImportFailed(f"{method} {path}: HTTP {response.status_code}")
                problem = f"HTTP {response.status_code}"
                asked = _retry_after(response) if response.status_code == 429 else None
                if asked is not None:
                    if asked > MAX_RETRY_AFTER:
                        raise ImportFailed(f"{method} {path}: rate limited for {asked:.0f} s")
                    pause = asked
            if attempt + 1 < self.attempts:
                log.warning("aides-territoires %s %s: %s, retry in %.1f s", method, path,
                            problem, pause)
                self._sleep(pause)
        raise ImportFailed(f"{method} {path}: {problem} after {self.attempts} attempts")

    def _auth(self) -> dict[str, str]:
        if not self._token:
            return {}
        if self._bearer is None:
            response = self._request("POST", f"{self.base_url}/api/connexion/",
                                     headers={"X-AUTH-TOKEN": self._token})
            bearer = response.json().get("token")
            if not bearer:
                raise ImportFailed("POST /api/connexion/: no token in the answer")
            self._bearer = str(bearer)
        return {"Authorization": f"Bearer {self._bearer}"}

    def _same_site(self, link: str) -> str:
        """A ``next`` link, on our base URL (the token never goes to another host)."""
        parts = urlsplit(link)
        return f"{self.base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def aids(self, *, perimeter: str, audience: str = "private-sector") -> list[RemoteAid]:
        """Every scheme of the perimeter open to ``audience``, all pages followed."""
        url: str | None = f"{self.base_url}/api/aids/"
        params: dict[str, str] | None = {"organization_type_slugs": audience,
                                         "perimeter": perimeter}
        out: list[RemoteAid] = []
        for _ in range(MAX_PAGES):
            if url is None:
                return out
            data = self._request("GET", url, params=params, headers=self._auth()).json()
            out += [parse_aid(raw, base_url=self.base_url) for raw in data.get("results", [])
                    if isinstance(raw, dict)]
            url, params = (self._same_site(data["next"]) if data.get("next") else None), None
        raise ImportFailed(f"more than {MAX_PAGES} pages: stopped")
