"""The store's workspaces: upgrading a data directory made by main, isolation, keys, the migration lock."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, create_engine, func, inspect, select, text, update

from model import db
from model.drawings import DrawingStore
from model.network import build_model
from model.registry import BUNDLED_NAME, Registry, RegistryError
from model.snapshots import sidecar_path
from model.spec import ArchSpec
from model.store import ModelMeta, file_sha256
from model.workspace import PERSONAL, SHARED, Workspace, account_hash, is_key, key_hash, new_key

REPO = Path(__file__).resolve().parent.parent
# made by commit ac86e1f, before the store: `training fit --hidden 8 --epochs 1 --train-limit 600 --name tiny
# --no-snapshots`, `model activate tiny`, two drawings saved with its DrawingStore; the WAL checkpointed
OLD_HOME = REPO / "tests" / "fixtures" / "main-ac86e1f-home"
# made by commit 175c869 (schema 0002) from a copy of OLD_HOME: a visitor's lab opened by the key "k" * 43,
# holding a model also named "tiny" (active there) and one drawing; tables the rebuild of 0003 must keep
LAB_HOME = REPO / "tests" / "fixtures" / "main-175c869-home"
LAB = Workspace("801467387e65b529f37fa9e03e3e668b")


def tiny(name: str) -> tuple:
    arch = ArchSpec.simple([8])
    return build_model(arch, seed=1), ModelMeta(name=name, arch=arch, metrics={"accuracy": 0.5})


def drawing(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (28, 28)).astype(np.float32) / 255


def n_workspaces(home: Path) -> int:
    with db.engine(home).connect() as conn:
        return conn.execute(select(func.count()).select_from(db.workspaces)).scalar_one()


def schema(eng: Engine) -> dict:
    """Each table's columns (name, type, nullable; in any order), keys, unique column sets, checks and indexes."""
    with eng.connect() as conn:
        seen = inspect(conn)
        keys = {table: seen.get_pk_constraint(table) for table in seen.get_table_names()}
        return {
            table: (
                sorted(
                    # SQLite's spelling aside: main declared FLOAT as REAL, and a primary key column is never NULL
                    (
                        c["name"],
                        {"REAL": "FLOAT"}.get(str(c["type"]), str(c["type"])),
                        c["nullable"] and c["name"] not in keys[table]["constrained_columns"],
                    )
                    for c in seen.get_columns(table)
                ),
                (keys[table]["name"], keys[table]["constrained_columns"]),
                sorted(
                    (f["name"], tuple(f["constrained_columns"]), f["referred_table"], f["options"].get("ondelete"))
                    for f in seen.get_foreign_keys(table)
                ),
                sorted((u["name"], tuple(u["column_names"])) for u in seen.get_unique_constraints(table)),
                sorted((c["name"], c["sqltext"]) for c in seen.get_check_constraints(table)),
                sorted((i["name"], tuple(i["column_names"]), i["unique"]) for i in seen.get_indexes(table)),
            )
            for table in sorted(seen.get_table_names())
        }


def test_a_new_database_gets_the_schema_the_migrations_give(store, empty_database):
    """A new store is created at HEAD without running Alembic (start-up time): the same tables, keys and names."""
    from alembic import command
    from alembic.config import Config

    Registry(store)
    migrated = create_engine(empty_database())  # every migration from an empty database, as Alembic runs them
    config = Config()
    config.set_main_option("script_location", str(REPO / "model" / "migrations"))
    with migrated.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert schema(db.engine(store)) == schema(migrated)
    assert n_workspaces(store) == 2 and Registry(store).active_name() == BUNDLED_NAME
    migrated.dispose()


# --- a data directory made by main before this change --------------------------------------------------


def old_home(tmp_path: Path) -> Path:
    home = tmp_path / "old"
    shutil.copytree(OLD_HOME, home)
    return home


