"""Real processes from tests: bot processes to start and kill, which redis-servers serve a
folder, waiting on a condition."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]

SUITE_REDIS_TIMEOUT_S = 15.0
"""How long the suite's Redis calls wait: a loaded test machine can hold a reply past the 2 s a
learner waits in production. The hung-Redis tests, which test that timeout, set their own."""
SUITE_SETTINGS = {"REDIS_TIMEOUT_S": str(SUITE_REDIS_TIMEOUT_S)}
"""Settings of every bot process and runtime the suite starts (in this process too, see
`conftest.py`)."""


TAKING_OVER = (
    ("survivor_name", "lease_s"),
    [
        pytest.param("bot-b", "1.5", id="another-process-when-the-lease-ends"),
        pytest.param("bot-a", "600", id="the-same-process-restarted-at-once"),
    ],
)
"""Who finishes a lab turn of a bot process `bot-a` killed mid-reply: another process, once the
turn's lease has run out; or `bot-a` itself restarted, at start-up, long before its lease ends."""

STARTS_PROCESSES_IN_TURN = pytest.mark.timeout(300)
"""For a test that starts bot processes one after another and waits on each (a minute to start,
half a minute for its work): its own waits add up past the suite's 120 s, and say better what did
not happen."""


class BotProcess:
    """`python -m bot ARGS` as its own process, named `name` (`INSTANCE_NAME`), with its data
    folder and output under `data`."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], data: Path) -> None:
        data.mkdir(parents=True, exist_ok=True)
        self.output = data / f"{name}.out"
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", *args],
                cwd=PROJECT,
                env={**env, "INSTANCE_NAME": name, "DATA_DIR": str(data)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """kill -9: nothing of the process runs after this."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def clean_env(*prefixes: str) -> dict[str, str]:
    """This process's environment without the settings named by `prefixes` (a test sets its own),
    with the suite's own (`SUITE_SETTINGS`)."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith(prefixes)}, **SUITE_SETTINGS}


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


async def until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Let the event loop run until `condition` holds; fail the test after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.02)


def wait_until(condition: Callable[[], bool], timeout: float, what: str = "condition") -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
