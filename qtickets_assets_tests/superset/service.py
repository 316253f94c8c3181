"""Starting and waiting for a Superset process in the opt-in tests (`make superset-test`)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], attempts: int = 300) -> None:
    for _ in range(attempts):
        assert process.poll() is None, "Superset exited while starting (see its output above)"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"Superset did not answer {url}/health")
