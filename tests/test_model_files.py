"""Model files travel through the store: a model saved on one machine (a worker) is rebuilt, byte for byte, on
another (a replica) that shares only the database; deleting the model deletes its bytes. On SQLite and PostgreSQL:
two data directories, one database URL (DIGITLAB_DATABASE_URL takes a SQLite URL too)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

from model import db
from model.inference import Classifier
from model.network import build_model
from model.registry import Registry
from model.snapshots import sidecar_path
from model.spec import ArchSpec
from model.store import ModelMeta, file_sha256


def test_a_model_saved_on_one_machine_is_rebuilt_on_another_from_the_store(empty_database, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATABASE_URL", empty_database())
    worker, replica = tmp_path / "worker", tmp_path / "replica"
    arch = ArchSpec.simple([8])
    saved = Registry(worker).add(build_model(arch), ModelMeta(name="travels", arch=arch, train={}, metrics={}))
    assert not (replica / saved.path.relative_to(worker)).exists()

    seen = Registry(replica).get("travels")  # the replica's listing rebuilds the file it lacks
    assert seen.path.is_relative_to(replica) and file_sha256(seen.path) == saved.sha256
    Registry(replica).verify(seen)
    x = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    expected = Classifier.load("travels", Registry(worker)).predict_proba(x)
    np.testing.assert_array_equal(Classifier.load("travels", Registry(replica)).predict_proba(x), expected)
    assert not list(seen.path.parent.glob(".*.part"))  # nothing half-written left beside it

    Registry(replica).delete("travels")
    with db.engine(replica).connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.model_files)).scalar_one() == 0
    assert not sidecar_path(seen.path).exists() and not seen.path.exists()
