"""A sandbox in a process of its own, driven over its control routes: for benchmarks and profiles.

`with spawn_sandbox(size="medium", latency_ms=40) as sb: ...` starts `python -m qtickets_assets.sandbox
serve` on a free loopback port, waits until it listens, and stops it on exit. Its CPU is then its
own process's, not the caller's (an in-process `run_sandbox` shares the caller's GIL), and the
`RemoteSandbox` reads its stats, advances it and resets it over HTTP as any client could.
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


class RemoteSandbox:
    """A running sandbox process: its API's address and token, and its control routes."""

    def __init__(self, proc: subprocess.Popen[str], base_url: str, token: str) -> None:
        self.proc, self.base_url, self.token = proc, base_url, token
        self._control = httpx.Client(base_url=base_url.removesuffix("/api/rest/v1") + "/_sandbox", timeout=60)

    def __repr__(self) -> str:
        return f"RemoteSandbox(base_url={self.base_url!r}, pid={self.proc.pid}, token=***)"

    def _call(self, method: str, name: str, body: dict[str, Any] | None = None) -> Any:
        response = self._control.request(method, f"/{name}", json=body)
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

    def cpu_seconds(self) -> float:
        """User and system CPU time the sandbox process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def close(self) -> None:
        self._control.close()


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
