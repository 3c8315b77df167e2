"""The Train page's live look inside the network: the first-layer weight grid and the panel of test digits
with their current guesses, from the run's latest snapshot (training/runner.py: RunState.learning).

    learning_ui(runner, registry)   # a fragment next to the curves, redrawn every 2 s while a run goes

The training child takes the snapshots (at 1/8, 1/4, 1/2 of the first epoch and at every epoch's end)
and computes the guesses itself, so nothing here touches its batches. Once the run has ended and
was saved, a toggle shows its replay (ui/inside/replay.py) right here.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from model.registry import Registry
from model.snapshots import N_SUBSET, event_panel_images, event_weights
from training.queue import TrainQueue
from training.runner import ACTIVE, RunState
from ui.inside.replay import replay_ui
from ui.inside.replay_pictures import digit_panel, png, weight_grid
from ui.train.live import look

LEARNING_EVERY = 2  # seconds between redraws while a run goes (a new picture comes at most once an epoch)


@st.cache_data(max_entries=8, show_spinner=False)
def live_pictures(run: tuple, _learning: dict, _start: dict) -> tuple[bytes, bytes, int]:
    """(grid PNG of the weights' change since the start, panel PNG, right answers) of one snapshot;
    `run` = (name, started, epoch, batch) keys it."""
    images, labels = event_panel_images(_start), np.array(_start["panel_labels"])
    guesses = np.array(_learning["guesses"])
    weights = event_weights(_learning).astype(np.float32)
    change = weights - event_weights(_start) if _learning["batch"] else weights  # at the start: the random weights
    return png(weight_grid(change)), png(digit_panel(images, labels, guesses)), int((guesses == labels).sum())


def moment(s: RunState) -> str:
    """'before the first batch', 'after ¼ of epoch 1', 'after epoch 3 of 10'."""
    e = s.learning
    if e["batch"] == 0:
        return "before the first batch"
    if e["batch"] < e["batches"]:
        return f"after {e['batch']} of epoch 1's {e['batches']} batches"
    return f"after epoch {e['epoch']} of {s.epochs}"


def learning_ui(runner: TrainQueue, registry: Registry) -> None:
    s = look(runner)
    st.fragment(_learning, run_every=LEARNING_EVERY if s is None or s.active else None)(runner, registry)


def _learning(runner: TrainQueue, registry: Registry) -> None:
    s = look(runner, learning=True)
    if s is None or s.learning is None or s.learning_start is None or s.status not in (*ACTIVE, "done", "stopped"):
        return
    e = s.learning
    grid, panel, right = live_pictures((s.name, s.started, e["epoch"], e["batch"]), e, s.learning_start)
    with st.container(border=True, key="train_learning"):
        st.markdown(f"**Inside the network, {moment(s)}**")
        grid_col, panel_col = st.columns([2, 3])
        with grid_col:
            st.image(grid, width="stretch", output_format="PNG", alt="First-layer neurons' weights")
            st.caption(
                f"The random weights {e['units']} first-layer neurons start from."
                if not e["batch"]
                else f"What {e['units']} first-layer neurons have learned so far: how their weights changed since "
                "the start. Red pixels now push the neuron up more, blue ones less."
            )
        with panel_col:
            st.image(
                panel,
                width="stretch",
                output_format="PNG",
                alt="Test digits framed green where the network is right, red where it is wrong",
            )
            st.caption(
                f"{right} of {len(s.learning_start['panel_labels'])} test digits right now "
                f"({e['subset_accuracy']:.0%} of {N_SUBSET:,}). Updated at every epoch, and often in the first."
            )
        if not s.active and registry.exists(s.name):
            if st.toggle("Replay how it learned", key="train_replay"):
                replay_ui(registry.get(s.name))
