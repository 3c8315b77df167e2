"""The teacher's Class page for a full class: one run of the page's script, 30 students x 20 drawings.

    .venv/bin/python -m bench.class_page [--students 30] [--drawings 20] [--repeats 5]

Fills a fresh $DIGITLAB_HOME through the store (MNIST test digits as the students' drawings), then runs
pages/4_Class.py with AppTest as the teacher, and prints, in seconds:
  first:  the first run (loads the model, evaluates it on the class's drawings, draws the QR code);
  again:  later runs with nothing changed (the evaluation cached), median and spread;
  cell:   a run showing the drawings behind a clicked cell;
  fresh:  a run after a drawing was removed (a new fingerprint: the evaluation runs again).
AppTest runs the script in this process without a browser: the figures are the server's work per run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def fill(home: Path, students: int, per_student: int) -> str:
    """A class of `students` with `per_student` drawings each; returns the teacher's key."""
    from model import classes, db
    from model.drawings import DrawingStore
    from model.workspace import key_hash, new_key
    from training.data import load_mnist

    teacher_key = new_key()
    room, _ = classes.create_class(home, "7B maths", db.create_workspace(home, key_hash(teacher_key)), max_students=500)
    _, (x, y) = load_mnist()
    for s in range(students):
        student, _ = classes.join(home, room, f"student {s + 1}")
        store = DrawingStore(home, student)
        for i in range(s * per_student, (s + 1) * per_student):
            store.add(x[i].astype(np.float32) / 255, int(y[i]))
    return teacher_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--drawings", type=int, default=20, help="per student")
    parser.add_argument("--repeats", type=int, default=5, help="runs with nothing changed")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="class-page-bench-"))
    os.environ.update(DIGITLAB_HOME=str(home), DIGITLAB_SHARED="1")
    from streamlit.testing.v1 import AppTest

    from model import classes

    teacher_key = fill(home, args.students, args.drawings)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.query_params["key"] = teacher_key
    at.run()
    at.switch_page("pages/4_Class.py")

    def timed() -> float:
        start = time.perf_counter()
        at.run()
        if at.exception:
            raise SystemExit(f"the page failed: {at.exception[0].value}")
        return time.perf_counter() - start

    first = timed()
    again = [timed() for _ in range(args.repeats)]
    at.session_state["class_cell"] = (1, 1)  # as a click on the matrix's (1, 1) cell leaves it
    cell = timed()
    room = classes.classes_taught(home, classes.db.workspace_for_key(home, classes.key_hash(teacher_key)))[0]
    classes.remove_drawing(home, room, int(classes.class_drawings(home, room).ids[0]))
    fresh = timed()
    print(f"Class page, {args.students} students x {args.drawings} drawings (AppTest, one run of the script)")
    print(f"  first  {first:6.3f} s")
    print(f"  again  {statistics.median(again):6.3f} s  (median of {len(again)}, {min(again):.3f}-{max(again):.3f})")
    print(f"  cell   {cell:6.3f} s")
    print(f"  fresh  {fresh:6.3f} s  (after a drawing was removed)")


if __name__ == "__main__":
    main()
