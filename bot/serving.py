"""Small helpers for the HTTP servers racewatch runs (its endpoint, the demo's feed server)."""

from __future__ import annotations

from aiohttp import web


def bound_port(site: web.TCPSite) -> int | None:
    """The port a site actually listens on (it differs from the setting when that is 0)."""
    sockets = getattr(site._server, "sockets", None) or []
    return int(sockets[0].getsockname()[1]) if sockets else None
