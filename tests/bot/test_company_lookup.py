"""The companies register client (API Recherche d'entreprises) against the local fake: parsing
of recorded answers, cache, 429 and Retry-After, timeout, pause after a failure, off switch."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.company import Company, HttpCompanyLookup, build_company_lookup, display_commune
from bot.company.http import retry_after_seconds
from bot.company.model import siren_in
from bot.company.naf import BANDS, finder_sector, is_intermediary, size_of_band
from bot.i18n import Catalog
from bot.settings import Settings
from ops.fakes.company_api import FakeCompanyAPI

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "recherche_entreprises"
DUPONT, CLOSED, CONSULTANCY, UNKNOWN = "812345676", "843219874", "901122333", "523456788"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeCompanyAPI]:
    server = FakeCompanyAPI.load(FIXTURES)
    await server.start()
    yield server
    await server.stop()


def client(fake: FakeCompanyAPI, **kwargs: object) -> HttpCompanyLookup:
    options: dict[str, object] = {"timeout": 1.0, "per_second": 0}
    options.update(kwargs)
    return HttpCompanyLookup(base_url=fake.base_url, **options)  # type: ignore[arg-type]


async def test_recorded_answers_are_read_with_their_real_fields(fake: FakeCompanyAPI) -> None:
    lookup = client(fake)
    dupont = await lookup.lookup(siren=DUPONT)
    assert dupont == Company(siren=DUPONT, name="ATELIERS DUPONT", naf="25.62A", naf25="25.62Y",
                             headcount_band="12", commune_code="59392", commune="MAUBEUGE",
                             postal_code="59600", epci="200043396", state="A")
    assert (dupont.size, dupont.department, dupont.place, dupont.flags) == (
        "PME", "59", "59600 Maubeuge", ())
    closed = await lookup.lookup(siren=CLOSED)
    assert closed is not None
    assert closed.closed
    assert closed.naf25 is None
    assert closed.headcount_band is None
    assert closed.size is None
    assert closed.flags == ("closed",)
    consultancy = await lookup.lookup(siren=CONSULTANCY)
    assert consultancy is not None
    assert consultancy.flags == ("intermediary",)
    assert await lookup.lookup(siren=UNKNOWN) is None
    assert fake.requests[0] == {"q": DUPONT, "page": "1", "per_page": "5"}
    assert Company.from_dict(dupont.to_dict()) == dupont


def test_siren_and_siret_are_found_in_what_people_type() -> None:
    assert siren_in("812 345 676") == DUPONT
    assert siren_in("notre SIRET : 812 345 676 00017") == DUPONT
    assert siren_in("81234567600017") == DUPONT
    assert siren_in("812.345.676") == DUPONT
    assert siren_in("812 345 677") is None                     # check digit wrong
    assert siren_in("81234567600018") is None                  # SIRET check digit wrong
    assert siren_in("40 salariés à Maubeuge (59600)") is None
    assert display_commune("SAINT-AMAND-LES-EAUX") == "Saint-Amand-les-Eaux"
    assert display_commune("VILLENEUVE-D'ASCQ") == "Villeneuve-d'Ascq"


async def test_answers_are_cached_for_a_while_and_the_cache_is_bounded(
        fake: FakeCompanyAPI) -> None:
    clock = Clock()
    lookup = client(fake, clock=clock, cache_seconds=60, cache_size=2)
    for _ in range(3):
        assert (await lookup.lookup(siren=DUPONT)) is not None
    assert await lookup.lookup(siren=UNKNOWN) is None
    assert await lookup.lookup(siren=UNKNOWN) is None              # "not found" is cached too
    assert len(fake.requests) == 2
    clock.now += 61
    await lookup.lookup(siren=DUPONT)
    assert len(fake.requests) == 3                                  # expired: asked again
    await lookup.lookup(siren=CLOSED)
    await lookup.lookup(siren=CONSULTANCY)                          # evicts the oldest
    assert len(lookup.cache) == 2
    await lookup.lookup(siren=DUPONT)
    assert len(fake.requests) == 6


async def test_a_429_is_retried_after_retry_after(fake: FakeCompanyAPI) -> None:
    fake.rate_limit(times=1, retry_after="1")
    lookup = client(fake, timeout=3.0)
    started = time.perf_counter()
    company = await lookup.lookup(siren=DUPONT)
    assert company is not None
    assert company.name == "ATELIERS DUPONT"
    assert time.perf_counter() - started >= 0.95
    assert len(fake.requests) == 2
    assert not lookup.paused


async def test_a_429_longer_than_the_timeout_gives_up_at_once_and_honours_it(
        fake: FakeCompanyAPI) -> None:
    fake.rate_limit(times=1, retry_after="30")
    lookup = client(fake, timeout=1.0)
    started = time.perf_counter()
    assert await lookup.lookup(siren=DUPONT) is None
    assert time.perf_counter() - started < 0.9                     # no 30 s wait
    assert lookup.paused                                            # nor a request before 30 s
    assert await lookup.lookup(siren=DUPONT) is None
    assert len(fake.requests) == 1


async def test_retries_on_429_are_bounded(fake: FakeCompanyAPI) -> None:
    fake.rate_limit(times=10, retry_after="0")
    lookup = client(fake, timeout=2.0, max_attempts=3)
    assert await lookup.lookup(siren=DUPONT) is None
    assert len(fake.requests) == 3


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("2") == 2.0
    now = time.time()
    assert retry_after_seconds(email.utils.formatdate(now + 10, usegmt=True), now=now) == \
        pytest.approx(10, abs=1)
    assert retry_after_seconds("tomorrow") is None
    assert retry_after_seconds(None) is None


async def test_a_hanging_api_costs_the_timeout_once_then_lookups_pause(
        fake: FakeCompanyAPI, caplog: pytest.LogCaptureFixture) -> None:
    fake.delay = 10.0
    clock = Clock()
    # a timeout far below the hang, far above a loaded machine's answer time
    lookup = client(fake, timeout=2.0, pause_seconds=300, clock=clock)
    caplog.set_level(logging.WARNING, logger="bot.company")
    assert await lookup.lookup(siren=DUPONT) is None                 # the one timeout paid
    assert len(fake.requests) == 1
    assert await lookup.lookup(siren=CLOSED) is None               # paused: no request at all
    assert len(fake.requests) == 1
    fake.delay = 0.0
    clock.now += 301                                                # the pause is over
    assert await lookup.lookup(siren=DUPONT) is not None
    assert len(fake.requests) == 2
    assert "TimeoutError" in caplog.text                            # one line, no SIREN
    assert DUPONT not in caplog.text
    assert "ATELIERS" not in caplog.text


async def test_no_network_and_server_errors_pause_lookups(fake: FakeCompanyAPI) -> None:
    closed_port = FakeCompanyAPI()
    url = await closed_port.start()
    await closed_port.stop()                                        # nothing listens there
    lookup = HttpCompanyLookup(base_url=url, timeout=1.0, per_second=0)
    started = time.perf_counter()
    assert await lookup.lookup(siren=DUPONT) is None
    assert time.perf_counter() - started < 1.5
    assert lookup.paused
    fake.status = 503
    failing = client(fake)
    assert await failing.lookup(siren=DUPONT) is None
    assert failing.paused
    assert await failing.lookup(siren=DUPONT) is None
    assert len(fake.requests) == 1


async def test_requests_are_paced_under_the_api_limit(fake: FakeCompanyAPI) -> None:
    lookup = client(fake, per_second=10, timeout=3.0)
    started = time.perf_counter()
    for siren in (DUPONT, CLOSED, CONSULTANCY, UNKNOWN):
        await lookup.lookup(siren=siren)
    assert time.perf_counter() - started >= 0.29                    # 3 intervals of 0.1 s


def test_the_switch_and_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELOCBOT_COMPANY_LOOKUP", "off")
    assert build_company_lookup(Settings(_env_file=None)) is None
    monkeypatch.setenv("RELOCBOT_COMPANY_LOOKUP", "on")
    monkeypatch.setenv("RELOCBOT_COMPANY_API_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("RELOCBOT_COMPANY_API_TIMEOUT_SECONDS", "1.5")
    built = build_company_lookup(Settings(_env_file=None))
    assert isinstance(built, HttpCompanyLookup)
    assert (built.url, built.timeout) == ("http://127.0.0.1:9/search", 1.5)
    for name in ("RELOCBOT_COMPANY_LOOKUP", "RELOCBOT_COMPANY_API_URL",
                 "RELOCBOT_COMPANY_API_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name)
    default = Settings(_env_file=None)
    assert default.company_lookup is True                           # on, and harmless offline
    assert default.company_api_url == "https://recherche-entreprises.api.gouv.fr"
    assert default.company_api_timeout_seconds == 2.0


async def test_a_malformed_siren_is_never_sent(fake: FakeCompanyAPI) -> None:
    lookup = client(fake)
    assert await lookup.lookup(siren="12") is None
    assert await lookup.lookup(siren="abcdefghi") is None
    assert fake.requests == []


def test_codes_have_labels_in_both_languages_and_meanings(catalog: Catalog) -> None:
    for lang in ("fr", "en"):
        assert all(catalog.label("company_band", band, lang) != band for band in BANDS)
        divisions = [f"{n:02d}" for n in range(1, 100)]
        named = [d for d in divisions if catalog.label("naf_division", d, lang) != d]
        assert len(named) == 88                                     # the NAF rév. 2 divisions
    assert [size_of_band(b) for b in ("03", "11", "31", "32", "51", "52", None)] == [
        "TPE", "PME", "PME", "ETI", "ETI", "GE", None]
    assert is_intermediary("69.20Z", None)
    assert is_intermediary(None, "70.20Y")
    assert not is_intermediary("25.62A", "70.20Y")                  # NAF rév. 2 first
    assert finder_sector("27.51Z", None) == "electromenager"
    assert finder_sector("14.13Z", None) == "textile"
    assert finder_sector("62.01Z", None) is None
