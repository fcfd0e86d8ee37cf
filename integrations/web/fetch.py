"""A guarded URL fetcher (httpx, streaming).

Every hop — the first URL and each redirect, followed here by hand — is vetted: http(s) only, no credentials
in the URL, and every address the host name resolves to must be public. Loopback, private, link-local,
multicast, reserved and unspecified addresses are refused (IPv4-mapped IPv6 included). The connection then
goes to the vetted address itself (``Host`` header and TLS SNI/certificate check keep the name), so a DNS
answer that changes between the check and the connection (DNS rebinding) cannot redirect it.

Bodies are read with connect/read timeouts, an overall deadline and a byte cap (decoded bytes count, so a
gzip bomb is cut off too). ``allow_loopback`` exists for tests that serve pages from 127.0.0.1; it is off
by default, and even then private and link-local targets stay refused.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

Resolver = Callable[[str, int], list[str]]
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "ContentStudio/0.1 (link reader)"


class FetchRefused(Exception):
    """The URL is not one we fetch (scheme, credentials, or a non-public address). Message for the user."""


class FetchFailed(Exception):
    """The fetch did not work out (network error, timeout, HTTP error, too large). Message for the user."""


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int = 10_000_000
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    total_timeout_s: float = 30.0
    max_redirects: int = 5
    allow_loopback: bool = False  # tests only: lets a local test server be the target


@dataclass
class Fetched:
    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    redirects: list[str] = field(default_factory=list)
    address: str = ""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"The host {host} could not be found ({exc}).") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> str | None:
    """Why we do not connect to ``ip`` ("a private address"...), or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return refusal_reason(mapped, allow_loopback=allow_loopback)
        if ip.teredo is not None:
            return refusal_reason(ip.teredo[1], allow_loopback=allow_loopback)
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address (this machine)"
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address (e.g. a cloud metadata service)"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private network address"),
        (not ip.is_global, "an address that is not on the public internet"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # as in the URL (IDNA-encoded name or IP literal without brackets)
    port: int
    address: str  # the vetted IP to connect to


class SafeFetcher:
    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolver: Resolver | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.resolver = resolver or system_resolver
        self._transport = transport

    def vet(self, url: str) -> Target:
        """Check a URL and resolve its host once; raises :class:`FetchRefused` with the reason."""
        url = url.strip()
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchRefused(f"{url[:200]} is not a valid link ({exc}).") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            shown = f"{scheme}:" if scheme else "no scheme"
            raise FetchRefused(f"Only http and https links can be read ({shown} given).")
        if parts.username is not None or parts.password is not None:
            raise FetchRefused("Links with a user name or password in them are not fetched.")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise FetchRefused(f"{url[:200]} has no host name.")
        port = port or (443 if scheme == "https" else 80)
        try:
            literal = ipaddress.ip_address(host)
            addresses = [str(literal)]
        except ValueError:
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                raise FetchRefused(f"{host} is not a valid host name.") from None
            addresses = self.resolver(host, port)
        if not addresses:
            raise FetchFailed(f"The host {host} could not be found.")
        for address in addresses:
            reason = refusal_reason(
                ipaddress.ip_address(address.split("%")[0]), allow_loopback=self.policy.allow_loopback
            )
            if reason is not None:
                raise FetchRefused(f"I don't fetch {host}: it points to {reason} ({address}).")
        return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])

    def fetch(self, url: str) -> Fetched:
        """GET ``url``, following up to ``max_redirects`` redirects, each vetted before it is followed."""
        policy = self.policy
        deadline = time.monotonic() + policy.total_timeout_s
        timeout = httpx.Timeout(
            connect=policy.connect_timeout_s,
            read=policy.read_timeout_s,
            write=policy.read_timeout_s,
            pool=policy.connect_timeout_s,
        )
        redirects: list[str] = []
        current = url.strip()
        with httpx.Client(
            timeout=timeout, follow_redirects=False, trust_env=False, transport=self._transport
        ) as client:
            for _hop in range(policy.max_redirects + 1):
                target = self.vet(current)
                status, headers, body = self._get(client, target, deadline)
                if status in REDIRECTS and headers.get("location"):
                    current = urljoin(current, headers["location"])
                    redirects.append(current)
                    continue
                if status >= 400:
                    raise FetchFailed(f"{current} answered HTTP {status}.")
                ctype = headers.get("content-type", "")
                mime = ctype.split(";")[0].strip().lower()
                charset = None
                for param in ctype.split(";")[1:]:
                    key, _, value = param.partition("=")
                    if key.strip().lower() == "charset":
                        charset = value.strip().strip('"') or None
                return Fetched(
                    url=url,
                    final_url=current,
                    status=status,
                    content_type=mime,
                    charset=charset,
                    body=body,
                    redirects=redirects,
                    address=target.address,
                )
        raise FetchFailed(f"{url} redirects more than {policy.max_redirects} times.")

    def _get(self, client: httpx.Client, target: Target, deadline: float) -> tuple[int, httpx.Headers, bytes]:
        parts = urlsplit(target.url)
        ip = ipaddress.ip_address(target.address.split("%")[0])
        netloc_ip = f"[{ip}]" if ip.version == 6 else str(ip)
        default_port = 443 if target.scheme == "https" else 80
        netloc = netloc_ip if target.port == default_port else f"{netloc_ip}:{target.port}"
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        direct = urlunsplit((target.scheme, netloc, parts.path or "/", parts.query, ""))
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = client.build_request(
            "GET",
            direct,
            headers={
                "Host": host_header,
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,image/*;q=0.8,*/*;q=0.5",
            },
            extensions=extensions,
        )
        cap = self.policy.max_bytes
        try:
            response = client.send(request, stream=True)
            try:
                if response.status_code in REDIRECTS or response.status_code >= 400:
                    return response.status_code, response.headers, b""
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > cap:
                    raise FetchFailed(
                        f"{target.url} is {_size(int(declared))}; links are read up to {_size(cap)}."
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise FetchFailed(
                            f"{target.url} is larger than {_size(cap)}, the most I read from a link."
                        )
                    if time.monotonic() > deadline:
                        raise FetchFailed(
                            f"{target.url} took longer than {self.policy.total_timeout_s:g} s to download."
                        )
                    chunks.append(chunk)
                return response.status_code, response.headers, b"".join(chunks)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise FetchFailed(f"{target.url} did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise FetchFailed(f"{target.url} could not be fetched ({type(exc).__name__}: {exc}).") from None


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:,.1f} MB".replace(".0 MB", " MB")
    return f"{n / 1000:,.1f} KB".replace(".0 KB", " KB")
