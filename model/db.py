"""The store of a data directory: one database (SQLAlchemy Core), its tables, and the workspace questions.

    eng = engine(home)                   # cached per data directory; the schema is migrated on first use
    with eng.begin() as conn:            # one transaction: committed when the block ends, rolled back on error
        conn.execute(select(models).where(models.c.workspace_id == ws.id))
    create_workspace(home, key_hash(key)) / workspace_for_key(home, key_hash(key)) / touch / delete_workspace

Every row belongs to a workspace (model/workspace.py): "personal" is the one local lab, "shared" holds the
bundled default that every workspace lists, and a shared server gives each visitor a random-id workspace.
The schema lives in model/migrations/ (Alembic); only portable SQLAlchemy Core is written here, so the same
store runs on SQLite (the file in the data directory) or on PostgreSQL (when $DIGITLAB_DATABASE_URL is set).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    CheckConstraint,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import NullPool

from model.snapshots import sidecar_path
from model.workspace import PERSONAL, SHARED, Workspace

DB_NAME = "digitlab.sqlite3"
LOCK_NAME = ".migrate.lock"  # flock'd while one process migrates: the server and a training child share the file
MIGRATE_LOCK_KEY = int.from_bytes(b"digitlab")  # PostgreSQL's advisory lock while one process migrates (a bigint)
POOL_SIZE, POOL_OVERFLOW = 5, 10  # PostgreSQL connections kept open per process, and how many more at a peak
RESTART_PATIENCE_S = 120  # how long a write that must not be lost waits for a restarting database (patiently)
LOCK_TIMEOUT_S = 30  # how long a writer waits for another connection's lock before giving up
HEAD = "0006"  # the newest migration in model/migrations/versions/
KEPT = (PERSONAL.id, SHARED.id)  # workspaces that are never deleted

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", String(32), primary_key=True),  # "personal", "shared", or 32 random hex digits
    Column("key_hash", String(64), unique=True, nullable=True),  # SHA-256 of the lab's key; NULL: no key opens it
    Column("created", Text, nullable=False),  # ISO 8601, UTC
    Column("last_seen", Text, nullable=False),  # ISO 8601, UTC: the last visit (unused_workspaces reads it)
    Column("active_model", Text, nullable=True),  # the name of its active model; NULL: the bundled default
    Column("account_hash", String(64), unique=True, nullable=True),  # a signed-in owner's account (SHA-256); NULL: none
)

models = Table(
    "models",
    metadata,
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("arch", Text, nullable=False),  # ArchSpec.to_dict() as JSON
    Column("train", Text, nullable=False),  # TrainConfig.to_dict() as JSON
    Column("metrics", Text, nullable=False),  # test metrics as JSON
    Column("history", Text, nullable=False),  # per-epoch curves as JSON
    Column("params", Integer, nullable=False),
    Column("accuracy", Float),
    Column("train_seconds", Float),
    Column("file", Text, nullable=False),  # path of the .keras file (relative to the data dir unless bundled)
    Column("sha256", Text, nullable=False),
    Column("created", Text, nullable=False),
    Column("bundled", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("workspace_id", "name"),  # a name is unique within a workspace, not across the server
)

drawings = Table(
    "drawings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("digest", Text, nullable=False),  # SHA-256 of image + label: saving the same drawing twice is a no-op
    Column("image", LargeBinary, nullable=False),  # (28, 28) uint8, row-major: what the network saw
    Column("canvas_png", LargeBinary),  # the raw canvas as PNG (may be NULL for uploads)
    Column("label", Integer, CheckConstraint("label BETWEEN 0 AND 9", name="ck_drawings_label"), nullable=False),
    Column("predicted", Integer),  # the model's digit when it was saved (NULL if none)
    Column("model", Text),  # the model that predicted it
    Column("created", Text, nullable=False),
    UniqueConstraint("workspace_id", "digest"),
    sqlite_autoincrement=True,  # ids are never reused, as before
)


classes = Table(
    "classes",
    metadata,
    Column("id", String(32), primary_key=True),  # 32 random hex digits
    Column("name", Text, nullable=False),
    Column("teacher_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("join_key", String(43), unique=True, nullable=False),  # the join link's key, shown to the class: not a hash
    Column("joining_open", Integer, nullable=False, server_default="1"),
    Column("max_students", Integer, nullable=False),
    Column("max_models", Integer, nullable=False),  # per student
    Column("shared_model", Text, nullable=True),  # one of the teacher's models, read-only in every student's lab
    Column("created", Text, nullable=False),
    Column("max_runs", Integer, nullable=False, server_default="10"),  # the class's runs queued or training at once
)

class_members = Table(
    "class_members",
    metadata,
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
    Column("class_id", String(32), ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    Column("nickname", Text, nullable=False),
    Column("joined", Text, nullable=False),
    UniqueConstraint("class_id", "nickname"),
)


runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),  # 32 random hex digits; the queue's task carries only this
    Column("workspace_id", String(32), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),  # the model it trains, saved in that workspace
    Column("arch", Text, nullable=False),  # ArchSpec.to_dict() as JSON
    Column("train", Text, nullable=False),  # TrainConfig.to_dict() as JSON
    Column("owner", Text, nullable=False, server_default=""),  # the browser session that pressed Train
    Column("status", String(16), nullable=False),  # queued, then model/runs.py RUNNING, then ENDED
    Column("stop", String(8), nullable=True),  # "keep" | "discard" | "cancel": what the person asked for
    Column("queued", Float, nullable=False),  # Unix time Train was pressed: the queue's order
    Column("started", Float, nullable=True),  # when a worker took it
    Column("finished", Float, nullable=True),
    Column("heartbeat", Float, nullable=True),  # the worker's last sign of life; a silent one is reaped
    Column("worker", Text, nullable=True),  # host:pid of the worker that took it
    Column("progress", Float, nullable=False, server_default="0"),  # 0..1 of all batches
    Column("fit_elapsed", Float, nullable=False, server_default="0"),  # seconds inside fit: the pace, for ETAs
    Column("events", Integer, nullable=False, server_default="0"),  # how many run_events rows it has
    Column("result", Text, nullable=True),  # the child's result event as JSON, once the model is saved
    Column("error", Text, nullable=True),  # one sentence when it failed
    Column("stderr_tail", Text, nullable=True),  # the child's last stderr lines when it failed
    Column("learning_start", Text, nullable=True),  # the first snapshot event (starting weights, the panel)
    Column("learning", Text, nullable=True),  # the latest snapshot event
    Column("dismissed", Integer, nullable=False, server_default="0"),  # its lab closed the finished run's panel
)
Index("ix_runs_status_queued", runs.c.status, runs.c.queued)
Index("ix_runs_workspace_id", runs.c.workspace_id)

run_events = Table(
    "run_events",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),  # 0, 1, 2... in the order the child printed them
    Column("body", Text, nullable=False),  # one `training fit --json` batch or epoch event
    PrimaryKeyConstraint("run_id", "seq"),
)

model_files = Table(
    "model_files",
    metadata,
    Column("sha256", String(64), primary_key=True),  # the .keras file's SHA-256, as models.sha256 has it
    Column("data", LargeBinary, nullable=False),  # the .keras file's bytes: any machine can rebuild the file
    Column("sidecar", LargeBinary, nullable=True),  # its snapshots sidecar's bytes (model/snapshots.py), if any
)


def database_url() -> str | None:
    """DIGITLAB_DATABASE_URL as SQLAlchemy's psycopg 3 URL, or None: the data directory's SQLite file."""
    url = os.environ.get("DIGITLAB_DATABASE_URL", "").strip()
    if not url:
        return None
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith(("postgresql+psycopg://", "sqlite:///")):  # the two databases the store is tested on
        raise ValueError("DIGITLAB_DATABASE_URL must be a postgresql://user@host:port/database URL")
    return url


def patiently(call, patience: float = RESTART_PATIENCE_S):
    """`call()`, tried again every second while the database cannot be reached (a PostgreSQL restart drops every
    connection; SQLite may say it is locked), for up to `patience` seconds: for writes that must not be lost."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return call()
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# --- the engine ------------------------------------------------------------------------------

