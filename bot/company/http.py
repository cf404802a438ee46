"""The companies register over HTTP: the State's API Recherche d'entreprises
(``GET /search?q=<siren>``, public, no key, 7 requests/s per IP).

Never in the way of a conversation: one lookup (429 retries and pacing included) answers
within ``timeout`` seconds or gives up; a network failure, a timeout or a server error pauses
lookups for ``pause_seconds`` (a machine without network pays the timeout once, not on every
lead); answers are cached in memory (bounded, with a time to live). Every failure is one log
line without the SIREN or the company.

Usage::

    lookup = HttpCompanyLookup(base_url="https://recherche-entreprises.api.gouv.fr", timeout=2)
    company = await lookup.lookup(siren="732829320")    # Company, or None
    lookup = HttpCompanyLookup.from_settings(settings)
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx

from bot.company.model import Company
from bot.settings import Settings

__all__ = ["DEFAULT_URL", "HttpCompanyLookup", "retry_after_seconds"]

DEFAULT_URL = "https://recherche-entreprises.api.gouv.fr"
USER_AGENT = "relocbot/0.1 (CCI Hauts-de-France)"
log = logging.getLogger(__name__)


class _Unavailable(Exception):
    """The register answered with a server error: treated like a network failure."""


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A ``Retry-After`` header in seconds: delta-seconds or an HTTP date; None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class _TTLCache:
    """At most ``size`` answers (``None`` = not found included), each for ``seconds``."""

    def __init__(self, *, size: int, seconds: float, clock: Callable[[], float]) -> None:
        self.size, self.seconds, self.clock = size, seconds, clock
        self._items: OrderedDict[str, tuple[float, Company | None]] = OrderedDict()

    def get(self, key: str) -> tuple[bool, Company | None]:
        item = self._items.get(key)
        if item is None or item[0] <= self.clock():
            self._items.pop(key, None)
            return False, None
        self._items.move_to_end(key)
        return True, item[1]

    def put(self, key: str, value: Company | None) -> None:
        if self.size <= 0 or self.seconds <= 0:
            return
        self._items[key] = (self.clock() + self.seconds, value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class HttpCompanyLookup:
    """``CompanyLookup`` on the API Recherche d'entreprises (httpx)."""

    def __init__(self, *, base_url: str = DEFAULT_URL, timeout: float = 2.0,
                 per_second: float = 5.0, pause_seconds: float = 300.0,
                 cache_seconds: float = 86_400.0, cache_size: int = 1024,
                 max_attempts: int = 3, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = base_url.rstrip("/") + "/search"
        self.timeout = timeout
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.pause_seconds = pause_seconds
        self.max_attempts = max(1, max_attempts)
        self.transport = transport
        self.clock = clock
        self.cache = _TTLCache(size=cache_size, seconds=cache_seconds, clock=clock)
        self.paused_until = 0.0
        self.requests = 0          # HTTP requests sent (tests, metrics)
        self._next_slot = 0.0
        self._ssl: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpCompanyLookup:
        return cls(base_url=settings.company_api_url, timeout=settings.company_api_timeout_seconds,
                   per_second=settings.company_api_per_second,
                   pause_seconds=settings.company_lookup_pause_seconds,
                   cache_seconds=settings.company_cache_seconds)

    @property
    def paused(self) -> bool:
        return self.clock() < self.paused_until

    async def lookup(self, *, siren: str) -> Company | None:
        if len(siren) != 9 or not siren.isdigit():
            return None
        hit, cached = self.cache.get(siren)
        if hit:
            return cached
        if self.paused:
            return None
        started = self.clock()
        try:
            async with asyncio.timeout(self.timeout):
                found, final = await self._fetch(siren, deadline=started + self.timeout)
        except (TimeoutError, httpx.TransportError, _Unavailable) as exc:
            self._pause(type(exc).__name__)
            return None
        except (ValueError, TypeError, AttributeError) as exc:   # not the JSON we know
            log.warning("company lookup: unreadable answer (%s)", type(exc).__name__)
            return None
        if final:
            self.cache.put(siren, found)
        return found

    def _pause(self, reason: str) -> None:
        self.paused_until = self.clock() + self.pause_seconds
        log.warning("company lookup unavailable (%s); lookups paused for %.0f s", reason,
                    self.pause_seconds)

    async def _pace(self) -> None:
        """At most ``per_second`` requests from this process (the API allows 7 per IP)."""
        if not self.interval:
            return
        now = self.clock()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def _client(self) -> httpx.AsyncClient:
        verify: ssl.SSLContext | bool = True
        if self.transport is None and self.url.startswith("https:"):
            if self._ssl is None:
                self._ssl = httpx.create_ssl_context()
            verify = self._ssl
        return httpx.AsyncClient(timeout=self.timeout, transport=self.transport, verify=verify,
                                 headers={"User-Agent": USER_AGENT,
                                          "Accept": "application/json"})

    async def _fetch(self, siren: str, *, deadline: float) -> tuple[Company | None, bool]:
        """(the company or None, whether that answer is final and may be cached)."""
        async with self._client() as client:
            for attempt in range(1, self.max_attempts + 1):
                await self._pace()
                self.requests += 1
                response = await client.get(self.url, params={"q": siren, "page": 1,
                                                              "per_page": 5})
                if response.status_code == 429:
                    delay = retry_after_seconds(response.headers.get("Retry-After"))
                    wait = self.interval if delay is None else delay
                    if attempt == self.max_attempts or self.clock() + wait >= deadline:
                        self.paused_until = max(self.paused_until, self.clock() + wait)
                        log.warning("company lookup rate-limited; next try in %.1f s", wait)
                        return None, False
                    await asyncio.sleep(wait)
                    continue
                if response.status_code >= 500:
                    raise _Unavailable(f"HTTP {response.status_code}")
                if response.status_code != 200:
                    log.warning("company lookup: HTTP %d", response.status_code)
                    return None, False
                return _match(response.json(), siren), True
        return None, False


def _match(data: Any, siren: str) -> Company | None:
    """The result with exactly this SIREN (a full-text search may return neighbours)."""
    results = data.get("results") if isinstance(data, dict) else None
    for result in results if isinstance(results, list) else []:
        if isinstance(result, dict) and str(result.get("siren")) == siren:
            return Company.from_api(result)
    return None
