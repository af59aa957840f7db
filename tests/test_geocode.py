"""Online place search against a local fake Nominatim: never the internet.

Every server is new, on a free port, so every config (and its shared rate limiter and cache)
is new too: tests do not share state through the module's registry.

Nothing here measures real time: the rate limit, the deadline and the back-off run on a
`FakeClock`, so a loaded machine cannot make a test fail or pass by luck.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from geopy import exc as geopy_exc

from geo.errors import DataError, GeoError
from geo.geocode import (
    MAX_QUERY_CHARS,
    OSM_ATTRIBUTION,
    SYSTEM_CLOCK,
    Clock,
    GeocoderConfig,
    GeocodingBadResponse,
    GeocodingConfigError,
    GeocodingError,
    GeocodingQueryRejected,
    GeocodingQuotaExceeded,
    GeocodingRateLimited,
    GeocodingRefused,
    GeocodingTimedOut,
    GeocodingUnavailable,
    OnlineGeocoder,
    attribution,
)
from tests.fake_nominatim import Behaviour, FakeNominatim, closed_port

AGENT = "geo-evidence-explorer-tests/0.1 (+https://example.invalid/tests)"
TIMEOUT = 0.5
STILL_WORKS = "offline place search still works"


class FakeClock:
    """Time that passes only when the code sleeps or stops waiting: no test measures time.

    `wait` waits for the request under way however long it takes (it always ends: the
    socket timeout is real), unless `deadline_passes` is set: then it gives up at once and
    moves time on by the whole timeout, as a request slower than the deadline would.
    """

    def __init__(self) -> None:
        self.time = 0.0
        self.sleeps: list[float] = []
        self.deadline_passes = False
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self.time

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.time += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.time += seconds

    def wait(self, event: threading.Event, timeout: float) -> bool:
        if self.deadline_passes and not event.is_set():
            self.advance(timeout)
            return False
        # a real bound: a regression must fail the test, not hang the suite
        assert event.wait(60), "the request never finished"
        return True


def config_for(host: str, **overrides: Any) -> GeocoderConfig:
    settings: dict[str, Any] = {
        "user_agent": AGENT,
        "domain": host,
        "scheme": "http",
        "timeout": TIMEOUT,
        "min_delay_seconds": 0.0,
        # Whatever HTTP_PROXY says on the test machine, 127.0.0.1 is reached directly.
        "options": {"proxies": {}},
    }
    settings.update(overrides)
    return GeocoderConfig(**settings)


@pytest.fixture
def server() -> Iterator[FakeNominatim]:
    with FakeNominatim() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def geocoder_for(
    server: FakeNominatim, *, clock: Clock = SYSTEM_CLOCK, **overrides: Any
) -> OnlineGeocoder:
    return OnlineGeocoder(config_for(server.domain, **overrides), clock=clock)


# -- what is sent and what comes back -----------------------------------------------------


def test_search_sends_our_request_and_returns_candidates(server: FakeNominatim) -> None:
    geocoder = geocoder_for(server)

    found = geocoder.search("  Saydnaya \t prison ", limit=3)

    assert server.count == 1
    seen = server.requests[0]
    assert seen.path == "/search"
    assert seen.headers["User-Agent"] == AGENT
    assert seen.params == {"q": ["Saydnaya prison"], "format": ["json"], "limit": ["3"]}

    assert [c.name for c in found] == [
        "Saydnaya Prison, Saydnaya, Rif Dimashq, Syria",
        "Saydnaya, Rif Dimashq, Syria",
    ]
    prison = found[0]
    assert (prison.lat, prison.lon) == (33.6946, 36.3606)
    assert (prison.category, prison.kind) == ("amenity", "prison")
    assert prison.importance == 0.31
    assert found[1].importance == 0.45  # Nominatim sometimes sends numbers as strings
    assert (prison.osm_type, prison.osm_id) == ("way", 123456789)
    assert prison.source == f"Nominatim at {server.domain} (OpenStreetMap), way 123456789"
    assert prison.url == "https://www.openstreetmap.org/way/123456789"
    assert prison.bbox == (36.3550, 33.6903, 36.3660, 33.6990)
    assert OSM_ATTRIBUTION in prison.attribution


def test_repeated_query_is_served_from_the_cache(server: FakeNominatim) -> None:
    geocoder = geocoder_for(server)

    first = geocoder.search("Saydnaya prison")
    again = geocoder.search("saydnaya   PRISON")
    from_another_instance = geocoder_for(server).search("Saydnaya prison")

    assert server.count == 1
    assert first == again == from_another_instance
    geocoder.search("Saydnaya prison", limit=2)  # another limit is another question
    assert server.count == 2


def test_a_config_that_differs_does_not_share_the_cache(server: FakeNominatim) -> None:
    geocoder_for(server).search("Saydnaya")
    geocoder_for(server, timeout=0.6).search("Saydnaya")
    assert server.count == 2


def test_concurrent_identical_searches_send_one_request(
    server: FakeNominatim, clock: FakeClock
) -> None:
    server.behaviour = Behaviour(delay=0.3)
    geocoder = geocoder_for(server, clock=clock, timeout=2.0)
    results: list[list[Any]] = []

    def search() -> None:
        results.append(geocoder.search("Saydnaya"))

    threads = [threading.Thread(target=search) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert server.count == 1
    assert len(results) == 3 and results[0] and results[0] == results[1] == results[2]


def test_empty_query_sends_nothing(server: FakeNominatim) -> None:
    geocoder = geocoder_for(server)
    assert geocoder.search("") == []
    assert geocoder.search(" \t\n ") == []
    assert server.count == 0


def test_no_result_is_an_empty_list(server: FakeNominatim) -> None:
    server.behaviour = Behaviour(results=[])
    assert geocoder_for(server).search("nowhere at all") == []


def test_query_length_limit(server: FakeNominatim) -> None:
    geocoder = geocoder_for(server)
    with pytest.raises(DataError, match=f"at most {MAX_QUERY_CHARS}"):
        geocoder.search("a" * (MAX_QUERY_CHARS + 1))
    assert server.count == 0
    geocoder.search("a" * MAX_QUERY_CHARS)
    assert server.count == 1


@pytest.mark.parametrize("limit", [0, 41, -1, True, 2.0])
def test_bad_limit_is_refused(server: FakeNominatim, limit: Any) -> None:
    with pytest.raises(DataError, match="number of results"):
        geocoder_for(server).search("Saydnaya", limit=limit)
    assert server.count == 0


def test_results_without_coordinates_are_left_out(server: FakeNominatim) -> None:
    # geopy would place a result without lat/lon at 0, 0.
    server.behaviour = Behaviour(
        results=[
            {"display_name": "No coordinates", "osm_type": "node", "osm_id": 1},
            {"display_name": "Fine", "lat": "33.5", "lon": "36.3", "osm_id": "x"},
        ]
    )
    found = geocoder_for(server).search("Saydnaya")
    assert [(c.name, c.lat, c.lon) for c in found] == [("Fine", 33.5, 36.3)]
    only = found[0]
    assert only.category is None and only.kind is None and only.importance is None
    assert only.osm_id is None and only.url is None and only.bbox is None


def test_attribution() -> None:
    text = attribution(GeocoderConfig(user_agent=AGENT))
    assert "nominatim.openstreetmap.org" in text
    assert "© OpenStreetMap contributors" in text and "ODbL" in text


# -- the shared rate limiter --------------------------------------------------------------


def test_queries_in_a_row_wait_for_the_minimum_delay(
    server: FakeNominatim, clock: FakeClock
) -> None:
    geocoder = geocoder_for(server, clock=clock, min_delay_seconds=1.0)
    for query in ("Saydnaya", "Damascus", "Sednaya"):
        geocoder.search(query)
    assert server.count == 3
    # the first goes at once; each of the others waits a whole second after the one before
    assert clock.sleeps == [1.0, 1.0]
    assert clock.now() == 2.0


def test_threads_with_equal_configs_share_one_rate_limiter(
    server: FakeNominatim, clock: FakeClock
) -> None:
    # Two configs built apart but equal, as the app and the CLI would build them.
    first = geocoder_for(server, clock=clock, min_delay_seconds=1.0)
    second = geocoder_for(server, clock=clock, min_delay_seconds=1.0)
    assert first.config == second.config and first.config is not second.config
    failures: list[BaseException] = []

    def run(geocoder: OnlineGeocoder, name: str) -> None:
        try:
            for n in range(2):
                geocoder.search(f"{name} {n}")
        except BaseException as exc:
            failures.append(exc)

    threads = [
        threading.Thread(target=run, args=(first, "a")),
        threading.Thread(target=run, args=(second, "b")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures
    assert server.count == 4
    # One limiter lets the four requests through a second apart: three seconds at least.
    # A limiter each would have let both threads' requests through in two.
    assert clock.now() >= 3.0


# -- failures: the right error, a clear message, in bounded time ---------------------------


def failing_search(
    geocoder: OnlineGeocoder, query: str = "Saydnaya", *, chained: bool = True
) -> GeocodingError:
    """The search's error; anything but a GeocodingError fails the test by escaping."""
    with pytest.raises(GeocodingError) as caught:
        geocoder.search(query)
    error = caught.value
    assert isinstance(error, GeoError)
    assert STILL_WORKS in str(error).lower()
    assert (error.__cause__ is not None) is chained
    return error


