"""The command lines as a user runs them: JSON output, and one sentence + exit 2 for bad input."""

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent


def run(*args, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIGITLAB_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def errors(done: subprocess.CompletedProcess) -> list[str]:
    """Our own messages on stderr (TensorFlow's start-up chatter filtered out)."""
    return [line for line in done.stderr.splitlines() if line.startswith(("error:", "warning:"))]


def digit_png(path: Path, seven=True) -> Path:
    image = Image.new("L", (200, 200), 255)
    if seven:
        ImageDraw.Draw(image).line([(50, 40), (150, 40), (80, 170)], fill=0, width=16)
    image.save(path)
    return path


def huge_png(path: Path, side=30000) -> Path:
    """A valid PNG header claiming side x side pixels, with almost no data behind it."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    )
    return path


def test_predict_json_for_a_digit_and_a_blank(tmp_path, digitlab_home):
    seven, blank = digit_png(tmp_path / "seven.png"), digit_png(tmp_path / "blank.png", seven=False)
    done = run("model", "predict", str(seven), str(blank), "--json", home=digitlab_home)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(seven), str(blank)]
    assert lines[0]["digit"] == 7 and len(lines[0]["probabilities"]) == 10
    assert sum(lines[0]["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert lines[1]["digit"] is None


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda p: p / "missing.png", "no such file"),
        (lambda p: (p / "notes.png").write_text("just text") and p / "notes.png", "not an image"),
        (
            lambda p: (p / "cut.png").write_bytes(digit_png(p / "full.png").read_bytes()[:300]) and p / "cut.png",
            "damaged or truncated",
        ),
        (lambda p: huge_png(p / "huge.png"), "too large"),
    ],
)
def test_predict_bad_files_one_sentence_exit_2(tmp_path, digitlab_home, make, expected):
    done = run("model", "predict", str(make(tmp_path)), "--json", home=digitlab_home)
    assert done.returncode == 2
    assert len(errors(done)) == 1 and expected in errors(done)[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_predict_unknown_model(tmp_path, digitlab_home):
    done = run("model", "predict", str(digit_png(tmp_path / "s.png")), "--model", "nope", home=digitlab_home)
    assert done.returncode == 2 and "no model named 'nope'" in errors(done)[0]


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--hidden", "0"], "1 to 4096 units"),
        (["--lr", "0"], "learning rate must be greater than 0"),
        (["--lr", "-0.1"], "learning rate must be greater than 0"),
        (["--epochs", "0"], "epochs must be"),
        (["--name", "../../x"], "not allowed"),
        (["--dropout", "1"], "dropout must be between"),
        (["--pen-strokes", "1.5"], "pen strokes must be a share between 0 and 1"),
        # issue #16: each of these tracebacked, trained on NaN or quietly trained something else
        (["--lr", "inf"], "--lr: must be a finite number, got 'inf'"),
        (["--lr", "nan"], "--lr: must be a finite number, got 'nan'"),
        (["--label-smoothing=-inf"], "--label-smoothing: must be a finite number"),
        (["--seed", "-1"], "seed must be a whole number from 0 to 4294967295, got -1"),
        (["--seed", "4294967296"], "seed must be a whole number from 0 to 4294967295, got 4294967296"),
        (["--name", ""], "model name '' is not allowed"),
        (["--hidden", ","], "or 'none' for no hidden layers"),
        (["--hidden", "128,,64"], "or 'none' for no hidden layers"),
        (["--arch", '{"hidden": [{"units": 0}]}'], "hidden layer 1 has no 'activation' and no 'dropout'"),
        (
            ["--arch", '{"hidden": [{"units": 1e999, "activation": "relu", "dropout": 0}]}'],
            "units must be a whole number",
        ),
        (["--arch", '{"layers": []}'], 'needs a "hidden" list'),
        (["--pen-data", "1"], "pen data must be a share of at least 0 and below 1"),
    ],
)
def test_fit_bad_settings_refused_before_anything_is_written(args, expected, digitlab_home):
    done = run("training", "fit", *args, home=digitlab_home)
    assert done.returncode == 2 and len(errors(done)) == 1 and expected in errors(done)[0]
    assert not (digitlab_home / "models").exists() or list((digitlab_home / "models").iterdir()) == []


def test_a_loss_that_turns_nan_stops_the_run_with_one_sentence_and_saves_nothing(digitlab_home):
    done = run(
        "training",
        "fit",
        "--hidden",
        "16",
        "--epochs",
        "3",
        "--optimizer",
        "sgd",
        "--lr",
        "1e30",
        "--batch-size",
        "32",
        "--train-limit",
        "1000",
        "--name",
        "diverges",
        home=digitlab_home,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert errors(done) == [errors(done)[0]] and "the loss became NaN in epoch 1" in errors(done)[0]
    assert "nothing was saved" in errors(done)[0]
    assert not (digitlab_home / "models").exists() or list((digitlab_home / "models").iterdir()) == []


def test_fit_tiny_model_then_list_evaluate_and_activate(digitlab_home):
    done = run(
        "training",
        "fit",
        "--hidden",
        "32",
        "--epochs",
        "1",
        "--train-limit",
        "2000",
        "--batch-size",
        "128",
        "--name",
        "tiny",
        "--json",
        home=digitlab_home,
    )
    assert done.returncode == 0, done.stderr
    # issue #16 item 12: nothing but our own lines on stderr (TensorFlow's start-up lines, Keras' shuffle warning)
    assert done.stderr.strip() == "", done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["event"] for e in events].count("epoch") == 1
    result = events[-1]
    assert result["name"] == "tiny" and result["epochs"] == 1 and result["params"] == 784 * 32 + 32 + 330
    assert 0.5 < result["accuracy"] <= 1 and result["train_seconds"] > 0 and result["loss"] > 0

    listed = [json.loads(line) for line in run("model", "list", "--json", home=digitlab_home).stdout.splitlines()]
    assert {row["name"] for row in listed} == {"default", "tiny"}
    assert next(row for row in listed if row["name"] == "default")["active"]

    assert run("model", "activate", "tiny", home=digitlab_home).returncode == 0
    evaluated = json.loads(run("training", "evaluate", "--json", home=digitlab_home).stdout)
    assert evaluated["model"] == "tiny" and evaluated["n"] == 10000
    assert evaluated["accuracy"] == pytest.approx(result["accuracy"], abs=1e-6)
    assert [row["digit"] for row in evaluated["per_class"]] == list(range(10))

    again = run("training", "fit", "--hidden", "8", "--epochs", "1", "--name", "tiny", home=digitlab_home)
    assert again.returncode == 2 and "already exists" in errors(again)[0]


def test_fit_a_tiny_model_on_real_pen_data_in_seconds(digitlab_home):
    done = run(
        "training",
        "fit",
        "--hidden",
        "16",
        "--epochs",
        "2",
        "--train-limit",
        "1000",
        "--pen-data",
        "0.3",
        "--name",
        "pen",
        "--json",
        home=digitlab_home,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["name"] == "pen" and result["epochs"] == 2 and 0.2 < result["accuracy"] <= 1  # (chance: 0.1)

    from model.store import read_meta

    (path,) = (digitlab_home / "models").glob("pen.*.keras")
    assert read_meta(path).train["pen_data"] == 0.3  # the share is part of the model's recipe


def test_corrupted_model_falls_back_with_a_warning(tmp_path, digitlab_home):
    assert (
        run(
            "training",
            "fit",
            "--hidden",
            "16",
            "--epochs",
            "1",
            "--train-limit",
            "1000",
            "--name",
            "fragile",
            "--activate",
            home=digitlab_home,
        ).returncode
        == 0
    )
    for f in (digitlab_home / "models").glob("fragile.*.keras"):
        f.write_bytes(b"garbage")
    done = run("model", "predict", str(digit_png(tmp_path / "s.png")), "--json", home=digitlab_home)
    assert done.returncode == 0
    assert any("damaged" in w and "bundled default" in w for w in errors(done))
    assert json.loads(done.stdout)["digit"] is not None


def test_delete_refuses_the_bundled_default(digitlab_home):
    done = run("model", "delete", "default", home=digitlab_home)
    assert done.returncode == 2 and "cannot be deleted" in errors(done)[0]


def damaged_model(name: str, active: bool = False) -> None:
    """A registry model (made in-process: faster than `training fit`) whose file is then overwritten."""
    from model.network import build_model
    from model.registry import Registry
    from model.spec import ArchSpec
    from model.store import ModelMeta

    arch = ArchSpec.simple([8])
    registry = Registry()
    record = registry.add(build_model(arch, seed=0), ModelMeta(name=name, arch=arch))
    if active:
        registry.set_active(name)
    record.path.write_bytes(b"garbage")


@pytest.mark.parametrize(
    "command",
    [
        ["training", "evaluate", "--model", "broken", "--json"],
        ["model", "predict", "IMAGE", "--model", "broken", "--json"],
        ["model", "activate", "broken"],
    ],
)
def test_naming_a_damaged_model_fails_with_one_sentence(tmp_path, digitlab_home, command):
    damaged_model("broken")
    image = str(digit_png(tmp_path / "s.png"))
    done = run(*[image if arg == "IMAGE" else arg for arg in command], home=digitlab_home)
    assert done.returncode == 2, done.stdout
    assert len(errors(done)) == 1 and "'broken'" in errors(done)[0] and "damaged" in errors(done)[0]
    assert done.stdout == "" and "Traceback" not in done.stderr
    listed = [json.loads(line) for line in run("model", "list", "--json", home=digitlab_home).stdout.splitlines()]
    assert next(row for row in listed if row["active"])["name"] == "default"


def test_evaluate_without_model_falls_back_from_a_damaged_active_model(digitlab_home):
    damaged_model("fragile", active=True)
    done = run("training", "evaluate", "--json", home=digitlab_home)
    assert done.returncode == 0, done.stderr
    assert any("damaged" in w and "bundled default" in w for w in errors(done))
    assert json.loads(done.stdout)["model"] == "default"
