"""Looking at real processes from tests: which redis-servers serve a folder, waiting on a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def redis_servers_in(folder: Path) -> list[int]:
    """Pids of the live redis-server processes whose socket is in `folder` (read from /proc)."""
    needle = str(folder / "redis.sock").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        zombie = stat.rpartition(")")[2].split()[0] == "Z"
        if b"redis-server" in cmdline and needle in cmdline and not zombie:
            found.append(int(entry.name))
    return sorted(found)


def wait_until(condition: Callable[[], bool], timeout: float, what: str = "condition") -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