@pytest.mark.parametrize(
    ("status", "expected", "words"),
    [
        (500, GeocodingUnavailable, "HTTP 500"),
        (502, GeocodingUnavailable, "HTTP 502"),
        # geopy calls a 503 a timeout; the user should read "down or overloaded".
        (503, GeocodingUnavailable, "HTTP 503"),
        (403, GeocodingRefused, "refused the request (HTTP 403)"),
        (401, GeocodingRefused, "HTTP 401"),
        (402, GeocodingQuotaExceeded, "quota"),
        (400, GeocodingQueryRejected, "did not accept this search (HTTP 400)"),
        (404, GeocodingError, "HTTP 404"),
        (408, GeocodingTimedOut, "timed out after 0.5 s"),
    ],
)
def test_http_errors(
    server: FakeNominatim,
    clock: FakeClock,
    status: int,
    expected: type[GeocodingError],
    words: str,
) -> None:
    server.behaviour = Behaviour(
        kind="status", status=status, body=b"<html><body>Access blocked</body></html>"
    )
    error = failing_search(geocoder_for(server, clock=clock))
    # at once: geopy's retry would have slept error_wait_seconds and asked again
    assert clock.sleeps == [] and clock.now() == 0
    assert type(error) is expected
    assert words in str(error)
    assert server.domain in str(error)
    assert "<html" not in str(error)  # the server's page stays in the chained cause
    assert error.status == status
    assert isinstance(error.__cause__, geopy_exc.GeocoderServiceError)
    assert server.count == 1  # no retries