def test_a_data_directory_made_by_main_upgrades_in_place_with_nothing_lost(tmp_path):
    home = old_home(tmp_path)
    with sqlite3.connect(home / db.DB_NAME) as conn:  # what main left there, read with main's own schema
        old_models = dict(conn.execute("SELECT name, sha256 FROM models").fetchall())
        old_drawings = conn.execute("SELECT id, image, canvas_png, label, predicted, model FROM drawings").fetchall()
    assert "alembic_version" not in str(conn) and set(old_models) == {BUNDLED_NAME, "tiny"} and len(old_drawings) == 2

    registry = Registry(home)
    assert registry.active_name() == "tiny"
    tiny_record = registry.get("tiny")
    assert tiny_record.sha256 == old_models["tiny"] and tiny_record.path.parent == home / "models"
    assert file_sha256(tiny_record.path) == tiny_record.sha256 and tiny_record.arch.hidden[0].units == 8
    assert [r.name for r in registry.records()] == ["tiny", BUNDLED_NAME] and registry.get(BUNDLED_NAME).bundled

    store = DrawingStore(home)
    got = {d.id: d for d in store.list()}
    assert sorted(got) == [1, 2]
    for id_, image, png, label, predicted, model in old_drawings:
        d = got[id_]
        assert (np.round(d.image * 255).astype(np.uint8).tobytes(), d.canvas_png) == (image, png)
        assert (d.label, d.predicted, d.model) == (label, predicted, model)
    assert store.add(got[1].image, got[1].label) == 1  # the same drawing is still recognised
    assert store.add(drawing(0), 3) == 3  # ids go on from the old ones

    with sqlite3.connect(home / db.DB_NAME) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (db.HEAD,)
        owners = conn.execute("SELECT name, workspace_id FROM models ORDER BY name").fetchall()
    assert "settings" not in tables and {"workspaces", "models", "drawings"} <= tables
    assert owners == [(BUNDLED_NAME, SHARED.id), ("tiny", PERSONAL.id)]
    assert schema(db.engine(home)) == schema(db.engine(tmp_path / "new"))  # as if it had been made today


def test_a_data_directory_with_labs_upgrades_with_every_lab_kept(tmp_path):
    """0003 rebuilds the table every model and drawing refers to: with foreign keys on, that would cascade."""
    home = tmp_path / "labs"
    shutil.copytree(LAB_HOME, home)
    with sqlite3.connect(home / db.DB_NAME) as conn:
        before = conn.execute("SELECT workspace_id, name, sha256 FROM models ORDER BY 1, 2").fetchall()
        drawn = conn.execute("SELECT id, workspace_id, image FROM drawings ORDER BY id").fetchall()
    assert len(before) == 3 and len(drawn) == 3

    assert db.workspace_for_key(home, key_hash("k" * 43)) == LAB  # the lab's key still opens it
    with sqlite3.connect(home / db.DB_NAME) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (db.HEAD,)
        assert conn.execute("SELECT workspace_id, name, sha256 FROM models ORDER BY 1, 2").fetchall() == before
        assert conn.execute("SELECT id, workspace_id, image FROM drawings ORDER BY id").fetchall() == drawn
    assert Registry(home, LAB).active_name() == "tiny" and Registry(home).active_name() == "tiny"
    assert Registry(home, LAB).get("tiny").path.parent == home / "models" / LAB.id
    assert DrawingStore(home, LAB).count() == 1 and DrawingStore(home).count() == 2


def test_opening_an_upgraded_directory_again_changes_nothing(tmp_path):
    home = old_home(tmp_path)
    Registry(home), DrawingStore(home)
    dump = "\n".join(sqlite3.connect(home / db.DB_NAME).iterdump())
    db._ENGINES.clear()  # as a new process would: the migration check runs again
    Registry(home), DrawingStore(home)
    assert "\n".join(sqlite3.connect(home / db.DB_NAME).iterdump()) == dump


