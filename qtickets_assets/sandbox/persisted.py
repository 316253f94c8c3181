"""A sandbox world kept for one data directory, so that a restarted sandbox serves the same world.

A world is a pure function of its size, seed and anchor, then of each advance (what it changed,
with which seed, at which moment). `<state file>` keeps those; a restart regenerates the world and
replays every advance, so the API answers exactly as before the restart and a mart loaded from it
stays exact under incremental runs. Time moves the world on only through advances, as before.
Deleting the file (`make clean` removes the data folder) starts a new world.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qtickets_assets.sandbox.advance import advance
from qtickets_assets.sandbox.generate import default_anchor, generate_world
from qtickets_assets.sandbox.model import World
from qtickets_assets.sandbox.testing import SandboxHandle, start_server


class WorldState:
    """The state file of one world: size, seed, anchor and the advances so far."""

    def __init__(self, path: Path, size: str, seed: int) -> None:
        self.path = path
        stored = self._read()
        if stored.get("size") == size and stored.get("seed") == seed and "anchor" in stored:
            self.state = stored
        else:  # none yet, or another world was asked for: a new one from now
            self.state = {"size": size, "seed": seed, "anchor": default_anchor(), "advances": []}
            self._write()

    def _read(self) -> dict[str, Any]:
        try:
            loaded = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(self.state, indent=1))
        os.replace(partial, self.path)  # a crash mid-write leaves the previous state, never half a file

    def world(self) -> World:
        """The world as it was when the state was last written."""
        world = generate_world(self.state["size"], self.state["seed"], self.state["anchor"])
        for step in self.state["advances"]:
            advance(world, **step)
        return world

    def record(self, step: dict[str, Any]) -> None:
        self.state["advances"].append(step)
        self._write()


@contextmanager
def run_persisted_sandbox(path: Path, size: str, seed: int, token: str) -> Iterator[SandboxHandle]:
    """`run_sandbox`, serving the world kept in `path` (created there on first use)."""
    state = WorldState(path, size, seed)
    server = start_server(state.world(), token)
    server.sandbox.journal = state.record
    try:
        yield SandboxHandle(server, token)
    finally:
        server.shutdown()
        server.server_close()