def test_rate_limited_keeps_retry_after_and_backs_off(
    server: FakeNominatim, clock: FakeClock
) -> None:
    geocoder = geocoder_for(server, clock=clock)
    kept = geocoder.search("Saydnaya")
    server.behaviour = Behaviour(kind="status", status=429, headers={"Retry-After": "7"})

    error = failing_search(geocoder, "Damascus")
    assert type(error) is GeocodingRateLimited
    assert error.retry_after == 7
    assert "HTTP 429" in str(error) and "try again in 7 s" in str(error)
    assert isinstance(error.__cause__, geopy_exc.GeocoderRateLimited)

    # The service asked for 7 s: until they have passed, a search does not even ask it.
    with pytest.raises(GeocodingRateLimited) as again:
        geocoder.search("Sednaya")
    assert again.value.retry_after == 7
    clock.advance(6.5)
    with pytest.raises(GeocodingRateLimited) as again:
        geocoder.search("Sednaya")
    assert again.value.retry_after == 0.5 and "resumes in 0.5 s" in str(again.value)
    assert server.count == 2
    assert geocoder.search("Saydnaya") == kept  # what is cached is still there

    clock.advance(0.5)
    server.behaviour = Behaviour()
    assert geocoder.search("Sednaya")
    assert server.count == 3


