"""The replay of how a model learned, from the snapshots recorded beside it (model/snapshots.py).

    replay_ui(classifier, epoch="3", on_point=sync_link)   # the Inside page's Replay tab: /Inside?model=NAME&epoch=3
    point_epoch(snaps, i)                                   # point i as the URL's epoch: "0", "0.25", "3"

An epoch slider (and Play) -> the first-layer weight grid at that point | the panel of test digits with
the network's guesses -> the curves with a marker and "Epoch E of N" -> "learned this epoch": the subset
digits that went wrong -> right and right -> wrong since the point before. A model without snapshots says
"no replay recorded"; a damaged sidecar is one warning and leaves the rest of the page (and the model) alone.
NumPy and Pillow only; each point's pictures are made once and cached.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import streamlit as st

from model.snapshots import EARLY, SnapshotError, Snapshots, sidecar_path
from model.store import read_meta
from ui.charts import CHART_CONFIG
from ui.inside.replay_pictures import digit_panel, png, thumbnails, weight_grid
from ui.train.charts import VALIDATION

REPLAY_TAB = "Replay"  # the Inside page's tab holding this view
POINT_KEY = "replay_point"  # the slider: index of the point shown
PLAYING_KEY = "replay_playing"  # True while Play steps through the points
LINKED_KEY = "replay_linked"  # (model path, epoch) of the link last applied or shown: a link moves the slider once
RETIME_KEY = "replay_retime"  # set when Play/Pause needs the fragment's timer started or stopped
VIEW_KEY = "replay_view"  # the grid shows the weights' change since the start (CHANGE) or the weights themselves
CHANGE, WEIGHTS = "Learned so far", "Weights as they are"
MODEL_KEY = "replay_model"  # the model file the slider's point belongs to
PLAY_EVERY = 1.0  # seconds per step while playing
MAX_THUMBNAILS = 60  # per "learned" group; the rest are counted
SUBSET_COLOUR, TRAIN_COLOUR, MARK = "#10B981", "#4F46E5", "#111827"
FRACTIONS = {1 / 8: "⅛", 1 / 4: "¼", 1 / 2: "½"}


@st.cache_resource(max_entries=4, show_spinner=False)
def load_replay(path: str, sha256: str) -> Snapshots:
    """The snapshots beside model file `path`: shared across sessions and never changed."""
    return Snapshots.load(sidecar_path(Path(path)), sha256)


@st.cache_data(max_entries=128, show_spinner=False)
def point_pictures(path: str, sha256: str, i: int, change: bool) -> dict:
    """PNGs of point i: the weight grid (as they are, or their `change` since the start), the panel, and the
    subset digits gained and lost since the point before (`previous`)."""
    snaps = load_replay(path, sha256)
    weights = snaps.weights[i].astype(np.float32)
    right = snaps.right(i)
    before = snaps.right(previous(snaps, i))
    gained, lost = np.flatnonzero(right & ~before), np.flatnonzero(before & ~right)
    return {
        "grid": png(weight_grid(weights - snaps.weights[0] if change and i else weights)),
        "panel": panel_picture(path, sha256, tuple(snaps.guesses(i).tolist())),
        "gained": png(thumbnails(snaps.subset_images[gained[:MAX_THUMBNAILS]])) if len(gained) else None,
        "lost": png(thumbnails(snaps.subset_images[lost[:MAX_THUMBNAILS]])) if len(lost) else None,
        "n_gained": len(gained),
        "n_lost": len(lost),
        "accuracy": float(right.mean()),
    }


@st.cache_data(max_entries=128, show_spinner=False)
def panel_picture(path: str, sha256: str, guesses: tuple[int, ...]) -> bytes:
    """The panel's PNG for a set of guesses: late epochs often guess alike, and then share one picture."""
    snaps = load_replay(path, sha256)
    return png(digit_panel(snaps.panel_images, snaps.panel_labels, np.array(guesses)))


