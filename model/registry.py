"""The model registry: every trained model, which one is active, all under one data directory.

    $DIGITLAB_HOME (default: var/ in the repo, git-ignored)
      digitlab.sqlite3     models table + settings (active model); WAL mode
      models/NAME.<id>.keras

The bundled default (model/bundled/default.keras, part of the repo) is always listed as
"default", is active on a fresh install, and cannot be deleted. A model file is renamed
into place before its row is inserted, so there is never a row without a file.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from model import db as database
from model.snapshots import Snapshots, sidecar_path
from model.spec import ArchSpec
from model.store import ModelFileError, ModelMeta, file_sha256, read_layers, read_meta, save_model

REPO = Path(__file__).resolve().parent.parent
BUNDLED_PATH = REPO / "model" / "bundled" / "default.keras"
BUNDLED_NAME = "default"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    name TEXT PRIMARY KEY,
    arch TEXT NOT NULL,          -- ArchSpec.to_dict() as JSON
    train TEXT NOT NULL,         -- TrainConfig.to_dict() as JSON
    metrics TEXT NOT NULL,       -- test metrics as JSON
    history TEXT NOT NULL,       -- per-epoch curves as JSON
    params INTEGER NOT NULL,
    accuracy REAL,
    train_seconds REAL,
    file TEXT NOT NULL,          -- path of the .keras file (relative to the data dir unless bundled)
    sha256 TEXT NOT NULL,
    created TEXT NOT NULL,
    bundled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


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


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Registry:
    def __init__(self, home: Path | None = None):
        self.home = Path(home) if home else data_home()
        self.models_dir = self.home / "models"
        self.models_dir.mkdir(parents=True, exist_ok=True)
        database.create(self.home, SCHEMA)
        self._sync_bundled()

    def _db(self):
        return database.connect(self.home)

    def _sync_bundled(self) -> None:
        """Keep the bundled default's row in step with the file shipped in the repo."""
        if not BUNDLED_PATH.is_file():
            return
        digest = file_sha256(BUNDLED_PATH)
        with self._db() as db:
            row = db.execute("SELECT sha256 FROM models WHERE name = ?", (BUNDLED_NAME,)).fetchone()
        if row and row[0] == digest:
            return
        meta = read_meta(BUNDLED_PATH)
        meta.name = BUNDLED_NAME
        with self._db() as db:
            db.execute("DELETE FROM models WHERE name = ?", (BUNDLED_NAME,))
            self._insert(db, meta, str(BUNDLED_PATH), digest, bundled=True)

    def _insert(self, db, meta: ModelMeta, file: str, digest: str, bundled: bool = False) -> None:
        db.execute(
            "INSERT INTO models (name, arch, train, metrics, history, params, accuracy, train_seconds, file, sha256,"
            " created, bundled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                meta.name,
                json.dumps(meta.arch.to_dict()),
                json.dumps(meta.train),
                json.dumps(meta.metrics),
                json.dumps(meta.history),
                meta.params,
                meta.metrics.get("accuracy"),
                meta.train_seconds,
                file,
                digest,
                meta.created or now_iso(),
                int(bundled),
            ),
        )

    # --- reading -------------------------------------------------------------------------

    def records(self) -> list[ModelRecord]:
        """Every model, newest first, the bundled default last."""
        active = self.active_name()
        with self._db() as db:
            rows = db.execute("SELECT * FROM models ORDER BY bundled, created DESC, name").fetchall()
            cols = [c[0] for c in db.execute("SELECT * FROM models LIMIT 0").description]
        return [self._record(dict(zip(cols, row)), active) for row in rows]

    def get(self, name: str) -> ModelRecord:
        check_name(name)
        for record in self.records():
            if record.name == name:
                return record
        raise RegistryError(f"no model named {name!r}; `python -m model list` shows the models there are.")

    def exists(self, name: str) -> bool:
        with self._db() as db:
            return db.execute("SELECT 1 FROM models WHERE name = ?", (name,)).fetchone() is not None

    def active_name(self) -> str:
        with self._db() as db:
            row = db.execute("SELECT value FROM settings WHERE key = 'active'").fetchone()
            if row and db.execute("SELECT 1 FROM models WHERE name = ?", (row[0],)).fetchone():
                return row[0]
        return BUNDLED_NAME

    def _record(self, row: dict, active: str) -> ModelRecord:
        path = Path(row["file"])
        if not path.is_absolute():
            path = self.home / path
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
            active=row["name"] == active,
            train=json.loads(row["train"]),
            metrics=json.loads(row["metrics"]),
            history=json.loads(row["history"]),
        )

    # --- writing -------------------------------------------------------------------------

    def add(self, keras_model, meta: ModelMeta, snapshots: Snapshots | None = None) -> ModelRecord:
        """Save a trained model under `meta.name`: its snapshot sidecar and file first (atomic renames), then its row."""
        check_name(meta.name)
        if self.exists(meta.name):
            raise RegistryError(f"a model named {meta.name!r} already exists; choose another name.")
        meta.created = meta.created or now_iso()
        relative = Path("models") / f"{meta.name}.{uuid.uuid4().hex[:8]}.keras"
        sidecar = sidecar_path(self.home / relative)
        try:
            if snapshots is not None:  # its checksum goes into the model's metadata, so it is written first
                meta.replay = {"sha256": snapshots.save(sidecar), "epochs": snapshots.epochs}
            digest = save_model(keras_model, meta, self.home / relative)
            with self._db() as db:
                self._insert(db, meta, str(relative), digest)
        except sqlite3.IntegrityError:
            self._remove_files(self.home / relative)
            raise RegistryError(f"a model named {meta.name!r} already exists; choose another name.") from None
        except BaseException:
            self._remove_files(self.home / relative)
            raise
        return self.get(meta.name)

    @staticmethod
    def _remove_files(path: Path) -> None:
        """A model file and its snapshot sidecar, if either is there."""
        path.unlink(missing_ok=True)
        sidecar_path(path).unlink(missing_ok=True)

    def delete(self, name: str) -> None:
        record = self.get(name)
        if record.bundled:
            raise RegistryError(f"{name!r} is the bundled default model and cannot be deleted.")
        with self._db() as db:
            db.execute("DELETE FROM models WHERE name = ?", (name,))
            db.execute("DELETE FROM settings WHERE key = 'active' AND value = ?", (name,))
        self._remove_files(record.path)

    def set_active(self, name: str) -> None:
        """Make `name` the active model; an unknown name or a file that cannot be loaded is refused."""
        record = self.get(name)
        try:
            self.verify(record)
            read_layers(record.path)
        except ModelFileError as error:
            raise RegistryError(f"cannot make {name!r} the active model: {error}") from None
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('active', ?)", (name,))

    def verify(self, record: ModelRecord) -> None:
        """Raise ModelFileError unless the record's file exists and matches its checksum."""
        if not record.path.is_file():
            raise ModelFileError(f"the file of model {record.name!r} is missing.")
        if file_sha256(record.path) != record.sha256:
            raise ModelFileError(f"the file of model {record.name!r} is damaged (checksum mismatch).")