def test_rate_limited_without_retry_after(server: FakeNominatim, clock: FakeClock) -> None:
    server.behaviour = Behaviour(kind="status", status=429)
    geocoder = geocoder_for(server, clock=clock)
    error = failing_search(geocoder)
    assert isinstance(error, GeocodingRateLimited) and error.retry_after is None
    assert "pauses for 60 s" in str(error)
    clock.advance(59)
    with pytest.raises(GeocodingRateLimited) as again:
        geocoder.search("Damascus")
    assert again.value.retry_after == 1
    assert server.count == 1


@pytest.mark.parametrize(
    ("behaviour", "expected", "words"),
    [
        (Behaviour(kind="body", body=b"<html>not json</html>"), GeocodingBadResponse, "read"),
        (Behaviour(results=[1, 2]), GeocodingBadResponse, "read"),
        # geopy refuses the whole answer for one result off the globe.
        pytest.param(
            Behaviour(results=[{"display_name": "x", "lat": "95", "lon": "0"}]),
            GeocodingBadResponse,
            "read",
            marks=pytest.mark.filterwarnings("ignore:Latitude normalization:UserWarning"),
        ),
        (
            Behaviour(results=[{"display_name": "x", "lat": "north", "lon": "0"}]),
            GeocodingBadResponse,
            "read",
        ),
        (Behaviour(results={"error": "Nothing to search for"}), GeocodingQueryRejected, "words"),
    ],
    ids=["invalid-json", "wrong-shape", "latitude-95", "latitude-text", "error-answer"],
)
def test_answers_that_cannot_be_used(
    server: FakeNominatim, behaviour: Behaviour, expected: type[GeocodingError], words: str
) -> None:
    server.behaviour = behaviour
    error = failing_search(geocoder_for(server))
    assert type(error) is expected
    assert words in str(error)


@pytest.mark.parametrize("kind", ["silent", "stall"])
def test_no_answer_times_out_after_one_timeout(
    server: FakeNominatim, clock: FakeClock, kind: str
) -> None:
    # "stall" sends the headers, then nothing: requests calls that a ConnectionError and
    # geopy "unavailable"; it is a timeout all the same.
    server.behaviour = Behaviour(kind=kind, delay=1.5)
    error = failing_search(geocoder_for(server, clock=clock))
    assert type(error) is GeocodingTimedOut
    assert "timed out after 0.5 s" in str(error) and server.domain in str(error)
    # the socket's timeout ended it (the clock waits as long as that takes), not the deadline
    assert "did not finish within" not in str(error) and clock.now() == 0
    assert server.count == 1  # geopy's adapter would have sent it three times


def test_a_trickling_answer_is_cut_at_the_deadline_and_still_cached(
    server: FakeNominatim, clock: FakeClock
) -> None:
    # Every chunk arrives within the read timeout, so only the deadline stops the wait.
    # The answer takes 1.6 s to trickle in, so it cannot be in when the clock gives up.
    server.behaviour = Behaviour(kind="trickle", delay=1.6, trickle_every=0.1)
    geocoder = geocoder_for(server, clock=clock)
    deadline = geocoder.config.deadline_seconds
    clock.deadline_passes = True
    error = failing_search(geocoder, chained=False)  # nothing failed yet: we stopped waiting
    assert type(error) is GeocodingTimedOut
    assert f"did not finish within {deadline:g} s" in str(error)
    assert clock.now() == deadline

    # The request went on in the background: a repeat joins it instead of sending another,
    # and once it is in, the answer is cached.
    clock.deadline_passes = False
    found = geocoder.search("Saydnaya")
    assert found and found[0].kind == "prison"
    assert geocoder.search("Saydnaya") == found
    assert server.count == 1


