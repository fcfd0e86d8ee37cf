"""The URL guard: only public http(s) targets, checked after DNS resolution and on every redirect, with the
connection going to the vetted address. No socket is opened here: DNS is a fake, HTTP a mock transport."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from integrations.web.fetch import FetchFailed, FetchPolicy, FetchRefused, SafeFetcher

PUBLIC = "93.184.216.34"


class FakeDNS:
    """Answers from a table (a public address by default) and records what was asked."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = table or {}
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return self.table.get(host, [PUBLIC])


def guard(**policy: Any) -> SafeFetcher:
    return SafeFetcher(FetchPolicy(**policy), resolver=FakeDNS())


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://127.0.0.1:8080/admin", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.10/", "private"),
        ("http://172.16.0.5/", "private"),
        ("http://[fd00::1]/", "private"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://100.64.0.1/", "not on the public internet"),
        ("http://240.0.0.1/", "reserved"),
    ],
)
def test_non_public_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(FetchRefused, match=reason):
        guard().vet(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "Only http and https"),
        ("ftp://example.com/file", "Only http and https"),
        ("gopher://example.com/", "Only http and https"),
        ("javascript:alert(1)", "Only http and https"),
        ("example.com/page", "no scheme"),
        ("http://user:secret@example.com/", "user name or password"),
        ("http:///nohost", "no host"),
    ],
)
def test_non_http_and_odd_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(FetchRefused, match=message):
        guard().vet(url)


def test_names_are_checked_after_resolution_and_any_private_answer_refuses() -> None:
    resolver = FakeDNS(
        {
            "localhost": ["127.0.0.1"],
            "mixed.example": [PUBLIC, "10.1.2.3"],
            "meta.example": ["169.254.169.254"],
        }
    )
    fetcher = SafeFetcher(resolver=resolver)
    for host, reason in [
        ("localhost", "loopback"),
        ("mixed.example", "private"),
        ("meta.example", "link-local"),
    ]:
        with pytest.raises(FetchRefused, match=reason):
            fetcher.vet(f"https://{host}/")
    assert fetcher.vet("https://public.example/").address == PUBLIC


def test_a_decimal_ip_is_resolved_before_the_check() -> None:
    with pytest.raises(FetchRefused, match="loopback"):
        SafeFetcher().vet("http://2130706433/")  # 127.0.0.1 in disguise, resolved by the system


def test_loopback_is_allowed_only_when_asked_and_private_stays_refused() -> None:
    allowed = guard(allow_loopback=True)
    assert allowed.vet("http://127.0.0.1:9/").address == "127.0.0.1"
    for url in ("http://10.0.0.1/", "http://169.254.169.254/"):
        with pytest.raises(FetchRefused):
            allowed.vet(url)
    assert FetchPolicy().allow_loopback is False


def _transport(routes: dict[str, httpx.Response], seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return routes.get(request.url.path, httpx.Response(404))

    return httpx.MockTransport(handler)


def test_the_connection_goes_to_the_vetted_address_with_the_original_host() -> None:
    seen: list[httpx.Request] = []
    resolver = FakeDNS({"shop.example": [PUBLIC]})
    fetcher = SafeFetcher(
        resolver=resolver,
        transport=_transport({"/": httpx.Response(200, html="<title>Hi</title><p>Hello</p>")}, seen),
    )

    page = fetcher.fetch("https://shop.example/")

    assert page.status == 200 and page.content_type == "text/html" and page.address == PUBLIC
    [request] = seen
    assert request.url.host == PUBLIC and request.headers["host"] == "shop.example"
    assert request.extensions["sni_hostname"] == "shop.example"
    assert resolver.calls == ["shop.example"]  # resolved once, then pinned


def test_a_redirect_to_a_private_address_is_refused_before_it_is_followed() -> None:
    seen: list[httpx.Request] = []
    routes = {"/go": httpx.Response(302, headers={"location": "http://10.0.0.1/secret"})}
    fetcher = SafeFetcher(resolver=FakeDNS(), transport=_transport(routes, seen))

    with pytest.raises(FetchRefused, match="private"):
        fetcher.fetch("http://public.example/go")

    assert [r.url.path for r in seen] == ["/go"]  # the private target was never requested


def test_redirects_are_followed_and_counted() -> None:
    seen: list[httpx.Request] = []
    routes = {
        "/a": httpx.Response(301, headers={"location": "/b"}),
        "/b": httpx.Response(200, text="done"),
        "/loop": httpx.Response(302, headers={"location": "/loop"}),
    }
    fetcher = SafeFetcher(
        FetchPolicy(max_redirects=3), resolver=FakeDNS(), transport=_transport(routes, seen)
    )

    page = fetcher.fetch("http://public.example/a")
    assert page.final_url == "http://public.example/b" and page.body == b"done" and page.redirects

    with pytest.raises(FetchFailed, match="more than 3 times"):
        fetcher.fetch("http://public.example/loop")


def test_bodies_over_the_cap_are_refused() -> None:
    seen: list[httpx.Request] = []
    routes = {
        "/declared": httpx.Response(200, headers={"content-length": "5000000"}, content=b"x"),
        "/streamed": httpx.Response(200, content=iter([b"x" * 600, b"x" * 600])),
    }
    fetcher = SafeFetcher(FetchPolicy(max_bytes=1000), resolver=FakeDNS(), transport=_transport(routes, seen))
    with pytest.raises(FetchFailed, match=r"is 5 MB; links are read up to 1 KB"):
        fetcher.fetch("http://public.example/declared")
    with pytest.raises(FetchFailed, match="larger than 1 KB"):
        fetcher.fetch("http://public.example/streamed")


def test_http_errors_are_reported() -> None:
    fetcher = SafeFetcher(resolver=FakeDNS(), transport=_transport({}, []))
    with pytest.raises(FetchFailed, match="HTTP 404"):
        fetcher.fetch("http://public.example/missing")
