"""A sandbox in a process of its own, driven over its control routes: for benchmarks and profiles.

`with spawn_sandbox(size="medium", latency_ms=40) as sb: ...` starts `python -m qtickets_assets.sandbox
serve` on a free loopback port, waits until it listens, and stops it on exit. Its CPU is then its
own process's, not the caller's (an in-process `run_sandbox` shares the caller's GIL), and the
`RemoteSandbox` reads its stats and its truth, advances it and resets it over HTTP as any client
could (`SandboxControl`: the same routes of any sandbox, in a process of its own or not).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

READY = re.compile(r"sandbox listening on (\S+)")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def control_url(base_url: str) -> str:
    """The control routes' address of the sandbox whose API is at `base_url`."""
    return base_url.removesuffix("/api/rest/v1") + "/_sandbox"


class SandboxControl:
    """A sandbox's control routes over HTTP (no token: they never touch the API's data as a client would)."""

    def __init__(self, base_url: str) -> None:
        self._control = httpx.Client(base_url=control_url(base_url), timeout=300)

    def _call(
        self, method: str, name: str, body: dict[str, Any] | None = None, params: dict[str, int] | None = None
    ) -> Any:
        response = self._control.request(method, f"/{name}", json=body, params=params)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        return dict(self._call("GET", "stats"))

    def reset_stats(self) -> None:
        self._call("POST", "stats")

    def advance(self, **what: Any) -> dict[str, Any]:
        return dict(self._call("POST", "advance", what))

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        return dict(self._call("POST", "faults", faults))

    def expected_requests(self) -> dict[str, int]:
        return dict(self._call("GET", "expected_requests"))

    def world(self) -> dict[str, Any]:
        """size, seed, and how many events and orders the world holds now."""
        return dict(self._call("GET", "world"))

    def truth(self, as_of: int | None = None) -> dict[str, list[dict[str, Any]]]:
        """The mart a correct loader builds from the world as it is now (`sandbox/truth/`), "today"
        taken at `as_of` (epoch seconds; default: the sandbox's wall clock)."""
        return dict(self._call("GET", "truth", params=None if as_of is None else {"as_of": as_of}))

    def close(self) -> None:
        self._control.close()


class RemoteSandbox(SandboxControl):
    """A running sandbox process: its API's address and token, and its control routes."""

    def __init__(self, proc: subprocess.Popen[str], base_url: str, token: str) -> None:
        super().__init__(base_url)
        self.proc, self.base_url, self.token = proc, base_url, token

    def __repr__(self) -> str:
        return f"RemoteSandbox(base_url={self.base_url!r}, pid={self.proc.pid}, token=***)"

    def cpu_seconds(self) -> float:
        """User and system CPU time the sandbox process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def serve_command(size: str, seed: int, latency_ms: int, args: Sequence[str]) -> list[str]:
    base = [sys.executable, "-m", "qtickets_assets.sandbox", "serve", "--port", "0"]
    return [*base, "--size", size, "--seed", str(seed), "--latency-ms", str(latency_ms), *args]


@contextmanager
def spawn_sandbox(
    size: str = "small",
    seed: int = 1,
    latency_ms: int = 0,
    args: Sequence[str] = (),
    token: str | None = None,
) -> Iterator[RemoteSandbox]:
    """Serve a sandbox process for the block. `args`: more `serve` flags (--latency-model, faults)."""
    token = token or secrets.token_urlsafe(12)
    env = {**os.environ, "QTICKETS_TOKEN": token}  # not on the command line, where ps shows it
    proc = subprocess.Popen(
        serve_command(size, seed, latency_ms, args), stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        url = next((m.group(1) for line in proc.stdout if (m := READY.search(line))), None)
        if url is None:
            raise RuntimeError(f"the sandbox exited with {proc.wait()} before it listened")
        sandbox = RemoteSandbox(proc, url, token)
        try:
            yield sandbox
        finally:
            sandbox.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