def test_connection_refused_is_unavailable_at_once(clock: FakeClock) -> None:
    domain = f"127.0.0.1:{closed_port()}"
    error = failing_search(OnlineGeocoder(config_for(domain), clock=clock))
    # not a timeout: no deadline passed, nothing was retried or waited for
    assert clock.now() == 0 and clock.sleeps == []
    assert type(error) is GeocodingUnavailable
    assert f"Could not reach {domain}: no network" in str(error)
    assert isinstance(error.__cause__, geopy_exc.GeocoderUnavailable)


# -- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"user_agent": ""}, "user agent is empty"),
        ({"user_agent": "   "}, "user agent is empty"),
        ({"user_agent": "my-application"}, "stock or sample"),
        ({"user_agent": "specify_your_app_name_here"}, "stock or sample"),
        ({"user_agent": "geopy/2.5.0"}, "stock or sample"),
        ({"user_agent": "python-requests/2.32"}, "stock or sample"),
        (
            {"user_agent": "geo-evidence-explorer/0.1 (+mailto:you@your-organisation.org)"},
            "stock or sample",
        ),
        ({"user_agent": "app/1\r\nX-Evil: 1"}, "one line"),
        ({"provider": "no-such-service"}, "unknown provider 'no-such-service'"),
        ({"domain": "https://nominatim.example.org"}, "host name (and port) only"),
        ({"scheme": "ftp"}, "scheme must be"),
        ({"timeout": 0}, "timeout must be a positive"),
        ({"timeout": float("inf")}, "timeout must be a positive"),
        ({"min_delay_seconds": -1}, "min_delay_seconds must be zero or"),
        ({"domain": None, "min_delay_seconds": 0.5}, "one request a second"),
        ({"options": {"timeout": 60}}, "options may not set timeout"),
    ],
)
def test_configuration_is_checked_at_construction(settings: dict[str, Any], words: str) -> None:
    with pytest.raises(GeocodingConfigError, match="not configured correctly") as caught:
        config_for("127.0.0.1:9", **settings)
    assert words in str(caught.value)
    if "user agent" in words or "stock" in words:
        assert "names this application and how to reach you" in str(caught.value)


def test_the_default_config_is_the_public_nominatim_and_needs_no_network() -> None:
    config = GeocoderConfig(user_agent=AGENT)
    assert (config.provider, config.host, config.scheme) == (
        "nominatim",
        "nominatim.openstreetmap.org",
        "https",
    )
    assert (config.timeout, config.min_delay_seconds, config.deadline_seconds) == (5, 1, 10)
    OnlineGeocoder(config)  # building sends nothing


def test_other_providers_and_their_settings() -> None:
    with pytest.raises(GeocodingConfigError, match="'bing' needs api_key; pass it in options"):
        OnlineGeocoder(GeocoderConfig(user_agent=AGENT, provider="bing"))
    with pytest.raises(GeocodingConfigError, match="no setting colour"):
        OnlineGeocoder(GeocoderConfig(user_agent=AGENT, provider="photon", options={"colour": 1}))
    config = GeocoderConfig(user_agent=AGENT, provider="Bing", options={"api_key": "secret"})
    assert "secret" not in repr(config)
    assert OnlineGeocoder(config).config.provider == "bing"
    assert "Bing" in attribution(config)


def test_options_reach_the_provider(server: FakeNominatim) -> None:
    # OpenMapQuest is Nominatim with a key, so the fake server can answer it.
    geocoder = geocoder_for(
        server, provider="openmapquest", options={"api_key": "k", "proxies": {}}
    )
    assert geocoder.search("Saydnaya")
    seen = server.requests[0]
    assert seen.path == "/nominatim/v1/search"
    assert seen.params["key"] == ["k"]
