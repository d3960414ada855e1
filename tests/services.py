"""Real PostgreSQL + PostGIS and Mosquitto servers for the tests, started on loopback.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
`postgres` system user (via `runuser`) in a temporary directory that user owns.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

POSTGRES_ROOT = Path("/usr/lib/postgresql")
MOSQUITTO = Path("/usr/sbin/mosquitto")
TEMPLATE = "geoseries_template"
START_TIMEOUT = 30.0


class ServiceUnavailable(Exception):
    """The binaries are missing or the service would not start."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    """Whether 127.0.0.1:`port` accepts a connection before `timeout` (or `process` exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def postgres_bin_dir() -> Path:
    """The bin/ folder of the newest installed PostgreSQL server (Debian layout)."""
    found = [
        d / "bin"
        for d in POSTGRES_ROOT.glob("*")
        if d.name.isdigit() and (d / "bin" / "initdb").exists() and (d / "bin" / "pg_ctl").exists()
    ]
    if not found:
        raise ServiceUnavailable(f"no PostgreSQL server binaries under {POSTGRES_ROOT}/*/bin")
    return max(found, key=lambda bin_dir: int(bin_dir.parent.name))


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster; `create_database()` hands out fresh PostGIS databases."""

    bin_dir: Path
    root: Path
    port: int
    run_as: list[str]
    owns_root: bool
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @classmethod
    def start(cls, tmpdir: Path) -> Postgres:
        bin_dir = postgres_bin_dir()
        run_as: list[str] = []
        owns_root = False
        root = Path(tmpdir)
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError as error:
                raise ServiceUnavailable(
                    "running as root and there is no 'postgres' user"
                ) from error
            if shutil.which("runuser") is None:
                raise ServiceUnavailable("running as root and `runuser` is missing")
            # pytest's temp dirs are private to root; /tmp is traversable by everyone.
            root = Path(tempfile.mkdtemp(prefix="geoseries-pg-", dir="/tmp"))
            os.chown(root, user.pw_uid, user.pw_gid)
            run_as, owns_root = ["runuser", "-u", "postgres", "--"], True
        server = cls(
            bin_dir=bin_dir, root=root, port=free_port(), run_as=run_as, owns_root=owns_root
        )
        try:
            server._init_and_start()
            server._prepare_template()
        except BaseException:
            server.stop()
            raise
        return server

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*self.run_as, *args]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)

    def _init_and_start(self) -> None:
        init = self._run(
            str(self.bin_dir / "initdb"),
            "-D", str(self.data_dir),
            "-U", "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )  # fmt: skip
        if init.returncode != 0:
            raise ServiceUnavailable(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-p {self.port}",
                f"-c unix_socket_directories={self.root}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        started = self._run(
            str(self.bin_dir / "pg_ctl"),
            "start",
            "-D", str(self.data_dir),
            "-l", str(self.log_file),
            "-o", options,
            "-w",
            "-t", str(int(START_TIMEOUT)),
        )  # fmt: skip
        if started.returncode != 0 or not wait_for_port(self.port, None, START_TIMEOUT):
            raise ServiceUnavailable(
                f"PostgreSQL did not start on port {self.port}: {started.stderr.strip()}\n"
                f"{_tail(self.log_file)}"
            )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url(), autocommit=True, connect_timeout=10)

    def _prepare_template(self) -> None:
        """A template with PostGIS installed: copying it is much faster than CREATE EXTENSION."""
        with self._admin() as conn:
            available = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
            if available is None:
                major = self.bin_dir.parent.name
                raise ServiceUnavailable(
                    f"the PostGIS extension is not installed for PostgreSQL {major} "
                    f"(apt-get install postgresql-{major}-postgis-3)"
                )
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        with psycopg.connect(self.url(TEMPLATE), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        with self._admin() as conn:
            conn.execute(f"ALTER DATABASE {TEMPLATE} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")

    def create_database(self) -> str:
        """A new, empty database with PostGIS; returns its URL."""
        name = f"geoseries_{os.getpid()}_{next(self._names)}"
        with self._admin() as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run(
                str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate"
            )
        if self.owns_root:
            shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Mosquitto:
    """A Mosquitto broker on a free loopback port, anonymous, without persistence."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    log_file: Path

    @classmethod
    def start(cls, tmpdir: Path) -> Mosquitto:
        if not MOSQUITTO.exists():
            raise ServiceUnavailable(f"{MOSQUITTO} is missing (apt-get install mosquitto)")
        tmpdir = Path(tmpdir)
        port = free_port()
        config = tmpdir / "mosquitto.conf"
        config.write_text(
            f"listener {port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "log_dest stderr\n"
            "log_type error\n"
            "log_type warning\n"
        )
        log_file = tmpdir / "mosquitto.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                [str(MOSQUITTO), "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        broker = cls(host="127.0.0.1", port=port, process=process, log_file=log_file)
        if not wait_for_port(port, process, START_TIMEOUT):
            broker.stop()
            raise ServiceUnavailable(f"mosquitto did not listen on port {port}:\n{_tail(log_file)}")
        return broker

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
