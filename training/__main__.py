"""Train and evaluate from the command line.

    python -m training fit --hidden 256,128 --activation relu --dropout 0.2 --optimizer adam \
        --lr 1e-3 --batch-size 128 --epochs 10 --augment --seed 0 --name my-model [--no-snapshots] [--json] \
        [--workspace ID]   # whose lab the model and "my drawings" belong to (default: personal)
    python -m training evaluate [--model NAME] [--json]
    python -m training standby    # warm up, print {"event": "ready"}, then run the `fit` arguments read from stdin
    python -m training worker [--workers N]   # train the runs Digit Lab servers queue (training/queue.py)

Human output by default; `--json` prints one JSON object per line (epoch events, then the
result). Ctrl-C (or SIGTERM) stops training within one batch; `--on-stop keep` (default)
saves the best weights so far, `--on-stop discard` saves nothing; SIGUSR1 stops and saves
nothing whatever --on-stop says (the Train page's "discard"). `--arch JSON` gives each
hidden layer its own activation and dropout. Bad input: one sentence on stderr, exit code 2.

`standby` is how the Train page starts a run without waiting for TensorFlow: it imports
Keras and loads MNIST ahead of time, then reads one line, a JSON list of `fit` arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time

from model.console import Parser, emit, fail, quiet_tensorflow, warn
from model.registry import Registry, RegistryError, check_name
from model.spec import ACTIVATIONS, ArchSpec, SpecError, parse_hidden
from model.workspace import PERSONAL, Workspace
from training.config import MAX_SEED, OPTIMIZERS, SCHEDULES, TrainConfig
from training.data import DataError

# The short command's recipe: on a CPU a step's fixed cost dominates a small dense network, so
# 4x fewer, larger steps (with a step size to match) train the same epochs about 5x faster than
# batch 32 (bench/training_speed.py --defaults). The Train page's presets give their own values.
DEFAULT_BATCH_SIZE = 512
DEFAULT_LR = 2e-3
PARENT_VAR = "DIGITLAB_PARENT_PID"  # set by training/runner.py's _Child: the pid of the process that started it
ARCH_EXAMPLE = '{"hidden": [{"units": 128, "activation": "relu", "dropout": 0}]}'
LAYER_KEYS = ("units", "activation", "dropout")  # what each hidden layer of --arch must give


def finite(text: str) -> float:
    """argparse type for a float flag: 'inf' and 'nan' parse as floats, but no setting means them."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def build_parser() -> Parser:
    parser = Parser(prog="python -m training", description="Train and evaluate Digit Lab models on MNIST.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    f = sub.add_parser("fit", help="train a dense network, evaluate it on the MNIST test set, save it")
    f.add_argument(
        "--arch", help="the whole network as JSON (ArchSpec.to_dict()); overrides --hidden/--activation/--dropout"
    )
    f.add_argument(
        "--hidden", default="256,128", help="units per hidden layer, e.g. 256,128 ('none' = softmax regression)"
    )
    f.add_argument("--activation", default="relu", choices=ACTIVATIONS)
    f.add_argument("--dropout", type=finite, default=0.0, help="dropout after each hidden layer, 0..0.8")
    f.add_argument("--optimizer", default="adam", choices=OPTIMIZERS)
    f.add_argument("--lr", type=finite, default=DEFAULT_LR, help="learning rate, > 0")
    f.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    f.add_argument("--epochs", type=int, default=10)
    f.add_argument("--val-split", type=finite, default=0.1, help="fraction of training data held out, 0..0.5")
    f.add_argument(
        "--augment", action="store_true", help="random shift/rotation/scale/shear/thickness/elastic per epoch"
    )
    f.add_argument(
        "--pen-strokes",
        type=finite,
        default=0.0,
        metavar="SHARE",
        help="share (0..1) of each epoch's images redrawn as quick pen strokes, like mouse drawings",
    )
    f.add_argument(
        "--pen-data",
        type=finite,
        default=0.0,
        metavar="SHARE",
        help="share (0..1) of each batch drawn from real pen trajectories (UCI pendigits, 30 writers)",
    )
    f.add_argument("--schedule", default="constant", choices=SCHEDULES)
    f.add_argument("--label-smoothing", type=finite, default=0.0)
    f.add_argument("--early-stopping", type=int, default=0, metavar="PATIENCE", help="epochs without val improvement")
    f.add_argument("--train-limit", type=int, default=0, metavar="N", help="train on the first N images only")
    f.add_argument("--include-drawings", action="store_true", help="add your labelled drawings to the training data")
    f.add_argument("--seed", type=int, default=0, help=f"0..{MAX_SEED}")
    f.add_argument(
        "--no-snapshots",
        action="store_true",
        help="do not record the replay (first-layer weights and test guesses per epoch) beside the model",
    )
    f.add_argument("--name", help="registry name (default: derived from the architecture and time)")
    f.add_argument("--activate", action="store_true", help="make the new model the active one")
    f.add_argument(
        "--workspace",
        default=PERSONAL.id,
        metavar="ID",
        help="the workspace (lab) the model is saved in and whose drawings --include-drawings adds",
    )
    f.add_argument("--on-stop", choices=("keep", "discard"), default="keep", help="what an interrupted run saves")
    f.add_argument(
        "--out", help="also copy the saved model file (and its snapshots) here (how the bundled default is made)"
    )
    f.add_argument(
        "--parent",
        type=int,
        metavar="PID",
        help="stop (as Ctrl-C does) if process PID exits; what is kept then is --orphan's choice (the standby "
        "child of a queue worker is given its worker)",
    )
    f.add_argument(
        "--orphan",
        choices=("keep", "discard"),
        default="keep",
        help="when --parent exits: stop and keep the best weights so far (default), or save nothing "
        "(a queue worker's choice: the run is marked failed, not half-done)",
    )
    f.add_argument("--json", action="store_true", help="one JSON object per line")

    sub.add_parser("standby", help="import TensorFlow and load MNIST, then run the fit arguments read from stdin")

    w = sub.add_parser("worker", help="train the runs queued by Digit Lab servers, one per worker at a time")
    w.add_argument(
        "--workers",
        type=int,
        default=None,
        help="runs trained at once (default: DIGITLAB_WORKERS, else 1); the store is DIGITLAB_DATABASE_URL's, "
        "else DIGITLAB_HOME's",
    )

    e = sub.add_parser("evaluate", help="evaluate a registry model on the MNIST test set")
    e.add_argument("--model", help="registry name (default: the active model)")
    e.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_tensorflow()
    if args.command == "standby":
        return run_standby()
    if args.command == "worker":
        return run_worker(args)
    try:
        return run_fit(args) if args.command == "fit" else run_evaluate(args)
    except (SpecError, RegistryError, DataError) as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted.", code=130)


def run_worker(args) -> int:
    """Take runs from the queue until stopped; bad settings get one sentence and exit code 2."""
    from model.registry import data_home
    from training.queue import run_worker as work
    from training.queue import workers_setting

    try:
        workers = workers_setting() if args.workers is None else args.workers
    except ValueError as error:
        fail(str(error))
    if workers < 1:
        fail(f"--workers must be 1 or more, got {workers}.")
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from model import db

    try:
        db.engine(data_home())  # reaches the store and brings its schema up to date, before any run is taken
    except (ArgumentError, DBAPIError, NoSuchModuleError, ValueError) as error:
        where = "DIGITLAB_DATABASE_URL's database" if os.environ.get("DIGITLAB_DATABASE_URL") else data_home()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        fail(f"cannot open the store ({where}): {reason.rstrip('.')}.")
    work(data_home(), workers)
    return 0


def run_standby() -> int:
    """Pay TensorFlow's start-up and MNIST loading now; then one `fit` whose arguments arrive on stdin."""
    import training.run  # noqa: F401 - imports keras and the fit loop
    from training.data import DataError, load_mnist

    try:
        load_mnist()
    except DataError:
        pass  # `fit` reports it with its usual sentence
    emit({"event": "ready"})
    # the worker that started us (told before TensorFlow's import: a parent gone meanwhile is still noticed);
    # if it dies mid-run, the run stops and saves as --orphan says
    parent = int(os.environ.get(PARENT_VAR) or os.getppid())
    line = sys.stdin.readline()
    if not line.strip():  # the parent went away or changed its mind
        return 0
    return main(["fit", *json.loads(line), "--parent", str(parent)])


def _arch(args) -> ArchSpec:
    if not args.arch:
        return ArchSpec.simple(parse_hidden(args.hidden), args.activation, args.dropout)
    try:
        data = json.loads(args.arch)
    except ValueError:
        raise SpecError(f"--arch must be JSON like {ARCH_EXAMPLE}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("hidden"), list):
        raise SpecError(f'--arch needs a "hidden" list, like {ARCH_EXAMPLE}.')
    for i, layer in enumerate(data["hidden"]):
        if not isinstance(layer, dict):
            raise SpecError(
                f'--arch: hidden layer {i + 1} must be an object like {{"units": 128, "activation": "relu", "dropout": 0}}.'
            )
        missing = [key for key in LAYER_KEYS if key not in layer]
        if missing:
            raise SpecError(
                f"--arch: hidden layer {i + 1} has no {' and no '.join(map(repr, missing))} (each layer needs "
                f"{', '.join(map(repr, LAYER_KEYS))})."
            )
        units = layer["units"]
        if isinstance(units, bool) or not (isinstance(units, int) or isinstance(units, float) and units.is_integer()):
            raise SpecError(f"--arch: hidden layer {i + 1}: units must be a whole number, got {layer['units']!r}.")
        if not isinstance(layer["dropout"], (int, float)) or isinstance(layer["dropout"], bool):
            raise SpecError(f"--arch: hidden layer {i + 1}: dropout must be a number, got {layer['dropout']!r}.")
    return ArchSpec.from_dict(data)


def train_config(args) -> TrainConfig:
    """The `fit` flags as the TrainConfig they describe (the runner builds those flags from a TrainConfig)."""
    return TrainConfig(
        optimizer=args.optimizer,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=args.val_split,
        augment=args.augment,
        pen_strokes=args.pen_strokes,
        pen_data=args.pen_data,
        include_drawings=args.include_drawings,
        seed=args.seed,
        schedule=args.schedule,
        label_smoothing=args.label_smoothing,
        early_stopping=args.early_stopping,
        train_limit=args.train_limit,
        snapshots=not args.no_snapshots,
    )


def run_fit(args) -> int:
    arch = _arch(args)
    cfg = train_config(args)
    name = check_name(default_name(arch) if args.name is None else args.name)  # --name "" is refused, not replaced
    workspace = Workspace(args.workspace)
    registry = Registry(workspace=workspace)  # an unknown workspace: RegistryError, one sentence, exit 2
    if registry.exists(name):
        raise RegistryError(f"a model named {name!r} already exists; choose another name.")

    from training.data import DataError, load_mnist  # heavy imports only once the input is known to be good
    from training.run import train_and_register, training_set

    try:
        (x_train, y_train), (x_test, y_test) = load_mnist()
    except DataError as error:
        fail(str(error))
    stop = _StopFlag(parent=args.parent, orphan_discard=args.orphan == "discard")
    printer = _Printer(args.json)
    outcome = train_and_register(
        name,
        arch,
        cfg,
        training_set(cfg, (x_train, y_train), workspace),
        (x_test, y_test),
        registry,
        on_batch=printer.batch,
        on_epoch=printer.epoch,
        should_stop=stop,
        keep_on_stop=lambda: args.on_stop == "keep" and not stop.discard,
        discard=lambda: stop() and stop.discard,  # stop() looks at the parent again, up to the save
        on_snapshot=printer.snapshot,
    )
    printer.close()
    if outcome.record is None:
        warn("training was stopped; nothing was saved (" + ("SIGUSR1" if stop.discard else "--on-stop discard") + ").")
        return 1
    if args.activate:
        registry.set_active(name)
    if args.out:
        import shutil

        from model.snapshots import sidecar_path

        shutil.copyfile(outcome.record.path, args.out)
        if sidecar_path(outcome.record.path).is_file():  # the replay travels with the model
            shutil.copyfile(sidecar_path(outcome.record.path), sidecar_path(args.out))
        else:
            sidecar_path(args.out).unlink(missing_ok=True)  # an older replay there belongs to another model
    result = outcome.summary()
    if args.json:
        emit({"event": "result", **result})
    else:
        print(
            f"{name}: test accuracy {result['accuracy']:.2%}, loss {result['loss']:.4f}, {result['params']:,} params, "
            f"{result['epochs']} epochs in {result['train_seconds']:.1f} s"
            + (" (stopped early)" if result["stopped"] else "")
        )
    return 0


def run_evaluate(args) -> int:
    from model.inference import Classifier
    from training.data import DataError, load_mnist
    from training.evaluate import evaluate

    registry = Registry()
    classifier = Classifier.load(args.model, registry)
    if classifier.warning:
        warn(classifier.warning)
    try:
        _, (x_test, y_test) = load_mnist()
    except DataError as error:
        fail(str(error))
    start = time.perf_counter()
    result = evaluate(classifier.predict_proba(x_test.astype("float32") / 255), y_test)
    seconds = time.perf_counter() - start
    if args.json:
        emit({"model": classifier.name, **result.summary(), "seconds": seconds})
        return 0
    print(f"{classifier.name}: accuracy {result.accuracy:.2%}, loss {result.loss:.4f} on {len(y_test)} test images")
    print("digit  precision  recall     f1  support")
    for row in result.per_class:
        print(
            f"{row['digit']:>5}  {row['precision']:>9.4f}  {row['recall']:>6.4f}  {row['f1']:.4f}  {row['support']:>7}"
        )
    return 0


def default_name(arch: ArchSpec) -> str:
    units = "-".join(str(layer.units) for layer in arch.hidden) or "softmax"
    return f"mlp-{units}-{time.strftime('%Y%m%d-%H%M%S')}"


class _StopFlag:
    """Set by Ctrl-C, SIGTERM or SIGUSR1 (stop and save nothing), or by the death of process `parent`;
    polled after every batch, so training stops within one batch."""

    def __init__(self, parent: int | None = None, orphan_discard: bool = False):
        self.set = False
        self.discard = False  # SIGUSR1: the user chose to throw this run away
        self.parent = parent  # once our parent is no longer this pid, it has died (we were re-parented)
        self.orphan_discard = orphan_discard  # if it dies: save nothing (--orphan discard)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame):
        self.set = True
        self.discard = self.discard or signum == signal.SIGUSR1

    def __call__(self) -> bool:
        if self.parent is not None and not self.set and os.getppid() != self.parent:
            self.set = True  # like Ctrl-C: keep the best weights so far, unless --on-stop or --orphan discard
            self.discard = self.discard or self.orphan_discard
        return self.set


class _Printer:
    """Per-epoch lines (and a progress bar on a terminal), or JSON lines."""

    def __init__(self, as_json: bool):
        self.json = as_json
        self.tty = sys.stderr.isatty() and not as_json

    def batch(self, r) -> None:
        if self.json:
            emit(
                {
                    "event": "batch",
                    "epoch": r.epoch,
                    "epochs": r.epochs,
                    "batch": r.batch,
                    "batches": r.batches,
                    "loss": r.loss,
                    "accuracy": r.accuracy,
                    "elapsed": r.elapsed,
                }
            )
        elif self.tty:
            done = int(30 * r.batch / r.batches)
            print(
                f"\repoch {r.epoch}/{r.epochs} [{'#' * done}{'.' * (30 - done)}] loss {r.loss:.4f} acc {r.accuracy:.4f}",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def epoch(self, r) -> None:
        if self.json:
            emit({"event": "epoch", **r.__dict__})
            return
        if self.tty:
            print("\r" + " " * 79 + "\r", end="", file=sys.stderr)
        val = f", val loss {r.val_loss:.4f}, val acc {r.val_accuracy:.4f}" if r.val_loss is not None else ""
        print(
            f"epoch {r.epoch}/{r.epochs}: loss {r.loss:.4f}, acc {r.accuracy:.4f}{val} ({r.elapsed:.1f} s)", flush=True
        )

    def snapshot(self, event: dict) -> None:
        """A point of the replay (model/snapshots.py point_event): only the Train page reads these."""
        if self.json:
            emit({"event": "snapshot", **event})

    def close(self) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main())