_ENGINES: dict[str, Engine] = {}  # database URL -> its engine: one per database, whichever home asks
_ENGINES_LOCK = threading.Lock()


def engine(home: Path) -> Engine:
    """The engine of `home`'s store, made (and its schema migrated) once per process per database: the one
    $DIGITLAB_DATABASE_URL names (every machine of a server shares it), else the SQLite file in `home`."""
    url = database_url() or f"sqlite:///{Path(home).resolve() / DB_NAME}"
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = _new_engine(url, Path(home).resolve())
        return _ENGINES[url]


def _new_engine(url: str, home: Path) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        home.mkdir(parents=True, exist_ok=True)
        # NullPool: a fresh SQLite connection per operation, as before (Streamlit serves sessions from many
        # threads, and a test run opens hundreds of data directories without holding their files open)
        eng = create_engine(url, poolclass=NullPool)
        event.listen(eng, "connect", _sqlite_pragmas)
    else:
        # a few connections kept open for Streamlit's threads (the rest wait their turn); pre-ping replaces
        # the ones a restarted PostgreSQL closed instead of failing a page with them
        eng = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_pre_ping=True)
    migrate(eng, home)
    return eng


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers and a writer overlap; a writer waits for another's lock; foreign keys cascade deletes."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={LOCK_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def at_head(eng: Engine) -> bool:
    """True if the database's alembic_version says HEAD: the fast path, which never imports Alembic."""
    with eng.connect() as conn:
        return _version(conn) == HEAD


