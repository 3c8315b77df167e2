"""A PostgreSQL server for the tests: Debian's binaries, a fresh directory, a free port on 127.0.0.1.

    with postgres_server() as server:     # initdb and start (about a second); stopped and removed when it ends
        url = server.new_database()       # "postgresql://postgres@127.0.0.1:PORT/test_1", empty

tests/conftest.py starts one per session, when the first test that needs it runs. As root the server runs as
the `postgres` user (initdb refuses root). Without the binaries, `make test-setup` installs Debian's postgresql.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

DEBIAN_BIN = Path("/usr/lib/postgresql")  # Debian keeps initdb and pg_ctl in <version>/bin, off PATH
USER = "postgres"  # the superuser initdb creates; the tests connect as it, trusted on 127.0.0.1
START_TIMEOUT_S = 30
SETTINGS = {  # a throwaway server: nothing needs to survive a crash, so nothing waits for the disk
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",  # each test's engine keeps a few open until the test ends
}


def binary(name: str) -> str:
    """initdb or pg_ctl: on PATH, else the newest of Debian's versions."""
    found = shutil.which(name) or next(iter(sorted(DEBIAN_BIN.glob(f"*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is missing: `make test-setup` installs Debian's postgresql.")
    return str(found)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, port: int):
        self.port = port
        self._numbers = itertools.count(1)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new, empty database (a copy of template1); returns its URL as DIGITLAB_DATABASE_URL takes it."""
        name = f"test_{next(self._numbers)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:  # CREATE DATABASE runs outside a transaction
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running server in a temporary directory, stopped and deleted when the block ends."""
    root = Path(tempfile.mkdtemp(prefix="digitlab-postgres-"))
    as_user = []
    if os.geteuid() == 0:  # initdb refuses root: the server's files and processes are the postgres user's
        shutil.chown(root, USER, USER)
        as_user = ["runuser", "-u", USER, "--"]

    def run(*args: str) -> None:
        # cwd: the postgres user may not be allowed into the repo, and pg_ctl needs to see where it runs
        done = subprocess.run([*as_user, *args], cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            log = root / "log"
            raise RuntimeError(f"{args[0]} failed: {done.stderr}{log.read_text() if log.exists() else ''}")

    data, port = str(root / "data"), free_port()  # a clash on the port in between fails the start loudly
    settings = {**SETTINGS, "port": port, "unix_socket_directories": root}  # not /var/run/postgresql: may not exist
    try:
        # --no-locale: text sorts by code point, as in SQLite (a server's en_US collation sorts case-blind)
        run(binary("initdb"), "-D", data, "-U", USER, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
        options = " ".join(f"-c {key}={value}" for key, value in settings.items())
        wait = ["-w", "-t", str(START_TIMEOUT_S)]  # until it accepts connections
        run(binary("pg_ctl"), "-D", data, "-l", str(root / "log"), "-o", options, *wait, "start")
        server = PostgresServer(port)

        def restart(down_for: float = 0.0) -> None:
            """A fault test's restart: every connection drops; the server is away `down_for` seconds, then back
            on the same port."""
            run(binary("pg_ctl"), "-D", data, "-m", "fast", *wait, "stop")
            time.sleep(down_for)
            run(binary("pg_ctl"), "-D", data, "-l", str(root / "log"), "-o", options, *wait, "start")

        server.restart = restart
        try:
            yield server
        finally:
            run(binary("pg_ctl"), "-D", data, "-m", "immediate", *wait, "stop")  # immediate: nothing to keep
    finally:
        shutil.rmtree(root, ignore_errors=True)
