"""The Train page's live panel: this lab's queued, running (or last) training, redrawn every second.

    live_ui(runner, registry)   # an st.fragment polling runner.snapshot() every second during a run; the rest stays put
    curves_ui(runner)           # the learning curves, a second fragment redrawn every few seconds while a run goes

While the run waits: its place in the queue, about how long until it starts, and Cancel. While it goes:
progress over epochs and batches, elapsed time and ETA, live curves, and a Stop menu (keep the best
weights so far, or discard). When it ends: test accuracy, loss, parameters, time, and one click to make
the new model the active one. `runner` is training/queue.py's TrainQueue: the run lives in the store,
not in the session or the server, so leaving for the Draw page, or a server restart, leaves it going.
Other labs' runs are only counted.
The curves have their own, slower fragment: drawing is served by the same server process, and a
chart costs far more to send than a progress bar.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import OperationalError
from streamlit.runtime.scriptrunner import get_script_run_ctx

from model.registry import Registry, RegistryError
from training.queue import TrainQueue
from training.runner import ACTIVE, RunState
from ui.charts import CHART_CONFIG
from ui.train.charts import curves_figure

CURVES_EVERY = 3  # seconds between redraws of the live curves
IDLE_EVERY = 5  # seconds between looks at an idle lab: a run started in another tab shows up here
PHASE = {  # what the child is doing, in the learner's words
    "starting": "A worker has taken it: starting TensorFlow and loading the MNIST images…",
    "evaluating": "Measuring accuracy on the 10,000 test images the network has never seen…",
    "stopping": "Stopping after the current batch…",
}


def clock(seconds: float) -> str:
    """73.4 -> '1:13'."""
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _recipe(s: RunState) -> str:
    cfg = s.cfg
    return (
        f"{s.arch.describe()} · {cfg.optimizer} · learning rate {cfg.learning_rate:g} · batch {cfg.batch_size}"
        f"{' · augmented' if cfg.augment else ''}{f' · {cfg.pen_strokes:.0%} pen strokes' if cfg.pen_strokes else ''}"
    )


def look(runner: TrainQueue, learning: bool = False) -> RunState | None:
    """The lab's run, or None while the database cannot be reached (a restart): the panels say so and try again."""
    try:
        return runner.snapshot(learning)
    except OperationalError:
        return None


def session_id() -> str:
    """This browser tab's Streamlit session: the runner keeps it as the run's owner."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else ""


def theirs(s: RunState) -> bool:
    """The run was started from another tab or browser, not this one."""
    return bool(s.owner) and s.owner != session_id()


def others_sentence(s: RunState) -> str | None:
    """What this lab may know of the others' runs: how many, never whose or what."""
    if not (s.others_queued or s.others_training):
        return None
    parts = [
        f"{n} {'run' if n == 1 else 'runs'} {what}"
        for n, what in ((s.others_training, "training"), (s.others_queued, "waiting"))
        if n
    ]
    return f"On this server for other labs: {' and '.join(parts)}."


def queued_ui(s: RunState, runner: TrainQueue) -> None:
    st.subheader(f"{s.name} is in the queue")
    st.caption(_recipe(s))
    place = "Yours is next" if not s.ahead else f"{s.ahead} {'run' if s.ahead == 1 else 'runs'} ahead of yours"
    wait = f": it should start in about {clock(s.wait)}" if s.wait else ""
    st.info(
        f"{place}{wait}. Training starts by itself; you can go and draw meanwhile.", icon=":material/hourglass_top:"
    )
    if theirs(s):
        st.caption(":material/group: Queued from another tab or browser of this lab.")
    st.button(
        "Cancel",
        key="train_cancel",
        icon=":material/cancel:",
        on_click=runner.cancel,
        kwargs={"run_id": s.run_id},
        help="Take it out of the queue.",
    )


def running_ui(s: RunState, runner: TrainQueue) -> None:
    st.subheader(f"Training {s.name}")
    st.caption(_recipe(s))
    if theirs(s):
        st.caption(
            ":material/group: Started from another tab or browser of this lab: a lab trains one model at a time."
        )
    if s.epoch:
        label = f"Epoch {s.epoch} of {s.epochs} · batch {s.batch} of {s.batches} · {s.progress:.0%}"
    else:
        label = f"Epoch 0 of {s.epochs}"
    st.progress(s.progress, text=label)
    eta = f" · about {clock(s.eta)} left" if s.eta is not None else ""
    st.caption(f"{PHASE.get(s.status, 'Learning…')}  \nElapsed {clock(s.elapsed())}{eta}")
    stop_ui(s, runner)
    if s.trace:
        latest = s.trace[-1]
        cols = st.columns(2)
        cols[0].metric("Training accuracy (this epoch)", f"{latest['accuracy']:.2%}")
        val = next((h["val_accuracy"] for h in reversed(s.history) if h.get("val_accuracy") is not None), None)
        if val is not None:
            cols[1].metric(f"Validation accuracy (epoch {s.history[-1]['epoch']})", f"{val:.2%}")
    else:
        st.info("The loss and accuracy curves start after the first few batches.", icon=":material/show_chart:")


def stop_ui(s: RunState, runner: TrainQueue) -> None:
    if s.status == "stopping":
        return
    with st.popover("Stop", icon=":material/stop_circle:"):
        if theirs(s):
            st.warning(
                f"{s.name} was started from another tab or browser: stopping it stops that person's run.",
                icon=":material/group:",
            )
        st.markdown("Stop after the current batch and…")
        st.button(
            "Keep the best weights so far",
            key="train_stop_keep",
            type="primary",
            on_click=runner.stop,
            kwargs={"keep": True, "run_id": s.run_id},
            help="Saved like a finished run: tested, in the runs table.",
        )
        st.button(
            "Discard this run",
            key="train_stop_discard",
            on_click=runner.stop,
            kwargs={"keep": False, "run_id": s.run_id},
            help="Nothing is saved.",
        )


