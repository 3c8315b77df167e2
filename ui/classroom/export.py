"""The class's drawings as a zip in My drawings' format (model/export.py), plus each drawing's nickname.

    data = class_zip(home, room)     # images-idx3-ubyte, labels-idx1-ubyte, png/, drawings.csv (+ nickname)

Built only when the teacher clicks Download (a deferred st.download_button): one read per student's lab,
for the raw pictures and readings that classes.class_drawings leaves out.
"""

from __future__ import annotations

from pathlib import Path

from model import classes
from model.classes import Classroom
from model.drawings import DrawingStore
from model.export import pack_drawings

ZIP_NAME = "class-drawings.zip"


def class_zip(home: Path, room: Classroom) -> bytes:
    """Every drawing of the class's students, oldest first, with a `nickname` column in drawings.csv."""
    pooled = classes.class_drawings(home, room)  # ids in order, with whose they are
    saved = {}
    for member in classes.members(home, room):
        saved |= {d.id: d for d in DrawingStore(home, member.workspace).list()}
    kept = [(saved[i], name) for i, name in zip(pooled.ids.tolist(), pooled.nicknames) if i in saved]
    return pack_drawings([d for d, _ in kept], extra={"nickname": [name for _, name in kept]})
