"""A real Redis Cluster of a few primaries on loopback, started by the bot itself (tests, benchmarks).

Each primary is a `redis-server --cluster-enabled yes` child process (the binary of
`find_redis_server`). The cluster is formed the way `redis-cli --cluster create` forms one without
replicas: every node meets the first, and each gets an equal contiguous share of the 16384 slots
(`CLUSTER ADDSLOTSRANGE` on Redis 7+, `CLUSTER ADDSLOTS` before it). A node can be stopped and
started again on the same port and folder: it keeps its id and slots (`nodes.conf`) and, with
`persistent`, its data (AOF with `appendfsync always`, so every acknowledged write survives).
On Linux every node gets SIGTERM when the process that started it dies (a parent-death signal,
as for the embedded server): start the cluster from the main thread, since the signal fires
when the starting *thread* ends.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import redis

from bot.storage.embedded import die_with_parent, find_redis_server

SLOTS = 16384
BUS_PORT_OFFSET = 10000


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_cluster_port(taken: Collection[int] = ()) -> int:
    """A free loopback port whose cluster bus port (port + 10000) is free and valid too."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        bus = port + BUS_PORT_OFFSET
        if port not in taken and bus <= 65535 and _port_is_free(bus):
            return port
    raise RuntimeError("no free port pair (port, port + 10000) for a cluster node")


def slot_ranges(primaries: int) -> list[tuple[int, int]]:
    """Contiguous, inclusive slot ranges, as even as `redis-cli --cluster create` makes them."""
    share = SLOTS / primaries
    return [(round(i * share), round((i + 1) * share) - 1) for i in range(primaries)]


@dataclass
class ClusterNode:
    port: int
    folder: Path
    slots: tuple[int, int]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class LocalCluster:
    """`primaries` cluster nodes on 127.0.0.1, each with its own folder under `data_dir`.

    `url` names the first node; a cluster client discovers the rest from it.
    `node_timeout_ms` is how long the others wait before marking a silent node as failed.
    With `user` and `password` the nodes accept only that ACL user (the default user is off),
    as a managed Redis does; `url` carries the credentials.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        primaries: int = 3,
        persistent: bool = False,
        node_timeout_ms: int = 2000,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        if primaries < 1:
            raise ValueError("a cluster needs at least one primary")
        self.data_dir = Path(data_dir)
        self.persistent = persistent
        self.node_timeout_ms = node_timeout_ms
        if (user is None) != (password is None):
            raise ValueError("give both user and password, or neither")
        self.user, self.password = user, password
        self.nodes: list[ClusterNode] = []
        taken: set[int] = set()
        for number, slots in enumerate(slot_ranges(primaries)):
            port = free_cluster_port(taken)
            taken |= {port, port + BUS_PORT_OFFSET}
            self.nodes.append(ClusterNode(port, self.data_dir / f"node-{number}", slots))

    @property
    def url(self) -> str:
        credentials = f"{self.user}:{self.password}@" if self.user else ""
        return f"redis://{credentials}127.0.0.1:{self.nodes[0].port}"

    def start(self, timeout: float = 20.0) -> str:
        """Start every node, form the cluster, and wait until every node sees it whole."""
        try:
            for node in self.nodes:
                self._spawn(node)
            for node in self.nodes:
                self._wait_for_ping(node, timeout)
            self._form()
            self.wait_until_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _spawn(self, node: ClusterNode) -> None:
        node.folder.mkdir(parents=True, exist_ok=True)
        args = [
            find_redis_server(),
            "--port",
            str(node.port),
            "--bind",
            "127.0.0.1",
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            str(self.node_timeout_ms),
            # Without replicas a stopped primary's slots have no one to take over; the other
            # nodes keep serving theirs meanwhile, as a managed cluster does during a failover.
            "--cluster-require-full-coverage",
            "no",
            "--dir",
            str(node.folder),
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            "redis.log",
        ]
        if self.user:
            args += ["--user", self.user, "on", f">{self.password}", "~*", "&*", "+@all"]
            args += ["--user", "default", "off"]
        if self.persistent:
            args += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        else:
            args += ["--appendonly", "no", "--save", ""]
        # Like the embedded server, a node dies with the process that started it (on Linux), so
        # a test run or benchmark that is killed leaves no cluster behind.
        node.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, preexec_fn=die_with_parent()
        )

    def _client(self, node: ClusterNode) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=node.port, username=self.user, password=self.password, socket_timeout=5
        )

    def _wait_for_ping(self, node: ClusterNode, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._client(node) as client:
            while True:
                if node.process is not None and node.process.poll() is not None:
                    log = node.folder / "redis.log"
                    detail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                    raise RuntimeError(f"cluster node on port {node.port} exited at start. {detail}")
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)

    def _form(self) -> None:
        first = self.nodes[0]
        for node in self.nodes:
            with self._client(node) as client:
                info = client.execute_command("CLUSTER INFO")
                if int(info.get("cluster_slots_assigned", 0)):
                    continue  # a node started from an existing folder already holds its slots
                low, high = node.slots
                if int(client.info("server")["redis_version"].split(".")[0]) >= 7:
                    client.execute_command("CLUSTER ADDSLOTSRANGE", low, high)
                else:
                    client.execute_command("CLUSTER ADDSLOTS", *range(low, high + 1))
                if node is not first:
                    client.execute_command("CLUSTER MEET", "127.0.0.1", first.port)

    def wait_until_healthy(self, timeout: float = 20.0) -> None:
        """Wait until every running node reports `cluster_state:ok` and knows every node."""
        deadline = time.monotonic() + timeout
        while True:
            if all(self._healthy(node) for node in self.nodes if node.running):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the local Redis Cluster did not become healthy in time")
            time.sleep(0.05)

    def _healthy(self, node: ClusterNode) -> bool:
        try:
            with self._client(node) as client:
                info = client.execute_command("CLUSTER INFO")
                known: dict[str, dict[str, object]] = client.execute_command("CLUSTER NODES")
        except redis.RedisError:
            return False
        connected = [
            peer for peer in known.values() if peer.get("connected") and "fail" not in str(peer.get("flags"))
        ]
        return (
            info.get("cluster_state") == "ok"
            and int(info.get("cluster_slots_ok", 0)) == SLOTS
            and len(connected) == len(self.nodes)
        )

    def node_for_key(self, key: str) -> ClusterNode:
        """The node that holds `key` (by its hash slot)."""
        with self._client(self.nodes[0]) as client:
            slot = int(client.execute_command("CLUSTER KEYSLOT", key))
        return next(node for node in self.nodes if node.slots[0] <= slot <= node.slots[1])

    def stop_node(self, node: ClusterNode, *, kill: bool = False) -> None:
        """Stop one node: SIGTERM (a clean shutdown), or SIGKILL with `kill` (a crash)."""
        process, node.process = node.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def start_node(self, node: ClusterNode, timeout: float = 20.0) -> None:
        """Start a stopped node again from its folder and wait for the cluster to be whole."""
        self._spawn(node)
        self._wait_for_ping(node, timeout)
        self.wait_until_healthy(timeout)

    def stop(self) -> None:
        for node in self.nodes:
            self.stop_node(node)

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