def test_an_older_directory_with_only_the_drawings_table_is_completed(tmp_path):
    """main's DrawingStore created its table alone: 0001 creates the missing ones instead of assuming them."""
    home = tmp_path / "drawings-only"
    home.mkdir()
    with sqlite3.connect(home / db.DB_NAME) as conn:
        conn.execute(
            "CREATE TABLE drawings (id INTEGER PRIMARY KEY AUTOINCREMENT, digest TEXT NOT NULL UNIQUE,"
            " image BLOB NOT NULL, canvas_png BLOB, label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),"
            " predicted INTEGER, model TEXT, created TEXT NOT NULL)"
        )
        conn.execute("INSERT INTO drawings (digest, image, label, created) VALUES ('d', ?, 4, 'then')", (bytes(784),))
    assert DrawingStore(home).arrays()[1].tolist() == [4]
    assert Registry(home).active_name() == BUNDLED_NAME


# --- isolation -------------------------------------------------------------------------------------------


def test_two_workspaces_never_see_each_others_models_or_drawings(store):
    a = db.create_workspace(store, key_hash(new_key()))
    b = db.create_workspace(store, key_hash(new_key()))
    reg_a, reg_b = Registry(store, a), Registry(store, b)
    record = reg_a.add(*tiny("mine"))
    reg_a.set_active("mine")
    assert record.path.parent == store / "models" / a.id
    assert reg_a.active_name() == "mine" and reg_b.active_name() == BUNDLED_NAME
    assert [r.name for r in reg_b.records()] == [BUNDLED_NAME] and not reg_b.exists("mine")
    assert not Registry(store).exists("mine")  # nor the personal lab
    with pytest.raises(RegistryError, match="no model named 'mine'"):
        reg_b.get("mine")
    with pytest.raises(RegistryError, match="no model named 'mine'"):
        reg_b.delete("mine")
    with pytest.raises(RegistryError, match="no model named 'mine'"):
        reg_b.set_active("mine")
    assert reg_a.exists("mine") and record.path.is_file() and reg_a.active_name() == "mine"

    same = reg_b.add(*tiny("mine"))  # a name is unique within a workspace, not across the server
    assert same.path != record.path and reg_a.get("mine").path == record.path
    with pytest.raises(RegistryError, match="already exists"):
        reg_b.add(*tiny(BUNDLED_NAME))  # the bundled default's name stays reserved

    draw_a, draw_b = DrawingStore(store, a), DrawingStore(store, b)
    id_a = draw_a.add(drawing(1), 7, canvas_png=b"png-a")
    assert draw_b.count() == 0 and draw_b.list() == [] and len(draw_b.arrays()[0]) == 0
    assert draw_b.label_of(drawing(1)) is None
    draw_b.delete(id_a)  # another lab's id deletes nothing
    assert draw_a.count() == 1
    id_b = draw_b.add(drawing(1), 7)  # the same drawing in another lab is its own row
    assert id_b != id_a and draw_a.count() == draw_b.count() == 1 and DrawingStore(store).count() == 0


def test_delete_workspace_removes_every_row_and_file_of_it_and_nothing_else(store):
    a = db.create_workspace(store, key_hash(new_key()))
    b = db.create_workspace(store, key_hash(new_key()))
    rec_a = Registry(store, a).add(*tiny("gone"))
    sidecar_path(rec_a.path).write_bytes(b"snapshots")  # the replay beside it
    rec_b = Registry(store, b).add(*tiny("kept"))
    mine = Registry(store).add(*tiny("personal-one"))
    DrawingStore(store, a).add(drawing(2), 1)
    DrawingStore(store, b).add(drawing(2), 1)
    Registry(store, a).set_active("gone")

    db.delete_workspace(store, a)
    assert not rec_a.path.exists() and not sidecar_path(rec_a.path).exists()
    assert not (store / "models" / a.id).exists()
    with db.engine(store).connect() as conn:
        for column in (db.workspaces.c.id, db.models.c.workspace_id, db.drawings.c.workspace_id):
            assert conn.execute(select(func.count()).select_from(column.table).where(column == a.id)).scalar() == 0
    assert rec_b.path.is_file() and Registry(store, b).exists("kept") and mine.path.is_file()
    assert DrawingStore(store, b).count() == 1
    with pytest.raises(RegistryError, match="no workspace"):
        Registry(store, a)