def previous(snaps: Snapshots, i: int) -> int:
    """The point "learned" compares with: the end of the epoch before (the start for epoch 1), or, within the
    first epoch, the point before."""
    if i == 0 or snaps.batch[i] < snaps.batches:
        return max(i - 1, 0)
    ends = [j for j in range(i) if snaps.batch[j] == snaps.batches]
    return ends[-1] if ends else 0


def _early(snaps: Snapshots, i: int) -> float:
    """The share of the first epoch a point within it was taken at: one of EARLY (batch counts round)."""
    return min(EARLY, key=lambda f: abs(f - snaps.batch[i] / snaps.batches))


def point_label(snaps: Snapshots, i: int) -> str:
    """'Start', '⅛ of epoch 1', 'Epoch 3'."""
    if snaps.batch[i] == 0:
        return "Start"
    if snaps.batch[i] < snaps.batches:
        return f"{FRACTIONS[_early(snaps, i)]} of epoch {snaps.epoch[i]}"
    return f"Epoch {snaps.epoch[i]}"


def point_epoch(snaps: Snapshots, i: int) -> str:
    """Point i as the URL's epoch: "0" before training, "0.125", "0.25", "0.5" within the first epoch, "3"."""
    if snaps.batch[i] == 0:
        return "0"
    if snaps.batch[i] < snaps.batches:
        return f"{_early(snaps, i):g}"
    return str(int(snaps.epoch[i]))


def linked_point(snaps: Snapshots, epoch) -> tuple[int, str | None]:
    """The point an `epoch` from the URL asks for (a `point_epoch`), and a sentence when it cannot be shown."""
    last = snaps.epochs[-1]
    points = {point_epoch(snaps, i): i for i in range(snaps.points)}
    try:
        wanted = float(str(epoch).strip()) + 0.0  # "3", "3.0", "0.25"; + 0.0 turns -0 into 0
    except ValueError:
        wanted = float("nan")
    if f"{wanted:g}" in points:
        return points[f"{wanted:g}"], None
    if not wanted.is_integer():  # garbage, nan, inf, or a fraction no point was taken at
        return points[str(last)], f"The link's epoch {epoch!r} is not a whole number; showing the last epoch, {last}."
    return points[str(last)], (
        f"Epoch {int(wanted)} is out of range: this replay has epochs 1 to {last}, so it shows epoch {last}."
    )


def replay_ui(model, epoch: int | str | None = None, on_point: Callable[[str], None] | None = None) -> None:
    """The replay of `model` (a Classifier or a registry ModelRecord: anything with `.path`), at `epoch` if given.

    `on_point` gets the `point_epoch` shown at every run and step (the Inside page writes it into the URL)."""
    meta = getattr(model, "meta", None) or read_meta(Path(model.path))
    name = getattr(model, "name", meta.name)
    if not meta.replay or model.path is None:  # (a model never saved has no file to sit beside)
        st.info(
            f"{name} has no replay recorded: it was trained before replays existed, with snapshots turned "
            "off, or stopped before its first epoch ended. Train a model on the Train page to record one.",
            icon=":material/history:",
        )
        return
    path = Path(model.path)
    try:
        snaps = load_replay(str(path), meta.replay["sha256"])
    except SnapshotError as error:
        st.warning(
            f"The replay of {name} is unavailable: {error} The model itself works as usual.", icon=":material/warning:"
        )
        return
    state = st.session_state
    if state.get(MODEL_KEY) != str(path) or state.get(POINT_KEY, snaps.points) >= snaps.points:
        state[MODEL_KEY] = str(path)  # another model (or a first visit): start at its last epoch
        state[POINT_KEY], state[PLAYING_KEY] = snaps.point_of_epoch(snaps.epochs[-1]), False
    if epoch is not None and state.get(LINKED_KEY) != (str(path), str(epoch)):  # a new link: applied once
        state[LINKED_KEY] = (str(path), str(epoch))
        state[POINT_KEY], notice = linked_point(snaps, epoch)
        if notice:
            st.warning(notice)
    st.fragment(_player, run_every=PLAY_EVERY if state.get(PLAYING_KEY) else None)(
        str(path), meta.replay["sha256"], on_point
    )


