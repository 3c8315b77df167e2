""" "My drawings": the user's labelled drawings from the Draw page's Teach it loop.

Stored in the same SQLite database as the registry ($DIGITLAB_HOME/digitlab.sqlite3):
the 28x28 input the network saw, the raw canvas PNG, the true label, what the model
predicted, which model, and when. The Train page can add them to the training data and
the Errors page can evaluate on them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model import db as database
from model.registry import data_home, now_iso
from model.spec import IMAGE_SIDE, N_CLASSES

SCHEMA = """
CREATE TABLE IF NOT EXISTS drawings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT NOT NULL UNIQUE,   -- SHA-256 of image + label: saving the same drawing twice is a no-op
    image BLOB NOT NULL,           -- (28, 28) uint8, row-major: what the network saw
    canvas_png BLOB,               -- the raw canvas as PNG (may be NULL for uploads)
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER,             -- the model's digit when it was saved (NULL if none)
    model TEXT,                    -- the model that predicted it
    created TEXT NOT NULL
);
"""


class DrawingError(ValueError):
    """A drawing we refuse to store; the message is one sentence."""


@dataclass(frozen=True)
class Drawing:
    id: int
    image: np.ndarray  # (28, 28) float32 in [0, 1]
    canvas_png: bytes | None
    label: int
    predicted: int | None
    model: str | None
    created: str


class DrawingStore:
    def __init__(self, home: Path | None = None):
        self.home = Path(home) if home else data_home()
        database.create(self.home, SCHEMA)

    def _db(self):
        return database.connect(self.home)

    def add(
        self,
        image: np.ndarray,
        label: int,
        predicted: int | None = None,
        model: str | None = None,
        canvas_png: bytes | None = None,
    ) -> int:
        """Store one labelled drawing; returns its id (the existing id if this exact drawing is already stored).

        The same drawing saved again with another label keeps the last label only: two rows saying one
        picture is both a 1 and a 7 would teach the network nothing but noise."""
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) < N_CLASSES:
            raise DrawingError(f"the label must be a digit from 0 to 9, got {label!r}.")
        image = np.asarray(image, dtype=np.float32)
        if image.shape != (IMAGE_SIDE, IMAGE_SIDE):
            raise DrawingError(f"a drawing must be a 28x28 image, got shape {image.shape}.")
        pixels = np.clip(np.round(image * 255), 0, 255).astype(np.uint8).tobytes()
        digest = hashlib.sha256(pixels + bytes([int(label)])).hexdigest()
        with self._db() as db:
            db.execute("DELETE FROM drawings WHERE image = ? AND label != ?", (pixels, int(label)))
            db.execute(
                "INSERT OR IGNORE INTO drawings (digest, image, canvas_png, label, predicted, model, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    digest,
                    pixels,
                    canvas_png,
                    int(label),
                    None if predicted is None else int(predicted),
                    model,
                    now_iso(),
                ),
            )
            return db.execute("SELECT id FROM drawings WHERE digest = ?", (digest,)).fetchone()[0]

    def label_of(self, image: np.ndarray) -> int | None:
        """The label this exact 28x28 drawing is stored with, or None if it is not stored."""
        pixels = np.clip(np.round(np.asarray(image, dtype=np.float32) * 255), 0, 255).astype(np.uint8).tobytes()
        with self._db() as db:
            row = db.execute("SELECT label FROM drawings WHERE image = ? ORDER BY id DESC", (pixels,)).fetchone()
        return None if row is None else row[0]

    def list(self) -> list[Drawing]:
        """Every stored drawing, newest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT id, image, canvas_png, label, predicted, model, created FROM drawings ORDER BY id DESC"
            ).fetchall()
        return [Drawing(r[0], _decode(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def count(self) -> int:
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM drawings").fetchone()[0]

    def delete(self, drawing_id: int) -> None:
        with self._db() as db:
            db.execute("DELETE FROM drawings WHERE id = ?", (int(drawing_id),))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All drawings as MNIST-like arrays: x (n, 28, 28) uint8, y (n,) uint8, oldest first."""
        with self._db() as db:
            rows = db.execute("SELECT image, label FROM drawings ORDER BY id").fetchall()
        x = np.array([np.frombuffer(r[0], np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE) for r in rows], dtype=np.uint8)
        return x.reshape(-1, IMAGE_SIDE, IMAGE_SIDE), np.array([r[1] for r in rows], dtype=np.uint8)


def _decode(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE).astype(np.float32) / 255