def _version(conn) -> str | None:
    """The revision alembic_version holds; None in a new database or one made before migrations."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(Table("alembic_version", MetaData(), Column("version_num")).select()).scalar()


def migrate(eng: Engine, home: Path) -> None:
    """Bring the schema to HEAD, one migrator at a time: on SQLite a flock on $home/.migrate.lock (the server
    and a training child share the file), on PostgreSQL an advisory lock (the server's machines share it).

    A database made before migrations existed has tables but no alembic_version: migration 0001 creates
    only what is missing, so it runs on it as on an empty one, then 0002 moves its rows into "personal"."""
    if at_head(eng):
        return
    if eng.dialect.name == "postgresql":
        with eng.begin() as conn:  # PostgreSQL's DDL is transactional: the whole migration commits or none of it
            conn.execute(select(func.pg_advisory_xact_lock(MIGRATE_LOCK_KEY)))  # released when it ends
            _to_head(conn)
        return
    with open(Path(home) / LOCK_NAME, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        with eng.connect() as conn:
            # rebuilding a table the others refer to drops the old copy, and with foreign keys on that DROP
            # cascades: every model and drawing would go. SQLite changes the setting only between transactions.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            with conn.begin():
                _to_head(conn)
                if conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("the migration left rows that belong to no workspace; nothing was changed.")


def _to_head(conn) -> None:
    """Inside the migrators' lock and a transaction: a new database gets the tables as they are now, an older
    one the migrations it lacks, one another process migrated while we waited nothing."""
    if _version(conn) == HEAD:
        return
    if not inspect(conn).get_table_names():
        _create_at_head(conn)
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")


def _create_at_head(conn) -> None:
    """Create every table of HEAD with its two kept workspaces, and say so in alembic_version, as the
    migrations would have left it, without Alembic's import and 0002's table rebuilds (a new data directory's
    first start waits for them). tests/test_workspaces.py checks both give the same schema."""
    metadata.create_all(conn, checkfirst=False)  # an empty database: no need to ask about each table
    now = now_iso()
    conn.execute(insert(workspaces), [{"id": ws, "created": now, "last_seen": now} for ws in KEPT])
    version = Table(  # as Alembic makes it, its key's name too
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    version.create(conn)
    conn.execute(insert(version).values(version_num=HEAD))


# --- workspaces ------------------------------------------------------------------------------


def _check_hash(value: str, of: str) -> None:
    if not (isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)):
        raise ValueError(f"{of} is stored as the SHA-256 hex digest of it, not as itself.")


def workspace_exists(home: Path, ws: Workspace) -> bool:
    with engine(home).connect() as conn:
        return conn.execute(select(workspaces.c.id).where(workspaces.c.id == ws.id)).first() is not None


def create_workspace(home: Path, key_hash: str) -> Workspace:
    """A new, empty workspace opened by the key whose hash is `key_hash`."""
    _check_hash(key_hash, "a workspace's key")
    ws = Workspace(secrets.token_hex(16))
    now = now_iso()
    with engine(home).begin() as conn:
        conn.execute(insert(workspaces).values(id=ws.id, key_hash=key_hash, created=now, last_seen=now))
    return ws


def workspace_for_key(home: Path, key_hash: str) -> Workspace | None:
    """The workspace that key opens, or None (a key hash never matches "personal" or "shared": theirs is NULL)."""
    with engine(home).connect() as conn:
        row = conn.execute(select(workspaces.c.id).where(workspaces.c.key_hash == key_hash)).first()
    return None if row is None else Workspace(row[0])


def workspace_for_account(home: Path, account_hash: str) -> Workspace | None:
    """The workspace of a signed-in account, or None if it has none yet."""
    with engine(home).connect() as conn:
        row = conn.execute(select(workspaces.c.id).where(workspaces.c.account_hash == account_hash)).first()
    return None if row is None else Workspace(row[0])


def create_account_workspace(home: Path, account_hash: str) -> Workspace:
    """The account's workspace, made empty on its first sign-in (no key opens it: only signing in does).
    Two tabs signing in at once get the same one: the unique account_hash lets one insert win."""
    _check_hash(account_hash, "an account")
    ws = Workspace(secrets.token_hex(16))
    now = now_iso()
    try:
        with engine(home).begin() as conn:
            conn.execute(insert(workspaces).values(id=ws.id, account_hash=account_hash, created=now, last_seen=now))
    except IntegrityError:
        found = workspace_for_account(home, account_hash)
        if found is None:
            raise
        return found
    return ws


def claim_workspace(home: Path, ws: Workspace, account_hash: str) -> bool:
    """Make a lab opened by its key the account's own: from then on signing in opens it, and its old link
    does not (the link may have been shared; the account is the owner now). An account keeps one lab: one it
    already has goes if it is empty (no model, drawing or class), else this returns False, changing nothing."""
    _check_hash(account_hash, "an account")
    if ws.id in KEPT:
        return False
    try:
        with engine(home).begin() as conn:
            current = conn.execute(select(workspaces.c.id).where(workspaces.c.account_hash == account_hash)).scalar()
            if current == ws.id:
                return True
            if current is not None:
                if not _empty(conn, current):
                    return False
                conn.execute(delete(workspaces).where(workspaces.c.id == current))
            claimed = conn.execute(
                update(workspaces)
                .where(workspaces.c.id == ws.id, workspaces.c.account_hash.is_(None))
                .values(account_hash=account_hash, key_hash=None, last_seen=now_iso())
            ).rowcount
            if claimed != 1:
                raise _Refused  # another account's lab: the transaction rolls back, the empty lab stays
    except (_Refused, IntegrityError):  # IntegrityError: a tab made the account's lab meanwhile
        return False
    return True


def workspace_is_empty(home: Path, ws: Workspace) -> bool:
    """True if the workspace holds no model and no drawing, and runs no class."""
    with engine(home).connect() as conn:
        return _empty(conn, ws.id)


def _empty(conn, workspace_id: str) -> bool:
    owned = [
        select(table.c[column]).where(table.c[column] == workspace_id).limit(1)
        for table, column in ((models, "workspace_id"), (drawings, "workspace_id"), (classes, "teacher_id"))
    ]
    return all(conn.execute(query).first() is None for query in owned)


class _Refused(Exception):
    """Inside claim_workspace: undo the transaction."""


def touch(home: Path, ws: Workspace) -> None:
    """Note a visit: unused_workspaces() goes by the last one."""
    with engine(home).begin() as conn:
        conn.execute(update(workspaces).where(workspaces.c.id == ws.id).values(last_seen=now_iso()))


def delete_workspace(home: Path, ws: Workspace) -> None:
    """Delete a workspace with every row and every file it owns (model files and their snapshot sidecars)."""
    if ws.id in KEPT:
        raise ValueError(f"the {ws.id!r} workspace cannot be deleted.")
    home = Path(home)
    with engine(home).begin() as conn:
        files = conn.execute(select(models.c.file).where(models.c.workspace_id == ws.id)).scalars().all()
        conn.execute(delete(drawings).where(drawings.c.workspace_id == ws.id))  # the cascade would too; say it
        conn.execute(delete(models).where(models.c.workspace_id == ws.id))
        conn.execute(delete(workspaces).where(workspaces.c.id == ws.id))
        drop_unused_files(conn)
    for file in files:  # rows first: a file without a row is harmless, a row without a file is not
        path = home / file
        path.unlink(missing_ok=True)
        sidecar_path(path).unlink(missing_ok=True)
    shutil.rmtree(home / "models" / ws.id, ignore_errors=True)


def drop_unused_files(conn) -> None:
    """Delete the bytes of model files no model row names any more (inside the caller's transaction)."""
    conn.execute(delete(model_files).where(~exists().where(models.c.sha256 == model_files.c.sha256)))


def unused_workspaces(home: Path, days: float) -> list[Workspace]:
    """Workspaces not visited for `days` days, oldest visit first (never "personal" or "shared")."""
    cutoff = (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()
    query = (
        select(workspaces.c.id)
        .where(workspaces.c.last_seen < cutoff, workspaces.c.id.not_in(KEPT))
        .order_by(workspaces.c.last_seen)
    )
    with engine(home).connect() as conn:
        return [Workspace(id) for id in conn.execute(query).scalars()]


def delete_unused(home: Path, days: float) -> int:
    """Delete every workspace unused for `days` days; returns how many."""
    unused = unused_workspaces(home, days)
    for ws in unused:
        delete_workspace(home, ws)
    return len(unused)
