"""The one HTTP client: conditional GET, timeouts, redirects, size caps, politeness.

Everything racewatch fetches goes through :class:`HttpClient`. It decompresses bodies itself
so the size cap applies to the decompressed bytes (a gzip bomb stops at the cap), follows
redirects by hand so every hop goes through the address guard, and spaces requests to one
host by a politeness delay.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from bot import __version__
from bot.errors import FetchError
from bot.sources.netguard import BlockedAddress, PublicOnlyResolver, check_host_literal

USER_AGENT = f"racewatch/{__version__} (+https://github.com/racewatch/racewatch)"


@dataclass(frozen=True)
class HttpLimits:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_body: int = 10 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 2
    host_delay: float = 0.0


@dataclass(frozen=True)
class Response:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class _HostGate:
    semaphore: asyncio.Semaphore
    delay: float
    next_ok: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def cache_max_age(value: str | None) -> float | None:
    """``max-age`` from a ``Cache-Control`` header, in seconds."""
    for part in (value or "").split(","):
        name, _, arg = part.strip().partition("=")
        if name.lower() == "max-age" and arg.strip('"').isdigit():
            return float(arg.strip('"'))
    return None


class _Decoder:
    """Incremental gzip/deflate decoding that never produces more than ``limit`` bytes.

    ``deflate`` is zlib-wrapped by the standard, but some servers send raw deflate: the
    first bytes tell which (a zlib header is a multiple of 31 with method 8)."""

    def __init__(self, encoding: str, limit: int) -> None:
        encoding = encoding.lower().strip()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(
                f"server used unsupported content encoding '{encoding[:40]}'", permanent=True
            )
        self._encoding = encoding
        self._z: Any = None
        self._limit = limit
        self.size = 0

    def _decompressor(self, first: bytes) -> Any:
        if self._encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        zlib_header = (
            len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        )
        return zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)

    def feed(self, chunk: bytes) -> bytes:
        if self._encoding in ("", "identity"):
            out = chunk
        else:
            if self._z is None:
                if not chunk:
                    return b""
                self._z = self._decompressor(chunk)
            try:
                out = self._z.decompress(chunk, self._limit - self.size + 1)
            except zlib.error as exc:
                raise FetchError(
                    f"the response is not valid {self._encoding} data ({exc})", permanent=True
                ) from None
            if self._z.unconsumed_tail:
                out += b"x"  # more output than allowed is waiting: over the cap
        self.size += len(out)
        if self.size > self._limit:
            raise FetchError(
                f"response is larger than the {self._limit // 1024 // 1024 or 1} MiB cap "
                "(after decompression)",
                permanent=True,
            )
        return out


class HttpClient:
    """Async HTTP for sources. Create inside a running loop; close with :meth:`close`."""

    def __init__(self, limits: HttpLimits | None = None, *, user_agent: str = USER_AGENT) -> None:
        self.limits = limits or HttpLimits()
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self.limits.connect_timeout, sock_read=self.limits.read_timeout
        )
        headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
        self._trusted = aiohttp.ClientSession(
            timeout=timeout,
            headers=headers,
            auto_decompress=False,
            connector=aiohttp.TCPConnector(limit=100, ttl_dns_cache=60),
        )
        self._guarded = aiohttp.ClientSession(
            timeout=timeout,
            headers=headers,
            auto_decompress=False,
            connector=aiohttp.TCPConnector(
                limit=100, resolver=PublicOnlyResolver(), use_dns_cache=False
            ),
        )
        self._gates: dict[str, _HostGate] = {}
        self._host_delays: dict[str, float] = defaultdict(float)

    def set_host_delay(self, host: str, seconds: float) -> None:
        """Politeness: at least ``seconds`` between two requests to ``host`` (arXiv asks 3 s)."""
        self._host_delays[host.lower()] = max(self._host_delays[host.lower()], seconds)

    async def close(self) -> None:
        await self._trusted.close()
        await self._guarded.close()

    def _gate(self, host: str) -> _HostGate:
        gate = self._gates.get(host)
        if gate is None:
            delay = max(self.limits.host_delay, self._host_delays.get(host, 0.0))
            gate = _HostGate(asyncio.Semaphore(self.limits.per_host), delay)
            self._gates[host] = gate
        return gate

    async def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        trusted: bool = True,
        total_timeout: float | None = None,
    ) -> Response:
        """GET ``url`` following redirects; 2xx and 304 return, anything else raises FetchError."""
        deadline = total_timeout or (self.limits.connect_timeout + self.limits.read_timeout * 2)
        try:
            return await asyncio.wait_for(self._get(url, headers or {}, trusted), deadline)
        except TimeoutError:
            raise FetchError(f"no complete answer within {deadline:.0f} s") from None

    async def _get(self, url: str, headers: dict[str, str], trusted: bool) -> Response:
        session = self._trusted if trusted else self._guarded
        origin = _origin(url)
        for _hop in range(self.limits.max_redirects + 1):
            if _origin(url) != origin:  # credentials belong to one host: never send them on
                headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIALS}
            try:
                parts = urlsplit(url)
                parts.port  # noqa: B018 (a port out of range raises here, not on connect)
            except ValueError:
                raise FetchError(f"not a valid address: '{url[:200]}'", permanent=True) from None
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError(
                    f"only http and https URLs can be fetched, not '{url[:100]}'", permanent=True
                )
            host = parts.hostname.lower()
            gate = self._gate(host)
            async with gate.semaphore:
                await self._wait_turn(gate)
                response = await self._one(session, url, headers, trusted, host)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"HTTP {response.status} redirect without a Location header")
                try:
                    url = urljoin(url, location)
                except ValueError:  # such as a bracketed host that is no IP address
                    raise FetchError(
                        f"redirect to an invalid address: '{location[:200]}'", permanent=True
                    ) from None
                continue
            return response
        raise FetchError(f"more than {self.limits.max_redirects} redirects", permanent=True)

    async def _wait_turn(self, gate: _HostGate) -> None:
        if gate.delay <= 0:
            return
        async with gate.lock:
            wait = gate.next_ok - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            gate.next_ok = time.monotonic() + gate.delay

    async def _one(
        self,
        session: aiohttp.ClientSession,
        url: str,
        headers: dict[str, str],
        trusted: bool,
        host: str,
    ) -> Response:
        try:
            if not trusted:
                check_host_literal(host)
            async with session.get(url, headers=headers, allow_redirects=False) as resp:
                hdrs = {k.lower(): v for k, v in resp.headers.items()}
                if resp.status in (301, 302, 303, 307, 308, 304):
                    return Response(resp.status, str(resp.url), hdrs)
                if resp.status >= 400:
                    raise _status_error(resp.status, hdrs)
                length = resp.headers.get("content-length", "")
                if length.isdigit() and int(length) > self.limits.max_body * 4:
                    raise FetchError(
                        f"response announces {int(length) // 1048576} MiB, over the cap",
                        permanent=True,
                    )
                decoder = _Decoder(hdrs.get("content-encoding", ""), self.limits.max_body)
                chunks = [decoder.feed(chunk) async for chunk in resp.content.iter_chunked(65536)]
                return Response(resp.status, str(resp.url), hdrs, b"".join(chunks))
        except BlockedAddress as exc:
            raise FetchError(str(exc), permanent=True) from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, BlockedAddress):
                raise FetchError(str(exc.os_error), permanent=True) from None
            raise FetchError(
                f"cannot connect to {host}: {exc.os_error.strerror or exc.os_error}"
            ) from None
        except aiohttp.ClientPayloadError as exc:
            raise FetchError(f"the response from {host} was cut off ({exc})") from None
        except TimeoutError:
            raise FetchError(
                f"{host} stopped answering (read timeout {self.limits.read_timeout:.0f} s)"
            ) from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"request to {host} failed: {exc.__class__.__name__}: {exc}") from None
        except ValueError as exc:  # an address the URL parser took and the client refuses
            raise FetchError(
                f"not a valid address: '{url[:200]}' ({exc})", permanent=True
            ) from None


_CREDENTIALS = {"authorization", "cookie", "proxy-authorization"}


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: a redirect to anything else is another party."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", "", None


def _status_error(status: int, headers: dict[str, str]) -> FetchError:
    retry_after = parse_retry_after(headers.get("retry-after"))
    if status == 429:
        return FetchError("HTTP 429: the server asks us to slow down", retry_after=retry_after)
    if status in (401, 403):
        return FetchError(f"HTTP {status}: access denied", permanent=True)
    if status in (404, 410):
        return FetchError(f"HTTP {status}: not found (has the feed moved?)", permanent=True)
    if status >= 500:
        return FetchError(f"HTTP {status}: the server had an error", retry_after=retry_after)
    return FetchError(f"HTTP {status}", permanent=True)