def test_unused_workspaces_go_by_last_seen_and_the_personal_one_is_never_deleted(store):
    old = db.create_workspace(store, key_hash(new_key()))
    fresh = db.create_workspace(store, key_hash(new_key()))
    Registry(store, old).add(*tiny("old-model"))
    with db.engine(store).begin() as conn:  # nobody has visited these for 40 days
        conn.execute(
            update(db.workspaces)
            .where(db.workspaces.c.id.in_([old.id, fresh.id, PERSONAL.id, SHARED.id]))
            .values(last_seen="2000-01-01T00:00:00+00:00")
        )
    db.touch(store, fresh)
    assert db.unused_workspaces(store, 30) == [old]
    assert db.delete_unused(store, 30) == 1
    assert db.unused_workspaces(store, 30) == [] and n_workspaces(store) == 3
    assert Registry(store).records()[-1].name == BUNDLED_NAME  # personal and the shared default remain
    for kept in (PERSONAL, SHARED):
        with pytest.raises(ValueError, match="cannot be deleted"):
            db.delete_workspace(store, kept)


# --- keys ------------------------------------------------------------------------------------------------


def every_value(home: Path) -> str:
    """Every row of every table, as text: what a copy of the database would give away."""
    with db.engine(home).connect() as conn:
        return repr([conn.execute(select(table)).all() for table in db.metadata.sorted_tables])


def test_a_key_is_random_enough_and_only_its_hash_is_stored(store):
    key = new_key()
    assert len(key) * 6 >= 256 and is_key(key) and new_key() != key
    ws = db.create_workspace(store, key_hash(key))
    DrawingStore(store, ws).add(drawing(3), 2)
    assert db.workspace_for_key(store, key_hash(key)) == ws
    assert key_hash(key) in every_value(store) and key not in every_value(store)


def test_not_even_the_sqlite_files_bytes_hold_a_key(digitlab_home):
    key = new_key()
    DrawingStore(digitlab_home, db.create_workspace(digitlab_home, key_hash(key))).add(drawing(3), 2)
    with sqlite3.connect(digitlab_home / db.DB_NAME) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = b"".join(p.read_bytes() for p in digitlab_home.glob(db.DB_NAME + "*"))
    assert key_hash(key).encode() in stored and key.encode() not in stored


@pytest.mark.parametrize("bad", ["tampered", "truncated", "empty", "padded", "not-a-string"])
def test_a_tampered_truncated_or_empty_key_finds_nothing_and_creates_nothing(store, bad):
    key = new_key()
    db.create_workspace(store, key_hash(key))
    flipped = key[:10] + ("A" if key[10] != "A" else "B") + key[11:]
    candidate = {
        "tampered": flipped,
        "truncated": key[:-1],
        "empty": "",
        "padded": key + "=",
        "not-a-string": None,
    }[bad]
    before = n_workspaces(store)
    if bad == "tampered":
        assert is_key(candidate) and db.workspace_for_key(store, key_hash(candidate)) is None
    else:
        assert not is_key(candidate)
    assert n_workspaces(store) == before


def test_a_workspace_is_created_only_from_a_key_hash(store):
    db.engine(store)
    with pytest.raises(ValueError):
        db.create_workspace(store, new_key())  # the key itself is refused: it would be stored
    assert n_workspaces(store) == 2  # personal and shared


def test_an_account_gets_one_workspace_which_no_key_opens(store):
    alice = account_hash("https://id.example", "alice")
    assert db.workspace_for_account(store, alice) is None
    ws = db.create_account_workspace(store, alice)
    assert db.create_account_workspace(store, alice) == ws  # a second tab signing in at once
    assert db.workspace_for_account(store, alice) == ws
    assert db.workspace_for_account(store, account_hash("https://other.example", "alice")) is None
    with db.engine(store).connect() as conn:
        assert conn.execute(select(db.workspaces.c.key_hash).where(db.workspaces.c.id == ws.id)).one() == (None,)
    with pytest.raises(ValueError):
        db.create_account_workspace(store, "alice")  # only the hash is ever stored


