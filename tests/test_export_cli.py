"""`python -m model export NAME` and `python -m model drawings`: the Train and Draw pages' downloads, from the CLI."""

import io
import json
import zipfile

import numpy as np

from model.drawings import DrawingStore
from model.mnist import parse_idx
from model.registry import BUNDLED_PATH
from model.store import file_sha256
from tests.test_cli import errors, run


def test_export_writes_the_registry_file(tmp_path, digitlab_home):
    out = tmp_path / "mine.keras"
    done = run("model", "export", "default", "--out", str(out), "--json", home=digitlab_home)
    assert done.returncode == 0 and errors(done) == [], done.stderr
    assert out.read_bytes() == BUNDLED_PATH.read_bytes()
    size, digest = BUNDLED_PATH.stat().st_size, file_sha256(BUNDLED_PATH)
    assert json.loads(done.stdout) == {"name": "default", "file": str(out), "bytes": size, "sha256": digest}
    assert [p.name for p in tmp_path.iterdir()] == ["mine.keras"]  # no temporary file left behind

    into = run("model", "export", "default", "--out", str(tmp_path), home=digitlab_home)  # a folder: NAME.keras in it
    assert into.returncode == 0 and str(tmp_path / "default.keras") in into.stdout
    assert (tmp_path / "default.keras").read_bytes() == BUNDLED_PATH.read_bytes()


def test_export_of_a_model_that_does_not_exist(tmp_path, digitlab_home):
    done = run("model", "export", "nope", "--out", str(tmp_path / "nope.keras"), home=digitlab_home)
    assert done.returncode == 2 and len(errors(done)) == 1 and "no model named 'nope'" in errors(done)[0]
    assert "Traceback" not in done.stderr and done.stdout == "" and list(tmp_path.iterdir()) == []


def test_export_into_a_folder_that_does_not_exist(tmp_path, digitlab_home):
    out = tmp_path / "missing" / "default.keras"
    done = run("model", "export", "default", "--out", str(out), home=digitlab_home)
    assert done.returncode == 2 and len(errors(done)) == 1 and "does not exist" in errors(done)[0]
    assert "Traceback" not in done.stderr and not (tmp_path / "missing").exists()


def test_drawings_zip_or_one_sentence_when_there_are_none(tmp_path, digitlab_home):
    out = tmp_path / "drawings.zip"
    none = run("model", "drawings", "--out", str(out), home=digitlab_home)
    assert none.returncode == 2 and len(errors(none)) == 1 and "no saved drawings" in errors(none)[0]
    assert list(tmp_path.iterdir()) == []

    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:15] = 1.0
    store = DrawingStore(digitlab_home)
    store.add(image, 1, predicted=1)
    store.add(image.T, 7, predicted=4)
    done = run("model", "drawings", "--out", str(out), "--json", home=digitlab_home)
    assert done.returncode == 0 and errors(done) == [], done.stderr
    assert json.loads(done.stdout) == {"file": str(out), "drawings": 2, "bytes": out.stat().st_size}
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as archive:
        assert parse_idx(archive.read("labels-idx1-ubyte")).tolist() == [1, 7]
        assert np.array_equal(parse_idx(archive.read("images-idx3-ubyte")), store.arrays()[0])
    assert [p.name for p in tmp_path.iterdir()] == ["drawings.zip"]
