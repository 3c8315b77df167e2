"""The registry: atomic saves, name validation, the active model, the undeletable bundled default."""

import numpy as np
import pytest
from sqlalchemy import update

from model import db
from model.inference import Classifier
from model.network import build_model
from model.registry import BUNDLED_NAME, Registry, RegistryError, check_name
from model.spec import ArchSpec
from model.store import ModelMeta, file_sha256, read_meta


def tiny(name: str) -> tuple:
    arch = ArchSpec.simple([8])
    return build_model(arch, seed=1), ModelMeta(name=name, arch=arch, metrics={"accuracy": 0.5})


@pytest.mark.parametrize("name", ["../../x", "a/b", "", ".hidden", "x" * 65, "sp ace", "é", "-lead"])
def test_bad_names_are_refused(name):
    with pytest.raises(RegistryError):
        check_name(name)


def test_fresh_registry_has_the_bundled_default_active(store):
    registry = Registry()
    records = registry.records()
    assert [r.name for r in records] == [BUNDLED_NAME]
    assert records[0].bundled and records[0].active and registry.active_name() == BUNDLED_NAME


def test_add_get_activate_delete(store):
    registry = Registry()
    record = registry.add(*tiny("mine"))
    assert record.path.is_file() and record.path.parent == store / "models"
    assert read_meta(record.path).name == "mine"
    registry.set_active("mine")
    assert registry.active_name() == "mine"
    registry.delete("mine")
    assert not record.path.exists() and registry.active_name() == BUNDLED_NAME


def test_duplicate_and_unknown_names_are_refused(store):
    registry = Registry()
    registry.add(*tiny("twice"))
    with pytest.raises(RegistryError, match="already exists"):
        registry.add(*tiny("twice"))
    with pytest.raises(RegistryError, match="no model named"):
        registry.get("nope")
    with pytest.raises(RegistryError, match="no model named"):
        registry.set_active("nope")


def test_bundled_default_cannot_be_deleted(store):
    with pytest.raises(RegistryError, match="cannot be deleted"):
        Registry().delete(BUNDLED_NAME)


def test_a_failed_save_leaves_no_file_and_no_row(store):
    registry = Registry()
    model, meta = tiny("broken")

    class Exploding:
        optimizer = None

        def save(self, path):
            open(path, "wb").write(b"half a model")
            raise OSError("disk full")

    with pytest.raises(OSError):
        registry.add(Exploding(), meta)
    assert not registry.exists("broken")
    assert list((store / "models").iterdir()) == []


def test_a_row_insert_failure_removes_the_file(store, monkeypatch):
    """Another session saves the same name between add's check and its insert: the database's unique key refuses
    the second row, and the file written for it goes."""
    registry = Registry()
    first = registry.add(*tiny("racing"))
    monkeypatch.setattr(registry, "exists", lambda name: False)  # the check ran before the other session's insert
    with pytest.raises(RegistryError, match="already exists"):
        registry.add(*tiny("racing"))
    assert list((store / "models").iterdir()) == [first.path]


def test_registry_reopens_with_the_same_state(store):
    Registry().add(*tiny("kept"))
    Registry().set_active("kept")
    again = Registry()
    assert again.active_name() == "kept" and again.exists("kept")


def test_corrupted_model_falls_back_to_bundled_with_a_warning(store):
    registry = Registry()
    record = registry.add(*tiny("damaged"))
    registry.set_active("damaged")
    record.path.write_bytes(b"not a zip any more")
    classifier = Classifier.load(registry=registry)
    assert classifier.name == BUNDLED_NAME
    assert "damaged" in classifier.warning and "bundled default" in classifier.warning
    assert classifier.predict_proba(np.zeros((1, 28, 28), np.float32)).shape == (1, 10)


def test_a_named_model_with_a_damaged_file_is_refused_not_replaced(store):
    registry = Registry()
    record = registry.add(*tiny("named"))
    record.path.write_bytes(b"not a zip any more")
    with pytest.raises(RegistryError, match=r"cannot load model 'named': .*damaged"):
        Classifier.load("named", registry)
    stand_in = Classifier.load("named", registry, fallback=True)  # what the app asks for
    assert stand_in.name == BUNDLED_NAME and "damaged" in stand_in.warning


@pytest.mark.parametrize("damage", ["checksum", "content"])
def test_a_damaged_model_cannot_be_made_active(store, damage):
    registry = Registry()
    record = registry.add(*tiny("broken"))
    if damage == "checksum":
        record.path.write_bytes(b"not a zip any more")
    else:  # the row's checksum matches, the archive is still not a model
        record.path.write_bytes(b"not a zip any more")
        with db.engine(store).begin() as conn:
            conn.execute(update(db.models).where(db.models.c.name == "broken").values(sha256=file_sha256(record.path)))
    with pytest.raises(RegistryError, match=r"cannot make 'broken' the active model: .*damaged"):
        registry.set_active("broken")
    assert registry.active_name() == BUNDLED_NAME