def _player(path: str, sha256: str, on_point: Callable[[str], None] | None = None) -> None:
    """The slider, Play, and every view of the point: a fragment, so a step reruns only this."""
    state = st.session_state
    snaps = load_replay(path, sha256)
    if state.pop(RETIME_KEY, False):
        st.rerun()  # Play or Pause changed: the whole page once, so this fragment's timer starts or stops
    if state.get(PLAYING_KEY):
        if state[POINT_KEY] + 1 < snaps.points:
            state[POINT_KEY] += 1
        else:
            state[PLAYING_KEY] = False
            st.rerun()
    slider, play = st.columns([4, 1], vertical_alignment="bottom")
    slider.select_slider(
        "Epoch",
        options=list(range(snaps.points)),
        key=POINT_KEY,
        format_func=lambda i: point_label(snaps, i),
        on_change=_pause,
    )
    playing = state.get(PLAYING_KEY, False)
    play.button(
        "Pause" if playing else "Play",
        key="replay_play",
        width="stretch",
        on_click=_play,
        args=(snaps.points,),
        icon=":material/pause:" if playing else ":material/play_arrow:",
    )
    if on_point is not None:
        shown = point_epoch(snaps, state[POINT_KEY])
        state[LINKED_KEY] = (path, shown)  # the URL now holds it: following the same link again changes nothing
        on_point(shown)
    point_ui(snaps, state[POINT_KEY], path, sha256)


def _play(points: int) -> None:
    state = st.session_state
    state[PLAYING_KEY] = not state.get(PLAYING_KEY, False)
    if state[PLAYING_KEY] and state[POINT_KEY] + 1 >= points:
        state[POINT_KEY] = 0  # from the start again
    state[RETIME_KEY] = True


def _pause() -> None:
    """The slider was moved by hand: stop playing."""
    if st.session_state.get(PLAYING_KEY):
        st.session_state[PLAYING_KEY] = False
        st.session_state[RETIME_KEY] = True


def point_ui(snaps: Snapshots, i: int, path: str, sha256: str) -> None:
    change = st.session_state.get(VIEW_KEY, CHANGE) == CHANGE
    pictures = point_pictures(path, sha256, i, change)
    n = snaps.epochs[-1]
    st.subheader(_where(snaps, i, n))
    _, accuracy, _, val_accuracy = snaps.metrics[i]
    figures = [f"{pictures['accuracy']:.1%} of {len(snaps.subset_labels):,} test digits right"]
    if not np.isnan(accuracy):
        figures.append(f"training accuracy {accuracy:.1%}")
    if not np.isnan(val_accuracy):
        figures.append(f"validation {val_accuracy:.1%}")
    st.caption(" · ".join(figures))
    grid_col, panel_col = st.columns([2, 3])
    with grid_col:
        st.image(
            pictures["grid"],
            width="stretch",
            output_format="PNG",
            alt=f"{len(snaps.units)} first-layer neurons' weights, {_where(snaps, i, n)}",
        )
        st.radio("Neurons", [CHANGE, WEIGHTS], key=VIEW_KEY, horizontal=True, label_visibility="collapsed")
        if not i:
            st.caption(f"The random weights {len(snaps.units)} first-layer neurons start from.")
        elif change:
            st.caption(
                f"What {len(snaps.units)} first-layer neurons have learned: how their weights changed since the "
                "start. Red pixels now push the neuron up more, blue ones less."
            )
        else:
            st.caption(
                f"{len(snaps.units)} first-layer neurons' weights: red pixels push the neuron up, blue ones "
                "down. The random start still shows through."
            )
    with panel_col:
        st.image(
            pictures["panel"],
            width="stretch",
            output_format="PNG",
            alt="Test digits framed green where the network is right, red where it is wrong",
        )
        st.caption(
            f"{len(snaps.panel_labels)} test digits and what the network says they are (green right, red wrong)."
        )
    st.plotly_chart(curves(snaps, i), config=CHART_CONFIG, key="replay_curves")
    learned_ui(snaps, i, pictures)


