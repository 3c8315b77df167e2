"""The model registry: every trained model, which one is active, all under one data directory.

    $DIGITLAB_HOME (default: var/ in the repo, git-ignored)
      digitlab.sqlite3     the store (model/db.py): models, workspaces (each one's active model)
      models/NAME.<id>.keras               the personal workspace's models
      models/<workspace id>/NAME.<id>.keras   another workspace's (a shared server's labs)

A Registry acts for one workspace (model/workspace.py): it lists, reads, activates and deletes
that workspace's models only. The bundled default (model/bundled/default.keras, part of the repo)
is one row of the "shared" workspace, listed as "default" in every workspace, active on a fresh
one, and cannot be deleted. A model file is renamed into place before its row is inserted, so
there is never a row without a file. The file's bytes (and its sidecar's) go into the store with the row
(model_files): a machine that lacks the file, a worker's model seen on a replica, rebuilds it from them.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from model import db as database
from model.classes import class_model
from model.db import drop_unused_files, model_files, models, now_iso, workspaces
from model.snapshots import Snapshots, sidecar_path
from model.spec import ArchSpec
from model.store import ModelFileError, ModelMeta, file_sha256, read_layers, read_meta, save_model
from model.workspace import PERSONAL, SHARED, Workspace

REPO = Path(__file__).resolve().parent.parent
BUNDLED_PATH = REPO / "model" / "bundled" / "default.keras"
BUNDLED_NAME = "default"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _newest_first(created: str) -> tuple[int, ...]:
    """A sort key putting later ISO 8601 times first."""
    return tuple(-ord(c) for c in created)


class RegistryError(ValueError):
    """A registry request we refuse; the message is one sentence for the user."""


@dataclass(frozen=True)
class ModelRecord:
    name: str
    arch: ArchSpec
    params: int
    accuracy: float | None  # MNIST test accuracy, 0..1
    train_seconds: float | None
    created: str
    path: Path
    sha256: str
    bundled: bool
    active: bool
    from_class: bool  # the model a student's teacher shares with the class: read-only, like the bundled one
    train: dict
    metrics: dict
    history: list

    def summary(self) -> dict:
        """The JSON-friendly row that `python -m model list --json` prints and the Train page shows."""
        return {
            "name": self.name,
            "architecture": self.arch.describe(),
            "params": self.params,
            "accuracy": self.accuracy,
            "train_seconds": self.train_seconds,
            "created": self.created,
            "active": self.active,
            "bundled": self.bundled,
        }


def data_home() -> Path:
    return Path(os.environ.get("DIGITLAB_HOME") or REPO / "var")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise RegistryError(
            f"model name {name!r} is not allowed: use 1 to 64 letters, digits, '-' or '_', starting with a letter or digit."
        )
    return name


class Registry:
    def __init__(self, home: Path | None = None, workspace: Workspace = PERSONAL):
        self.home = Path(home) if home else data_home()
        self.workspace = workspace
        self.engine = database.engine(self.home)
        if not database.workspace_exists(self.home, workspace):
            raise RegistryError(f"there is no workspace {workspace.id!r} in {self.home}.")
        # the personal workspace's files stay where they always were; another workspace's go in a folder of its own
        self.models_dir = self.home / "models" if workspace == PERSONAL else self.home / "models" / workspace.id
        self.models_dir.mkdir(parents=True, exist_ok=True)
        self._sync_bundled()

    def _mine(self):
        """The models this workspace sees: its own, the shared bundled default, and in a class the model its
        teacher shares (read-only, like the default)."""
        seen = [models.c.workspace_id == self.workspace.id, models.c.workspace_id == SHARED.id]
        shared = class_model(self.home, self.workspace)
        if shared is not None:
            seen.append(and_(models.c.workspace_id == shared[0].id, models.c.name == shared[1]))
        return or_(*seen)

    def _sync_bundled(self) -> None:
        """Keep the bundled default's row in step with the file shipped in the repo (and where the repo is)."""
        if not BUNDLED_PATH.is_file():
            return
        digest = file_sha256(BUNDLED_PATH)
        shared = (models.c.workspace_id == SHARED.id) & (models.c.name == BUNDLED_NAME)
        with self.engine.connect() as conn:
            row = conn.execute(select(models.c.sha256, models.c.file).where(shared)).first()
        if row and tuple(row) == (digest, str(BUNDLED_PATH)):
            return
        meta = read_meta(BUNDLED_PATH)
        meta.name = BUNDLED_NAME
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(models).where(shared))
                self._insert(conn, meta, str(BUNDLED_PATH), digest, bundled=True)
        except IntegrityError:
            pass  # another process synced it at the same moment

    def _insert(self, conn, meta: ModelMeta, file: str, digest: str, bundled: bool = False) -> None:
        conn.execute(
            insert(models).values(
                workspace_id=SHARED.id if bundled else self.workspace.id,
                name=meta.name,
                arch=json.dumps(meta.arch.to_dict()),
                train=json.dumps(meta.train),
                metrics=json.dumps(meta.metrics),
                history=json.dumps(meta.history),
                params=meta.params,
                accuracy=meta.metrics.get("accuracy"),
                train_seconds=meta.train_seconds,
                file=file,
                sha256=digest,
                created=meta.created or now_iso(),
                bundled=int(bundled),
            )
        )

    # --- reading -------------------------------------------------------------------------

    def records(self) -> list[ModelRecord]:
        """Every model of this workspace, newest first, the bundled default last."""
        active = self.active_name()
        query = select(models).where(self._mine()).order_by(models.c.bundled, models.c.created.desc(), models.c.name)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        records, names = [], set()
        for row in sorted(rows, key=lambda row: row["workspace_id"] != self.workspace.id):  # stable: own first
            if row["name"] not in names:  # a model of one's own hides the class's model of the same name
                names.add(row["name"])
                records.append(self._record(dict(row), active))
        return sorted(records, key=lambda r: (r.bundled, r.from_class, _newest_first(r.created), r.name))

    def get(self, name: str) -> ModelRecord:
        check_name(name)
        for record in self.records():
            if record.name == name:
                return record
        raise RegistryError(f"no model named {name!r}; `python -m model list` shows the models there are.")

    def exists(self, name: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(models.c.name).where(self._mine(), models.c.name == name)).first() is not None

    def active_name(self) -> str:
        with self.engine.connect() as conn:
            name = conn.execute(select(workspaces.c.active_model).where(workspaces.c.id == self.workspace.id)).scalar()
            if name and conn.execute(select(models.c.name).where(self._mine(), models.c.name == name)).first():
                return name
        return BUNDLED_NAME

    def _record(self, row: dict, active: str) -> ModelRecord:
        path = Path(row["file"])
        if not path.is_absolute():
            path = self.home / path
            if not path.is_file():  # trained on another machine (a worker): this one keeps a copy from now on
                self._fetch(row["sha256"], path)
        return ModelRecord(
            name=row["name"],
            arch=ArchSpec.from_dict(json.loads(row["arch"])),
            params=row["params"],
            accuracy=row["accuracy"],
            train_seconds=row["train_seconds"],
            created=row["created"],
            path=path,
            sha256=row["sha256"],
            bundled=bool(row["bundled"]),
            from_class=not row["bundled"] and row["workspace_id"] != self.workspace.id,
            active=row["name"] == active,
            train=json.loads(row["train"]),
            metrics=json.loads(row["metrics"]),
            history=json.loads(row["history"]),
        )

    def _fetch(self, digest: str, path: Path) -> None:
        """Write the model file whose SHA-256 is `digest` (and its sidecar) at `path` from the store's bytes;
        nothing if the store has none (verify() then says the file is missing). Renamed into place: atomic."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(model_files.c.data, model_files.c.sidecar).where(model_files.c.sha256 == digest)
            ).first()
        if row is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        for target, data in ((sidecar_path(path), row.sidecar), (path, row.data)):  # the file last: it says "here"
            if data is not None:
                partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
                partial.write_bytes(data)
                os.replace(partial, target)

    # --- writing -------------------------------------------------------------------------

    def add(self, keras_model, meta: ModelMeta, snapshots: Snapshots | None = None) -> ModelRecord:
        """Save a trained model under `meta.name`: its snapshot sidecar and file first (atomic renames), then its row."""
        check_name(meta.name)
        if database.patiently(lambda: self.exists(meta.name)):
            raise RegistryError(f"a model named {meta.name!r} already exists; choose another name.")
        meta.created = meta.created or now_iso()
        relative = (self.models_dir / f"{meta.name}.{uuid.uuid4().hex[:8]}.keras").relative_to(self.home)
        sidecar = sidecar_path(self.home / relative)
        try:
            if snapshots is not None:  # its checksum goes into the model's metadata, so it is written first
                meta.replay = {"sha256": snapshots.save(sidecar), "epochs": snapshots.epochs}
            digest = save_model(keras_model, meta, self.home / relative)
            data = (self.home / relative).read_bytes()
            replay = sidecar.read_bytes() if snapshots is not None else None

            def insert_rows() -> None:
                with self.engine.begin() as conn:
                    self._insert(conn, meta, str(relative), digest)
                    if conn.execute(select(model_files.c.sha256).where(model_files.c.sha256 == digest)).first() is None:
                        conn.execute(insert(model_files).values(sha256=digest, data=data, sidecar=replay))

            database.patiently(insert_rows)  # a trained model is not lost to a database restarting just then
        except (IntegrityError, sqlite3.IntegrityError):  # SQLAlchemy wraps the driver's; a raw one is caught too
            self._remove_files(self.home / relative)
            raise RegistryError(f"a model named {meta.name!r} already exists; choose another name.") from None
        except BaseException:
            self._remove_files(self.home / relative)
            raise
        return database.patiently(lambda: self.get(meta.name))

    @staticmethod
    def _remove_files(path: Path) -> None:
        """A model file and its snapshot sidecar, if either is there."""
        path.unlink(missing_ok=True)
        sidecar_path(path).unlink(missing_ok=True)

    def delete(self, name: str) -> None:
        record = self.get(name)
        if record.bundled:
            raise RegistryError(f"{name!r} is the bundled default model and cannot be deleted.")
        if record.from_class:
            raise RegistryError(f"{name!r} is the model your teacher shares with the class; only they can remove it.")
        mine = workspaces.c.id == self.workspace.id
        with self.engine.begin() as conn:
            conn.execute(delete(models).where(models.c.workspace_id == self.workspace.id, models.c.name == name))
            conn.execute(update(workspaces).where(mine, workspaces.c.active_model == name).values(active_model=None))
            drop_unused_files(conn)
        self._remove_files(record.path)

    def set_active(self, name: str) -> None:
        """Make `name` the active model; an unknown name or a file that cannot be loaded is refused."""
        record = self.get(name)
        try:
            self.verify(record)
            read_layers(record.path)
        except ModelFileError as error:
            raise RegistryError(f"cannot make {name!r} the active model: {error}") from None
        with self.engine.begin() as conn:
            conn.execute(update(workspaces).where(workspaces.c.id == self.workspace.id).values(active_model=name))

    def verify(self, record: ModelRecord) -> None:
        """Raise ModelFileError unless the record's file exists and matches its checksum."""
        if not record.path.is_file():
            raise ModelFileError(f"the file of model {record.name!r} is missing.")
        if file_sha256(record.path) != record.sha256:
            raise ModelFileError(f"the file of model {record.name!r} is damaged (checksum mismatch).")
