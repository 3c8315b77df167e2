"""AppTest for the replay view (ui/inside/replay.py) through a one-line script, as the Inside page calls it,
and for the Train page's live look inside the network (ui/train/learning.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from model import runs
from model.network import build_model
from model.registry import Registry, data_home
from model.snapshots import replay_of, sidecar_path
from model.spec import ArchSpec
from model.store import ModelMeta, read_meta
from model.workspace import PERSONAL
from tests.conftest import REPO, page_test
from training.config import TrainConfig
from training.run import train_and_register


def replay_script(home: str, name: str, epoch):
    from model.registry import Registry
    from ui.inside.replay import replay_ui

    replay_ui(Registry(home).get(name), epoch)


@pytest.fixture(scope="module")
def recorded(mnist, tmp_path_factory):
    """A 3-epoch run with its replay, its snapshots and the live events it sent."""
    home = tmp_path_factory.mktemp("replay-home")
    events = []
    cfg = TrainConfig(epochs=3, batch_size=32, train_limit=1200, validation_split=0.2)
    outcome = train_and_register(
        "watched", ArchSpec.simple([32]), cfg, mnist[0], mnist[1], Registry(home), on_snapshot=events.append
    )
    snaps = replay_of(outcome.record.path, read_meta(outcome.record.path).replay)
    return home, snaps, events


def replay(home, name="watched", epoch=None) -> AppTest:
    return AppTest.from_function(replay_script, args=(str(home), name, epoch), default_timeout=60).run()


def said(title: str, n: int) -> str:
    return f"{title}: {n} digit{'s' if n != 1 else ''}" + (", the first 60 shown" if n > 60 else "")


def counts(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if "→" in c.value]


def test_opens_at_the_last_epoch_with_every_view(recorded):
    home, snaps, _ = recorded
    at = replay(home)
    assert not at.exception
    assert at.subheader[0].value == "Epoch 3 of 3"
    assert at.select_slider(key="replay_point").options == [
        "Start",
        "⅛ of epoch 1",
        "¼ of epoch 1",
        "½ of epoch 1",
        "Epoch 1",
        "Epoch 2",
        "Epoch 3",
    ]
    assert len(at.image) == 2 + sum(1 for c in counts(at) if not c.endswith(": 0 digits"))  # grid, panel, groups
    right = snaps.right(6)
    assert f"{right.mean():.1%} of 1,000 test digits right" in at.caption[0].value
    gained, lost = int((right & ~snaps.right(5)).sum()), int((snaps.right(5) & ~right).sum())
    assert counts(at) == [said("wrong → right", gained), said("right → wrong", lost)]
    assert at.markdown[0].value == "**Learned this epoch**"
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert layout["shapes"][0]["x0"] == 3.0 and layout["annotations"][0]["text"] == "Epoch 3 of 3"  # the marker


def test_the_slider_steps_through_the_points_and_the_grid_changes(recorded):
    home, snaps, _ = recorded
    at = replay(home)
    seen = []
    for point, title in (
        (0, "Before training (epoch 0 of 3)"),
        (2, "Epoch 1 of 3, ¼ of the way through"),
        (4, "Epoch 1 of 3"),
        (5, "Epoch 2 of 3"),
    ):
        at.select_slider(key="replay_point").set_value(point).run()
        assert not at.exception and at.subheader[0].value == title
        seen.append(at.image[0].value[0])  # the weight grid's URL: a new picture at every point
    assert len(set(seen)) == len(seen)
    assert at.markdown[0].value == "**Learned this epoch**"
    at.select_slider(key="replay_point").set_value(3).run()
    assert at.markdown[0].value == "**Learned since ¼ of epoch 1**"
    at.select_slider(key="replay_point").set_value(1).run()
    assert at.markdown[0].value == "**Learned since the start**"
    at.select_slider(key="replay_point").set_value(4).run()  # epoch 1 is compared with the start
    gained = int((snaps.right(4) & ~snaps.right(0)).sum())
    assert at.markdown[0].value == "**Learned this epoch**" and counts(at)[0] == said("wrong → right", gained)


def test_the_grid_shows_what_was_learned_or_the_weights_as_they_are(recorded):
    home, _, _ = recorded
    at = replay(home)
    learned = at.image[0].value[0]
    assert at.radio(key="replay_view").value == "Learned so far" and "changed since the start" in at.caption[1].value
    at.radio(key="replay_view").set_value("Weights as they are").run()
    assert at.image[0].value[0] != learned and "random start still shows" in at.caption[1].value
    at.select_slider(key="replay_point").set_value(0).run()
    assert at.caption[1].value == "The random weights 32 first-layer neurons start from."


def test_a_deep_link_opens_its_epoch_once(recorded):
    home, _, _ = recorded
    at = replay(home, epoch="1")
    assert at.subheader[0].value == "Epoch 1 of 3" and not at.warning
    at.select_slider(key="replay_point").set_value(6).run()  # the user moves on; the link does not pull back
    assert at.subheader[0].value == "Epoch 3 of 3"
    assert replay(home, epoch="0").subheader[0].value == "Before training (epoch 0 of 3)"


@pytest.mark.parametrize(
    "epoch, sentence",
    [
        ("99", "Epoch 99 is out of range: this replay has epochs 1 to 3, so it shows epoch 3."),
        ("-2", "Epoch -2 is out of range: this replay has epochs 1 to 3, so it shows epoch 3."),
        ("two", "The link's epoch 'two' is not a whole number; showing the last epoch, 3."),
    ],
)
def test_a_bad_epoch_in_the_link_gets_one_sentence_and_the_last_epoch(recorded, epoch, sentence):
    home, _, _ = recorded
    at = replay(home, epoch=epoch)
    assert not at.exception and [w.value for w in at.warning] == [sentence]
    assert at.subheader[0].value == "Epoch 3 of 3"


def test_play_steps_on_and_restarts_from_the_end(recorded):
    home, _, _ = recorded
    at = replay(home)
    at.button(key="replay_play").click().run()  # at the last point: Play starts over
    assert at.session_state["replay_playing"] and at.subheader[0].value == "Epoch 1 of 3, ⅛ of the way through"
    assert at.button(key="replay_play").label == "Pause"
    at.button(key="replay_play").click().run()
    assert not at.session_state["replay_playing"] and at.button(key="replay_play").label == "Play"


def test_an_older_model_says_no_replay_recorded(digitlab_home):
    arch = ArchSpec.simple([8])
    Registry().add(build_model(arch, seed=1), ModelMeta(name="older", arch=arch))
    at = replay(digitlab_home, "older")
    assert not at.exception and "no replay recorded" in at.info[0].value and not at.select_slider


def test_a_damaged_sidecar_is_one_warning(recorded, tmp_path):
    home, _, _ = recorded
    import shutil

    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    record = Registry(copy).get("watched")
    sidecar_path(record.path).write_bytes(b"PK\x03\x04 damaged")
    at = replay(copy)
    assert not at.exception and len(at.warning) == 1 and not at.select_slider
    assert at.warning[0].value.startswith("The replay of watched is unavailable: the snapshot file")
    assert "damaged" in at.warning[0].value and "The model itself works as usual." in at.warning[0].value


def test_the_train_page_shows_the_latest_grid_and_panel(recorded):
    """The live look from a run's snapshots as its worker writes them to the store (no child needed): the
    first one with the panel's images, then the latest, which the page follows."""
    _, snaps, events = recorded
    home = data_home()
    run = runs.submit(home, PERSONAL, "live", ArchSpec.simple([32]), TrainConfig(epochs=3).to_dict())
    runs.claim(home, run.id, "test-worker:1")
    urls = []
    for event in (events[1], events[-1]):
        latest = {k: v for k, v in event.items() if k not in ("panel_images", "panel_labels")}
        runs.record(home, run.id, [], 0, "training", 0.5, 1.0, learning_start=events[0], learning=latest)
        at = page_test("pages/1_Train.py")
        assert not at.exception
        texts = [m.value for m in at.markdown]
        urls.append([img.value[0] for img in at.image])
        assert len(urls[-1]) == 2
        if event is events[1]:
            assert "**Inside the network, after 4 of epoch 1's 30 batches**" in texts
        else:
            assert "**Inside the network, after epoch 3 of 3**" in texts
            right = int((snaps.guesses(6) == snaps.panel_labels).sum())
            assert any(c.value.startswith(f"{right} of 24 test digits right now") for c in at.caption)
    assert urls[0][0] != urls[1][0]  # the weight grid moved on


