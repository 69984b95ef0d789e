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

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class BlockedAddress(OSError):
    """The host resolves to an address racewatch must not reach."""


def is_public(address: str) -> bool:
    """True only for globally routable unicast addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(str(ip.ipv4_mapped))
        if ip in _NAT64 or ip in _NAT64_LOCAL:
            return False
        if ip.sixtofour is not None or ip.teredo is not None:
            return False
    if ip.version == 4 and ip in _CGNAT:
        return False
    return bool(ip.is_global) and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
    )


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
