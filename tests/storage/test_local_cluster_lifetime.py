"""A local Redis Cluster never outlives the process that started it (tests, benchmarks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import wait_until

OWNER_SCRIPT = """
import sys
from pathlib import Path
from bot.storage.local_cluster import LocalCluster
cluster = LocalCluster(Path(sys.argv[1]), primaries=3)
cluster.start()
print(" ".join(str(node.process.pid) for node in cluster.nodes), flush=True)
sys.stdin.read()
"""


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting for its reaper is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")
def test_kill_9_of_the_process_that_started_a_cluster_takes_every_node_with_it(tmp_path: Path) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    nodes: list[int] = []
    try:
        assert owner.stdout is not None
        nodes = [int(pid) for pid in owner.stdout.readline().split()]
        assert len(nodes) == 3 and all(_running(pid) for pid in nodes)
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=30)
        wait_until(lambda: not any(_running(pid) for pid in nodes), timeout=30, what="the nodes to stop")
    finally:
        owner.kill()
        for pid in nodes:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
