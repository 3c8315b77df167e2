"""`python -m model show NAME`: the whole metadata with the recorded epochs; `fit --no-snapshots` and `--out`."""

import json

from model.network import build_model
from model.registry import Registry
from model.snapshots import Snapshots, sidecar_path
from model.spec import ArchSpec
from model.store import ModelMeta, file_sha256
from tests.test_cli import errors, run


def test_show_lists_the_recorded_epochs_and_the_checksum(digitlab_home, tmp_path):
    out = tmp_path / "copy.keras"
    done = run(
        "training",
        "fit",
        "--hidden",
        "32",
        "--epochs",
        "2",
        "--train-limit",
        "1000",
        "--batch-size",
        "128",
        "--name",
        "shown",
        "--out",
        str(out),
        "--json",
        home=digitlab_home,
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["epoch"], e["batch"]) for e in events if e["event"] == "snapshot"][-2:] == [(1, 8), (2, 8)]

    shown = run("model", "show", "shown", "--json", home=digitlab_home)
    assert shown.returncode == 0 and errors(shown) == []
    info = json.loads(shown.stdout)
    record = Registry(digitlab_home).get("shown")
    assert info["snapshots"] == [1, 2] and info["sha256"] == record.sha256 == file_sha256(record.path)
    assert info["architecture"] == "784-32(relu)-10" and info["arch"]["hidden"][0]["units"] == 32
    assert info["train"]["epochs"] == 2 and info["train"]["snapshots"] is True and len(info["history"]) == 2
    assert info["metrics"]["accuracy"] == record.accuracy and info["file"] == str(record.path)
    assert info["snapshots_file"] == str(sidecar_path(record.path)) and "snapshots_warning" not in info
    assert Snapshots.load(sidecar_path(out)).epochs == [1, 2]  # --out took the replay along

    human = run("model", "show", "shown", home=digitlab_home).stdout
    assert "784-32(relu)-10" in human and "snapshots     epochs 1-2" in human and record.sha256[:12] in human

    sidecar_path(record.path).write_bytes(b"not a zip")
    damaged = run("model", "show", "shown", "--json", home=digitlab_home)
    assert damaged.returncode == 0 and json.loads(damaged.stdout)["snapshots"] == [1, 2]
    assert len(errors(damaged)) == 1 and "the replay is unavailable" in errors(damaged)[0]


def test_show_an_older_model_and_a_run_without_snapshots(digitlab_home):
    older = ArchSpec.simple([8])  # saved as models were before snapshots: no `replay` in its metadata
    Registry(digitlab_home).add(build_model(older, seed=1), ModelMeta(name="older", arch=older))
    shown = run("model", "show", "older", home=digitlab_home)
    assert shown.returncode == 0 and "no replay recorded" in shown.stdout and errors(shown) == []
    done = run(
        "training",
        "fit",
        "--hidden",
        "8",
        "--epochs",
        "1",
        "--train-limit",
        "500",
        "--batch-size",
        "64",
        "--name",
        "plain",
        "--no-snapshots",
        home=digitlab_home,
    )
    assert done.returncode == 0, done.stderr
    info = json.loads(run("model", "show", "plain", "--json", home=digitlab_home).stdout)
    assert info["snapshots"] == [] and info["snapshots_file"] is None and info["train"]["snapshots"] is False
    assert not list((digitlab_home / "models").glob("*.snapshots.npz"))


def test_show_bad_names_one_sentence_exit_2(digitlab_home):
    for name in ("nope", "bad name"):
        done = run("model", "show", name, home=digitlab_home)
        assert done.returncode == 2 and len(errors(done)) == 1 and done.stdout == ""
    assert "no model named 'nope'" in errors(run("model", "show", "nope", home=digitlab_home))[0]
