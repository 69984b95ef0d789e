"""Refuse addresses that are not on the public internet (SSRF guard for user-added sources).

The check runs inside the HTTP client's resolver, so it applies to the address actually
connected to, on every redirect hop; a DNS answer that changes between checks (rebinding)
is checked again.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

# Not on the public internet, or not anywhere a feed lives: the IANA special-purpose
# registries, blocked whole. Python's ``is_global`` is not enough (3.11 calls 192.0.0.8 and
# fec0::1 global).
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.31.196.0/24",  # AS112
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "192.175.48.0/24",  # AS112 direct delegation
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)
# IPv6 global unicast is 2000::/3; inside it, these are not the public internet.
_GLOBAL_V6 = ipaddress.IPv6Network("2000::/3")
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "2001::/23",  # IETF protocol assignments (Teredo, ORCHID, benchmarking...)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: reaches any IPv4 address
        "3fff::/20",  # documentation
    )
)


class BlockedAddress(OSError):
    """The host resolves to an address racewatch must not reach."""


def is_public(address: str) -> bool:
    """True only for globally routable unicast addresses: everything outside a short list of
    public ranges is private (loopback, link-local, site-local, NAT64, ULA, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(str(ip.ipv4_mapped))
        return ip in _GLOBAL_V6 and not any(ip in net for net in _BLOCKED_V6)
    return not any(ip in net for net in _BLOCKED_V4)


def check_host_literal(host: str) -> None:
    """Raise for an IP-literal host that is not public (literals skip the resolver)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not is_public(host.strip("[]")):
        raise BlockedAddress(f"refusing to connect to non-public address {host}")


class PublicOnlyResolver(AbstractResolver):
    """Resolves like the default resolver, then drops every non-public address."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: Any = socket.AF_INET
    ) -> list[ResolveResult]:
        check_host_literal(host)
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if is_public(r["host"])]
        if not allowed:
            shown = ", ".join(sorted({r["host"] for r in results})) or "nothing"
            raise BlockedAddress(f"refusing {host}: it resolves to non-public address {shown}")
        return allowed

    async def close(self) -> None:
        await self._inner.close()