def test_the_views_and_the_file_format_never_import_tensorflow():
    code = (
        "import sys, ui.inside.replay, ui.train.learning, model.snapshots; "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "[]"


def test_the_train_form_has_the_replay_switch_on():
    at = page_test("pages/1_Train.py")
    switch = at.toggle(key=f"train_snapshots_g{at.session_state['train_form_gen']}")
    assert switch.value is True and switch.label.startswith("Record a replay")


def inside_page(home, monkeypatch, **params) -> AppTest:
    """The Inside page as a followed link opens it: app.py first, then the page with the link's parameters."""
    monkeypatch.setenv("DIGITLAB_HOME", str(home))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    at.switch_page("pages/3_Inside.py")
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_the_inside_page_deep_link_opens_the_replay_at_its_epoch(recorded, monkeypatch):
    home, _, _ = recorded
    at = inside_page(home, monkeypatch, model="watched", epoch="1")
    assert not at.exception and at.session_state["inside_tab"] == "Replay"
    assert "Epoch 1 of 3" in texts(at.subheader) and not at.warning
    at.select_slider(key="replay_point").set_value(5).run()  # the user moves on: the link is not applied again
    assert "Epoch 2 of 3" in texts(at.subheader) and at.session_state["inside_tab"] == "Replay"


def test_the_inside_page_says_an_epoch_is_out_of_range_and_shows_the_last(recorded, monkeypatch):
    home, _, _ = recorded
    at = inside_page(home, monkeypatch, model="watched", epoch="9")
    assert not at.exception and at.session_state["inside_tab"] == "Replay"
    assert texts(at.warning) == ["Epoch 9 is out of range: this replay has epochs 1 to 3, so it shows epoch 3."]
    assert "Epoch 3 of 3" in texts(at.subheader) and at.query_params["epoch"] == "3"  # the URL says what is shown


def test_the_inside_page_keeps_the_epoch_shown_in_the_url(recorded, monkeypatch):
    """Issue #25: the URL follows the replay's slider, so a copied URL opens the same point; other tabs drop it."""
    home, _, _ = recorded
    at = inside_page(home, monkeypatch, model="watched", epoch="1")
    assert dict(at.query_params) == {"model": "watched", "layer": "1", "unit": "0", "epoch": "1"}
    at.select_slider(key="replay_point").set_value(5).run()
    assert at.query_params["epoch"] == "2" and at.session_state["inside_tab"] == "Replay"
    at.select_slider(key="replay_point").set_value(2).run()  # a point within the first epoch
    assert at.query_params["epoch"] == "0.25"
    copied = inside_page(home, monkeypatch, **at.query_params)
    assert "Epoch 1 of 3, ¼ of the way through" in texts(copied.subheader) and not copied.warning
    at.session_state["inside_tab"] = "Neuron"
    at.run()
    assert at.session_state["inside_tab"] == "Neuron" and "epoch" not in at.query_params


def test_the_inside_page_says_no_replay_recorded_for_an_older_model(monkeypatch, digitlab_home):
    arch = ArchSpec.simple([8])
    Registry().add(build_model(arch, seed=1), ModelMeta(name="older", arch=arch))
    at = inside_page(digitlab_home, monkeypatch, model="older", epoch="2")
    assert not at.exception and at.session_state["inside_tab"] == "Replay"
    assert any("no replay recorded" in i.value for i in at.info)


def texts(elements) -> list[str]:
    return [e.value for e in elements]
