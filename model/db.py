"""The SQLite database of a data directory, shared by the model registry and My drawings.

create(home, SCHEMA)                 # once per store: WAL mode, tables if missing
with connect(home) as db:            # one short-lived connection per operation
    db.execute("SELECT ...")         # committed when the block ends, rolled back on an error
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

DB_NAME = "digitlab.sqlite3"
LOCK_TIMEOUT_S = 30  # how long a writer waits for another connection's lock before giving up


@contextmanager
def connect(home: Path) -> Iterator[sqlite3.Connection]:
    """A fresh connection per operation: Streamlit serves sessions from many threads."""
    with closing(sqlite3.connect(Path(home) / DB_NAME, timeout=LOCK_TIMEOUT_S)) as db:
        with db:  # commit on success, roll back on error
            yield db


def create(home: Path, schema: str) -> None:
    """Make the data directory and the tables of `schema` if they are missing; WAL lets readers and a writer overlap."""
    Path(home).mkdir(parents=True, exist_ok=True)
    with connect(home) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)