def test_a_lab_claimed_by_an_account_is_opened_by_signing_in_and_no_longer_by_its_link(store):
    key, alice, bob = new_key(), account_hash("iss", "alice"), account_hash("iss", "bob")
    lab = db.create_workspace(store, key_hash(key))
    DrawingStore(store, lab).add(drawing(1), 4)
    assert db.claim_workspace(store, lab, alice)
    assert db.workspace_for_account(store, alice) == lab and DrawingStore(store, lab).count() == 1
    assert db.workspace_for_key(store, key_hash(key)) is None  # the link was the key; the account is now
    assert not db.claim_workspace(store, lab, bob)  # it is alice's
    other = db.create_workspace(store, key_hash(new_key()))
    assert not db.claim_workspace(store, other, alice)  # alice's lab has work in it: nothing changes
    assert db.workspace_for_account(store, alice) == lab and db.workspace_exists(store, other)
    assert not db.claim_workspace(store, PERSONAL, bob) and not db.claim_workspace(store, SHARED, bob)
    assert db.workspace_for_account(store, bob) is None


def test_an_accounts_empty_lab_makes_way_for_the_lab_it_signed_in_from(store):
    carol = account_hash("iss", "carol")
    empty = db.create_account_workspace(store, carol)  # her first sign-in, from another device
    key = new_key()
    lab = db.create_workspace(store, key_hash(key))
    DrawingStore(store, lab).add(drawing(5), 5)
    assert db.claim_workspace(store, lab, carol)
    assert db.workspace_for_account(store, carol) == lab and not db.workspace_exists(store, empty)
    assert db.claim_workspace(store, lab, carol)  # again: already hers


# --- processes -------------------------------------------------------------------------------------------

OPEN = (
    "import sys; from model.registry import Registry; from model.drawings import DrawingStore; "
    "Registry(sys.argv[1]); DrawingStore(sys.argv[1]).add(__import__('numpy').zeros((28, 28)), int(sys.argv[2]))"
)


def open_at_once(home: Path) -> None:
    """Four processes open `home`'s store at once and each saves a blank drawing: all succeed, one migrates."""
    children = [
        subprocess.Popen([sys.executable, "-c", OPEN, str(home), str(i)], cwd=REPO, stderr=subprocess.PIPE, text=True)
        for i in range(4)
    ]
    errors = [child.communicate(timeout=120)[1] for child in children]
    assert [child.returncode for child in children] == [0] * 4, errors
    with db.engine(home).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [(db.HEAD,)]
        assert conn.execute(select(func.count()).select_from(db.models).where(db.models.c.bundled == 1)).scalar() == 1


def test_processes_opening_a_new_store_at_once_all_succeed(store):
    open_at_once(store)
    assert DrawingStore(store).count() == 1  # the one blank drawing, its label the last one saved


def test_processes_opening_a_directory_made_by_main_at_once_all_succeed(tmp_path):
    home = old_home(tmp_path)
    open_at_once(home)
    assert DrawingStore(home).count() == 3  # the blank drawing after main's two


def test_fit_into_an_unknown_workspace_is_one_sentence_and_exit_2(store):
    done = subprocess.run(
        [sys.executable, "-m", "training", "fit", "--hidden", "8", "--epochs", "1", "--workspace", "nosuch"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "nosuch" in done.stderr, done.stderr


def test_the_runner_sends_the_workspace_to_the_child():
    from training.__main__ import build_parser
    from training.config import TrainConfig
    from training.runner import fit_args

    ws = Workspace("0123abcd")
    args = build_parser().parse_args(["fit", *fit_args("net", ArchSpec.simple([8]), TrainConfig(), workspace=ws)])
    assert args.workspace == ws.id
    assert build_parser().parse_args(["fit", *fit_args("net", ArchSpec.simple([8]), TrainConfig())]).workspace == (
        PERSONAL.id
    )
