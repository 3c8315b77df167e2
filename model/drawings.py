""" "My drawings": the user's labelled drawings from the Draw page's Teach it loop.

Stored in the same database as the registry (model/db.py `drawings`), per workspace:
the 28x28 input the network saw, the raw canvas PNG, the true label, what the model
predicted, which model, and when. The Train page can add them to the training data and
the Errors page can evaluate on them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from model import db as database
from model.db import drawings, now_iso, workspaces
from model.registry import data_home
from model.spec import IMAGE_SIDE, N_CLASSES
from model.workspace import PERSONAL, Workspace


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
    def __init__(self, home: Path | None = None, workspace: Workspace = PERSONAL):
        self.home = Path(home) if home else data_home()
        self.workspace = workspace
        self.engine = database.engine(self.home)
        if not database.workspace_exists(self.home, workspace):
            raise DrawingError(f"there is no workspace {workspace.id!r} in {self.home}.")

    def _mine(self):
        return drawings.c.workspace_id == self.workspace.id

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
        pixels = _pixels(image)
        digest = hashlib.sha256(pixels + bytes([int(label)])).hexdigest()
        same = select(drawings.c.id).where(self._mine(), drawings.c.digest == digest)
        try:
            with self.engine.begin() as conn:
                # lock the lab's row first: saves of one drawing with two labels at once then take turns (on
                # PostgreSQL they would not see each other's rows and both insert; SQLite's DELETE locks anyway)
                conn.execute(update(workspaces).where(workspaces.c.id == self.workspace.id).values(id=workspaces.c.id))
                conn.execute(
                    delete(drawings).where(self._mine(), drawings.c.image == pixels, drawings.c.label != int(label))
                )
                found = conn.execute(same).scalar()
                if found is not None:
                    return found
                inserted = conn.execute(
                    insert(drawings).values(
                        workspace_id=self.workspace.id,
                        digest=digest,
                        image=pixels,
                        canvas_png=canvas_png,
                        label=int(label),
                        predicted=None if predicted is None else int(predicted),
                        model=model,
                        created=now_iso(),
                    )
                )
                return inserted.inserted_primary_key[0]
        except IntegrityError:  # the same drawing, saved at the same moment by another session
            with self.engine.connect() as conn:
                return conn.execute(same).scalar_one()

    def label_of(self, image: np.ndarray) -> int | None:
        """The label this exact 28x28 drawing is stored with, or None if it is not stored."""
        query = select(drawings.c.label).where(self._mine(), drawings.c.image == _pixels(image))
        with self.engine.connect() as conn:
            return conn.execute(query.order_by(drawings.c.id.desc())).scalar()

    def list(self) -> list[Drawing]:
        """Every stored drawing of this workspace, newest first."""
        c = drawings.c
        query = select(c.id, c.image, c.canvas_png, c.label, c.predicted, c.model, c.created).where(self._mine())
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(c.id.desc())).all()
        return [Drawing(r[0], _decode(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(drawings).where(self._mine())).scalar_one()

    def delete(self, drawing_id: int) -> None:
        """Delete one of this workspace's drawings (another workspace's id deletes nothing)."""
        with self.engine.begin() as conn:
            conn.execute(delete(drawings).where(self._mine(), drawings.c.id == int(drawing_id)))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All drawings as MNIST-like arrays: x (n, 28, 28) uint8, y (n,) uint8, oldest first."""
        query = select(drawings.c.image, drawings.c.label).where(self._mine()).order_by(drawings.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        x = np.array([np.frombuffer(r[0], np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE) for r in rows], dtype=np.uint8)
        return x.reshape(-1, IMAGE_SIDE, IMAGE_SIDE), np.array([r[1] for r in rows], dtype=np.uint8)


def _pixels(image: np.ndarray) -> bytes:
    """(28, 28) float in [0, 1] -> 784 uint8 bytes, as stored."""
    return np.clip(np.round(np.asarray(image, dtype=np.float32) * 255), 0, 255).astype(np.uint8).tobytes()


def _decode(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE).astype(np.float32) / 255
