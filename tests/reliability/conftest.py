"""Tools for breaking things on purpose: a TCP proxy that can refuse or drop database
connections, a private redis-server, a real gunicorn on a loopback port.

Nothing here touches the machine's shared PostgreSQL or Redis: faults are injected in our own
proxy or our own redis-server, which the tests start and stop themselves.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


class TcpProxy:
    """A loopback TCP proxy to ``target`` that a test can make refuse or drop connections.

    ``refuse()``: every established connection is cut and new ones are closed at once (what a
    client sees when PostgreSQL restarts or a firewall drops it). ``restore()``: forward again.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.refusing = threading.Event()
        self.refused = 0
        self.forwarded = 0
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port), backlog=128)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _addr = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.refusing.is_set():
                self.refused += 1
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, 5)
            except OSError:
                _close(client)
                continue
            self.forwarded += 1
            pair = (client, upstream)
            with self._lock:
                self._pairs.add(pair)
            for a, b in (pair, pair[::-1]):
                threading.Thread(target=self._pipe, args=(a, b, pair), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, pair: tuple) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._pairs.discard(pair)
            _close(src)
            _close(dst)

    def refuse(self) -> None:
        self.refusing.set()
        with self._lock:
            pairs = list(self._pairs)
        for a, b in pairs:
            _close(a)
            _close(b)

    def restore(self) -> None:
        self.refusing.clear()

    def close(self) -> None:
        self._stop.set()
        self.refuse()
        _close(self._server)
        self._thread.join(timeout=2)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class RedisServer:
    """Our own redis-server on a free loopback port: stopped and started by the test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, 10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (Debian package redis-server)")
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def database_url(*, port: int | None = None, name: str | None = None) -> str:
    """A postgres:// URL for the test database pytest-django created (optionally via a proxy)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "postgres")
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}" if password else user
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}@{host}:{port or db.get('PORT') or 5432}/{name or db['NAME']}"


def db_host_port() -> tuple[str, int]:
    db = connection.settings_dict
    return db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)


class Gunicorn:
    """A real gunicorn serving ``config.wsgi`` on a loopback port, in its own process group."""

    def __init__(
        self, *, env: dict[str, str], workers: int = 2, threads: int = 1, args: tuple[str, ...] = ()
    ) -> None:
        self.port = free_port()
        self.env = env
        self.workers = workers
        self.threads = threads
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.log = Path(env["VAR_DIR"]) / "gunicorn.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._log_file = self.log.open("ab")
        self.proc = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--timeout",
                "30",
                "--graceful-timeout",
                "2",
                *(["--no-control-socket"] if _has_control_socket() else []),
                *self.args,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        end = time.monotonic() + 40
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2):  # noqa: S310
                    return
            except urllib.error.HTTPError:  # an answer (503: a late sweep): it is serving
                return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"gunicorn did not answer: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None
        with contextlib.suppress(AttributeError):
            self._log_file.close()


def _has_control_socket() -> bool:
    """gunicorn >= 25 opens a control socket in ~/.gunicorn, shared by every instance."""
    import gunicorn as gunicorn_package

    return int(gunicorn_package.__version__.split(".")[0]) >= 25


def app_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a web or worker process serving the test database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "PYTEST_ADDOPTS")
    }
    var = tmp_path / "var"
    var.mkdir(exist_ok=True)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "VAR_DIR": str(var),
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "STATUS_RATE_LIMIT": "1000000/h",
            "STATUS_REFERENCE_RATE_LIMIT": "1000000/h",
            "API_THROTTLE_USER": "1000000/min",
            "API_THROTTLE_ANON": "1000000/min",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def gunicorn(tmp_path: Path, **env: str) -> Iterator[Gunicorn]:
    workers = int(env.pop("WORKERS", "2"))
    threads = int(env.pop("THREADS", "1"))
    server = Gunicorn(env=app_env(tmp_path, **env), workers=workers, threads=threads)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def status_form(application, reference: str | None = None) -> dict[str, str]:
    """The status page's lookup form filled in for ``application`` (day, month, year boxes)."""
    born = application.person.date_of_birth
    return {
        "reference": application.reference if reference is None else reference,
        "day": str(born.day),
        "month": str(born.month),
        "year": str(born.year),
    }