def finished_ui(s: RunState, runner: TrainQueue, registry: Registry) -> None:
    r = s.result
    if s.status == "stopped":
        st.subheader(f"{s.name}: stopped and kept")
        st.caption(
            f"Stopped during epoch {s.epoch} of {s.epochs}; it keeps the weights of epoch {r['best_epoch']}, "
            "the one with the lowest validation loss."
            if r["best_epoch"]
            else f"Stopped during epoch {s.epoch} of {s.epochs}, before the first epoch ended."
        )
    else:
        st.subheader(f"{s.name} is trained")
        st.caption(_recipe(s))
    top, bottom = st.columns(2), st.columns(2)
    top[0].metric(
        "Test accuracy", f"{r['accuracy']:.2%}", help="On the 10,000 MNIST test images, never used in training."
    )
    top[1].metric("Test loss", f"{r['loss']:.4f}")
    bottom[0].metric("Parameters", f"{r['params']:,}")
    bottom[1].metric(
        "Training time",
        f"{r['train_seconds']:.1f} s",
        help=f"Time spent learning; {clock(s.elapsed())} from a worker taking it to saved, start-up and testing included.",
    )
    if s.late_discard:
        st.warning(
            f"Discard came too late: {s.name} had already been saved. Delete it under All models below "
            "if you do not want it.",
            icon=":material/warning:",
        )
    activate_ui(s.name, registry)
    st.button(
        "Close", key="train_dismiss", icon=":material/close:", on_click=runner.dismiss, kwargs={"run_id": s.run_id}
    )


def activate_ui(name: str, registry: Registry) -> None:
    if not registry.exists(name):
        st.info(f"{name} has been deleted.")
    elif registry.active_name() == name:
        st.success(f"{name} is the active model: the Draw page uses it now.", icon=":material/check_circle:")
    else:
        st.button(
            f"Make {name} the active model",
            key="train_activate",
            type="primary",
            icon=":material/bolt:",
            on_click=_activate,
            args=(name, registry),
        )


def _activate(name: str, registry: Registry) -> None:
    try:
        registry.set_active(name)
    except RegistryError as error:
        st.session_state.train_notice = str(error)


def ended_ui(s: RunState, runner: TrainQueue) -> None:
    if s.status == "cancelled":
        st.info(
            f"{s.name} was taken out of the queue before it started; nothing was trained.", icon=":material/cancel:"
        )
    elif s.status == "discarded":
        st.info(f"{s.name} was stopped; nothing was saved.", icon=":material/delete:")
    else:
        st.error(f"{s.name} did not finish: {s.error}", icon=":material/error:")
        if s.stderr_tail and "last lines are below" in (s.error or ""):
            st.code(s.stderr_tail, language=None)
    st.button(
        "Close", key="train_dismiss", icon=":material/close:", on_click=runner.dismiss, kwargs={"run_id": s.run_id}
    )


def idle_ui(s: RunState) -> None:
    st.subheader("Watch it learn")
    st.markdown(
        "Pick a starting point in the form, change what you like, name the model and press **Train**. "
        "The progress and the loss and accuracy curves show up here, epoch by epoch. "
        "Training runs in the background: you can go and draw meanwhile."
    )
    others = others_sentence(s)
    if others:
        st.caption(f":material/group: {others} Yours would wait its turn.")


def live_ui(runner: TrainQueue, registry: Registry) -> None:
    """The run's panel: polled every second while a run goes, every few seconds otherwise, so that a run
    started in another tab shows up. (The idle timer once raced the form: ui.train.form no longer sets a
    widget from code that a stale timed rerun could undo.)"""
    s = look(runner)
    st.fragment(_live, run_every=1 if s is None or s.active else IDLE_EVERY)(runner, registry)


def _live(runner: TrainQueue, registry: Registry) -> None:
    s = look(runner)
    with st.container(border=True):
        if s is None:
            st.warning(
                "The database is not answering right now; this panel tries again every second.",
                icon=":material/cloud_off:",
            )
            return
        if s.status == "queued":
            queued_ui(s, runner)
        elif s.active:
            running_ui(s, runner)
        elif s.status in ("done", "stopped"):
            finished_ui(s, runner, registry)
        elif s.status in ("discarded", "failed", "cancelled"):
            ended_ui(s, runner)
        else:
            idle_ui(s)
    # a run started (maybe in another tab) or ended: rerun the whole page once, so the curves
    # fragment changes pace and the runs table shows the new model
    seen = st.session_state.get("train_seen")
    st.session_state.train_seen = (s.name, s.active, s.status in ("done", "stopped"))
    if seen is not None and seen != st.session_state.train_seen:
        st.rerun(scope="app")


def _curves(runner: TrainQueue) -> None:
    s = look(runner)
    if s is None or not (s.trace or s.history) or s.status not in (*ACTIVE, "done", "stopped"):
        return
    with st.container(border=True):
        st.plotly_chart(curves_figure(s.history, s.trace), config=CHART_CONFIG, key="train_curves")
        st.caption(
            "Dots mark the end of each epoch: the validation images are checked only then. "
            "The thin line is the training figure as the epoch goes."
        )


def curves_ui(runner: TrainQueue) -> None:
    """The learning curves: redrawn every few seconds while a run goes, drawn once when it has ended."""
    s = look(runner)
    st.fragment(_curves, run_every=CURVES_EVERY if s is None or s.active else None)(runner)
