"""Small helpers for the HTTP servers racewatch runs (its endpoint, the demo's feed server,
the benchmarks' feed farm) and the tests' local servers."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def bound_port(runner: web.BaseRunner) -> int | None:
    """The port a runner actually listens on (it differs from the setting when that is 0),
    from aiohttp's own list of bound addresses."""
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None


async def start_local(
    app: web.Application, host: str = "127.0.0.1", port: int = 0, **site: Any
) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``host`` (an ephemeral port by default); returns the runner, to
    clean up, and the port it listens on. ``site`` goes to :class:`aiohttp.web.TCPSite`."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, **site).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, bound_port(runner) or port