def _where(snaps: Snapshots, i: int, n: int) -> str:
    if snaps.batch[i] == 0:
        return f"Before training (epoch 0 of {n})"
    if snaps.batch[i] < snaps.batches:
        return f"Epoch 1 of {n}, {point_label(snaps, i).split(' of ')[0]} of the way through"
    return f"Epoch {snaps.epoch[i]} of {n}"


def learned_ui(snaps: Snapshots, i: int, pictures: dict) -> None:
    if i == 0:
        st.markdown("**Learned**")
        st.caption("Before the first batch the weights are random: about one digit in ten is right by chance.")
        return
    whole = snaps.batch[i] == snaps.batches
    since = "the start" if i == 1 else point_label(snaps, i - 1)
    st.markdown("**Learned this epoch**" if whole else f"**Learned since {since}**")
    for col, key, title in zip(st.columns(2), ("gained", "lost"), ("wrong → right", "right → wrong")):
        with col:
            count = pictures[f"n_{key}"]
            more = f", the first {MAX_THUMBNAILS} shown" if count > MAX_THUMBNAILS else ""
            st.caption(f"{title}: {count} digit{'s' if count != 1 else ''}{more}")
            if pictures[key] is not None:
                st.image(pictures[key], output_format="PNG", alt=f"The test digits that went {title} since then")


def curves(snaps: Snapshots, i: int) -> dict:
    """Accuracy over the run (subset at every point, training and validation at epoch ends), a line at point i."""
    x = [snaps.position(j) for j in range(snaps.points)]
    subset = [float(snaps.right(j).mean()) for j in range(snaps.points)]
    ends = [j for j in range(snaps.points) if snaps.batch[j] == snaps.batches]
    lines = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": f"{len(snaps.subset_labels):,} test digits",
            "x": x,
            "y": subset,
            "line": {"color": SUBSET_COLOUR, "width": 2.5},
            "marker": {"size": 5},
        }
    ]
    for column, label, colour, dash in ((1, "training", TRAIN_COLOUR, "solid"), (3, "validation", VALIDATION, "dash")):
        values = [float(snaps.metrics[j, column]) for j in ends]
        if not all(np.isnan(values)):
            lines.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": label,
                    "x": [x[j] for j in ends],
                    "y": values,
                    "line": {"color": colour, "width": 2, "dash": dash},
                    "marker": {"size": 5},
                }
            )
    layout = {
        "height": 260,
        "margin": {"l": 44, "r": 8, "t": 30, "b": 36},
        "showlegend": True,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        "plot_bgcolor": "rgba(0,0,0,0)",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "x unified",
        "xaxis": {"title": {"text": "epoch"}, "range": [-0.1, x[-1] + 0.2], "gridcolor": "#E5E7EB", "zeroline": False},
        "yaxis": {"tickformat": ".0%", "range": [0, 1.02], "gridcolor": "#E5E7EB"},
        "shapes": [
            {
                "type": "line",
                "x0": x[i],
                "x1": x[i],
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": MARK, "width": 1.5, "dash": "dot"},
            }
        ],
        "annotations": [
            {
                "x": x[i],
                "yref": "paper",
                "y": 0,
                "text": _where(snaps, i, snaps.epochs[-1]).split(" (")[0],
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
                "font": {"size": 11, "color": MARK},
            }
        ],
    }
    return {"data": lines, "layout": layout}
