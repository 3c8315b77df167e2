"""Use and manage models from the command line.

    python -m model predict FILE... [--model NAME] [--json]
    python -m model list [--json]
    python -m model show NAME [--json]     # the whole metadata, with `snapshots`: the recorded epochs
    python -m model activate NAME
    python -m model delete NAME
    python -m model neuron --layer L --unit U [--model NAME] [--json]
    python -m model explain FILE [--versus D] [--model NAME] [--json]
    python -m model export NAME [--out FILE] [--json]    # the model's .keras file: weights + metadata
    python -m model drawings [--out FILE] [--json]       # My drawings as a zip: MNIST IDX files, PNGs, CSV
    python -m model class create NAME [--students N] [--models N] [--runs N] [--json]   # a class on a shared server

`predict` prints one line per file: {"file", "digit" (null when blank), "probabilities"}.
Bad input: one sentence on stderr, exit code 2; the other files are still predicted.
`neuron` prints one unit over the 10,000 MNIST test digits (layers from 1, units from 0): its most and
least exciting test indices, how often it fires, its mean output. `explain` splits the score difference
between the drawing's top digit and `--versus` (default: the runner-up) into 28x28 pixel contributions
and a bias, which add up to it (exactly for ReLU networks; otherwise "residual" says what is left over).
`export` and `drawings` are the Train and Draw pages' downloads (model/export.py): written to a temporary
name, then renamed; `--out` defaults to NAME.keras and my-drawings.zip here, and a folder gets that name inside.
`class create` makes a teacher's lab and its class (model/classes.py) and prints the teacher's link and the
students' join link as paths with their query, which work on any address the shared server answers on.
"""

from __future__ import annotations

import sys
from pathlib import Path

from model.console import Parser, emit, fail, quiet_tensorflow, warn
from model.images import ImageError, load_image
from model.registry import Registry, RegistryError


def build_parser() -> Parser:
    parser = Parser(prog="python -m model", description="Predict digits and manage the model registry.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    p = sub.add_parser("predict", help="classify image files of handwritten digits")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--model", help="registry name (default: the active model)")
    p.add_argument("--json", action="store_true")
    ls = sub.add_parser("list", help="list the models in the registry")
    ls.add_argument("--json", action="store_true")
    sh = sub.add_parser("show", help="print a model's metadata: architecture, training, metrics, checksum, snapshots")
    sh.add_argument("name")
    sh.add_argument("--json", action="store_true")
    a = sub.add_parser("activate", help="make a model the active one (the Draw page's default)")
    a.add_argument("name")
    d = sub.add_parser("delete", help="delete a model (never the bundled default)")
    d.add_argument("name")
    n = sub.add_parser("neuron", help="what one hidden unit responds to over the MNIST test digits")
    n.add_argument("--layer", type=int, required=True, help="hidden layer, from 1")
    n.add_argument("--unit", type=int, required=True, help="unit within the layer, from 0")
    n.add_argument("--model", help="registry name (default: the active model)")
    n.add_argument("--json", action="store_true")
    e = sub.add_parser("explain", help="why an image reads as its top digit and not another one")
    e.add_argument("file", metavar="FILE")
    e.add_argument("--versus", type=int, help="the digit to compare with (default: the runner-up)")
    e.add_argument("--model", help="registry name (default: the active model)")
    e.add_argument("--json", action="store_true")
    x = sub.add_parser("export", help="copy a model's .keras file (keras.saving.load_model opens it; metadata inside)")
    x.add_argument("name")
    x.add_argument("--out", help="file or folder to write (default: NAME.keras here)")
    x.add_argument("--json", action="store_true")
    dr = sub.add_parser("drawings", help="My drawings as a zip: MNIST-format IDX files, the PNGs, drawings.csv")
    dr.add_argument("--out", help="file or folder to write (default: my-drawings.zip here)")
    dr.add_argument("--json", action="store_true")
    cl = sub.add_parser("class", help="classes on a shared server (make serve)")
    cl_sub = cl.add_subparsers(dest="class_command", required=True, parser_class=Parser)
    cc = cl_sub.add_parser("create", help="a teacher's lab with a new class: prints the teacher's and the join link")
    cc.add_argument("name", help="the class's name, as students see it when they join")
    cc.add_argument("--students", type=int, default=None, help="at most this many students may join (default 40)")
    cc.add_argument("--models", type=int, default=None, help="models each student may keep (default 5)")
    cc.add_argument("--runs", type=int, default=None, help="the class's runs training or waiting at once (default 10)")
    cc.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_tensorflow()
    try:
        registry = Registry()
        if args.command == "predict":
            return predict(args, registry)
        if args.command == "list":
            return list_models(args, registry)
        if args.command == "neuron":
            return neuron(args, registry)
        if args.command == "explain":
            return explain(args, registry)
        if args.command == "show":
            return show_model(args, registry)
        if args.command == "export":
            return export_model(args, registry)
        if args.command == "drawings":
            return export_drawings(args)
        if args.command == "class":
            return create_class(args)
        if args.command == "activate":
            registry.set_active(args.name)
            print(f"{args.name} is now the active model.")
        elif args.command == "delete":
            registry.delete(args.name)
            print(f"deleted {args.name}.")
        return 0
    except RegistryError as error:
        fail(str(error))


def predict(args, registry: Registry) -> int:
    from model.inference import Classifier
    from model.preprocess import to_mnist

    if args.model:
        registry.get(args.model)  # unknown name: one sentence before loading anything
    images, failed = [], False
    for path in args.files:  # decode everything first: a bad file is reported without loading the model
        try:
            images.append((path, load_image(path)))
        except ImageError as error:
            print(f"error: {error}", file=sys.stderr)
            failed = True
    classifier = Classifier.load(args.model, registry) if images else None
    if classifier is not None and classifier.warning:
        warn(classifier.warning)
    for path, image in images:
        x = to_mnist(image)
        probabilities = [0.0] * 10 if x is None else [round(float(p), 6) for p in classifier.predict_proba(x[None])[0]]
        digit = None if x is None else max(range(10), key=probabilities.__getitem__)
        if args.json:
            emit({"file": path, "digit": digit, "probabilities": probabilities})
        elif digit is None:
            print(f"{path}: blank (no ink found)")
        else:
            print(f"{path}: {digit} ({probabilities[digit]:.1%})")
    return 2 if failed else 0


def list_models(args, registry: Registry) -> int:
    records = registry.records()
    if args.json:
        for record in records:
            emit(record.summary())
        return 0
    print(f"{'':2}{'name':<28} {'architecture':<34} {'params':>9} {'test acc':>8}  created")
    for r in records:
        acc = f"{r.accuracy:.2%}" if r.accuracy is not None else "-"
        print(f"{'*' if r.active else ' ':2}{r.name:<28} {r.arch.describe():<34} {r.params:>9,} {acc:>8}  {r.created}")
    return 0


def _classifier(args, registry: Registry):
    from model.inference import Classifier

    if args.model:
        registry.get(args.model)  # unknown name: one sentence before loading anything
    classifier = Classifier.load(args.model, registry)
    if classifier.warning:
        warn(classifier.warning)
    return classifier


def neuron(args, registry: Registry) -> int:
    from model import neurons
    from model.mnist import DataError, load_mnist

    classifier = _classifier(args, registry)
    try:
        neurons.check(classifier, args.layer, args.unit)
        _, (x_test, _) = load_mnist()
    except (neurons.NeuronError, DataError) as error:
        fail(str(error))
    view = neurons.neuron(classifier, neurons.record(classifier, x_test, layers=args.layer), args.layer, args.unit)
    out = {
        "model": classifier.name,
        "layer": view.layer,
        "unit": view.unit,
        "activation": view.activation,
        "top": list(view.top),
        "bottom": list(view.bottom),
        "active_share": round(view.active_share, 6),
        "mean_activation": round(view.mean_activation, 6),
    }
    if args.layer == neurons.hidden_count(classifier):
        out["votes"] = [round(float(w), 6) for w in neurons.outgoing(classifier, args.layer, args.unit)]
    if args.json:
        emit(out)
        return 0
    print(f"{classifier.name}: hidden layer {view.layer}, unit {view.unit} ({view.activation})")
    print(f"fires on {view.active_share:.1%} of the 10,000 MNIST test digits; mean output {view.mean_activation:.4f}")
    print(f"most exciting test digits:  {' '.join(f'#{i}' for i in view.top)}")
    print(f"least exciting test digits: {' '.join(f'#{i}' for i in view.bottom)}")
    if "votes" in out:
        print("votes (outgoing weights): " + "  ".join(f"{d}:{w:+.3f}" for d, w in enumerate(out["votes"])))
    return 0


def explain(args, registry: Registry) -> int:
    from model.contrast import contrast, runner_up
    from model.preprocess import to_mnist

    try:
        image = load_image(args.file)
    except ImageError as error:
        fail(str(error))
    x = to_mnist(image)
    if x is None:
        fail(f"{args.file} is blank: there is no ink to explain.")
    if args.versus is not None and not 0 <= args.versus <= 9:
        fail(f"--versus must be a digit from 0 to 9, got {args.versus}.")
    classifier = _classifier(args, registry)
    digit, second = runner_up(classifier, x)
    versus = second if args.versus is None else args.versus
    if versus == digit:
        fail(f"{args.file} reads as {digit}; --versus must be another digit to compare it with.")
    c = contrast(classifier, x, digit, versus)
    if args.json:
        emit(
            {
                "file": args.file,
                "model": classifier.name,
                "digit": digit,
                "versus": versus,
                "logit_difference": c.logit_difference,
                "bias": c.bias,
                "residual": c.residual,
                "exact": c.exact,
                "contributions": c.contributions.tolist(),
            }
        )
        return 0
    print(f"{args.file}: reads as {digit}; score {digit} - score {versus} = {c.logit_difference:.4f}")
    print(
        f"  = pixels {c.contributions.sum():.4f} (for {digit}: {c.contributions[c.contributions > 0].sum():.4f}, "
        f"for {versus}: {c.contributions[c.contributions < 0].sum():.4f}) + bias {c.bias:.4f}"
        + ("" if c.exact else f" + residual {c.residual:.4f} (an approximation: not a ReLU network)")
    )
    return 0


def show_model(args, registry: Registry) -> int:
    from model.snapshots import SnapshotError, replay_of, sidecar_path
    from model.store import ModelFileError, read_meta

    record = registry.get(args.name)
    try:
        meta = read_meta(record.path).to_dict()
    except ModelFileError as error:  # the registry's copy of the metadata still answers
        warn(str(error))
        meta = {"train": record.train, "metrics": record.metrics, "history": record.history, "replay": {}}
    replay = meta.pop("replay", {})
    info = {
        "name": record.name,
        "architecture": record.arch.describe(),
        "arch": record.arch.to_dict(),
        "params": record.params,
        "active": record.active,
        "bundled": record.bundled,
        "created": record.created,
        "file": str(record.path),
        "sha256": record.sha256,
        **{k: v for k, v in meta.items() if k not in ("name", "arch")},
        "snapshots": replay.get("epochs", []),
        "snapshots_file": str(sidecar_path(record.path)) if replay else None,
    }
    try:
        replay_of(record.path, replay)
    except SnapshotError as error:
        info["snapshots_warning"] = f"the replay is unavailable: {error}"
        warn(info["snapshots_warning"])
    if args.json:
        emit(info)
        return 0
    accuracy = record.metrics.get("accuracy")
    lines = [
        f"{record.name}{' (active)' if record.active else ''}{' (bundled)' if record.bundled else ''}",
        f"  architecture  {info['architecture']}, {record.params:,} params",
        "  training      " + ", ".join(f"{k} {v}" for k, v in info["train"].items()),
        f"  test accuracy {accuracy:.2%}" if accuracy is not None else "  test accuracy -",
        f"  epochs        {len(info['history'])} in {info.get('train_seconds') or 0:.1f} s, created {record.created}",
        f"  file          {record.path} (sha256 {record.sha256[:12]}…)",
        f"  snapshots     epochs {_ranges(info['snapshots'])}"
        if info["snapshots"]
        else "  snapshots     no replay recorded",
    ]
    print("\n".join(lines))
    return 0


def export_model(args, registry: Registry) -> int:
    from model.export import model_bytes
    from model.store import ModelFileError

    record = registry.get(args.name)  # unknown name: one sentence before anything is written
    out = _out_path(args.out, f"{record.name}.keras")
    try:
        data = model_bytes(record)
    except ModelFileError as error:
        fail(f"cannot export {record.name!r}: {error}")
    _write(out, data)
    if args.json:
        emit({"name": record.name, "file": str(out), "bytes": len(data), "sha256": record.sha256})
    else:
        print(
            f"wrote {out}: {record.name} and its metadata, {len(data) / 1e6:.1f} MB (keras.saving.load_model opens it)."
        )
    return 0


def export_drawings(args) -> int:
    from model.drawings import DrawingStore
    from model.export import DRAWINGS_ZIP, pack_drawings

    out = _out_path(args.out, DRAWINGS_ZIP)
    drawings = DrawingStore().list()[::-1]  # oldest first, as drawings_zip packs them
    if not drawings:
        fail("there are no saved drawings yet: draw a digit on the Draw page and save it with Teach it.")
    data = pack_drawings(drawings)
    _write(out, data)
    if args.json:
        emit({"file": str(out), "drawings": len(drawings), "bytes": len(data)})
    else:
        print(f"wrote {out}: {len(drawings)} drawings as MNIST-format IDX files, their PNGs and drawings.csv.")
    return 0


def create_class(args) -> int:
    from model import classes, db
    from model.registry import data_home
    from model.workspace import key_hash, new_key

    home = data_home()
    limits = {
        "max_students": classes.MAX_STUDENTS if args.students is None else args.students,
        "max_models": classes.MAX_MODELS if args.models is None else args.models,
        "max_runs": classes.MAX_RUNS if args.runs is None else args.runs,
    }
    try:
        classes.check_class_name(args.name), classes.check_limits(**limits)  # before the teacher's lab exists
        key = new_key()
        teacher = db.create_workspace(home, key_hash(key))
        room, join_key = classes.create_class(home, args.name, teacher, **limits)
    except classes.ClassError as error:
        fail(str(error))
    links = {"name": room.name, "teacher_link": f"/Class?key={key}", "join_link": f"/Class?join={join_key}"}
    if args.json:
        emit(links)
    else:
        print(f"class {room.name!r} created; it needs a shared server (make serve).")
        print(f"  the teacher's link (keep it to yourself): {links['teacher_link']}")
        print(f"  the students' join link:                  {links['join_link']}")
    return 0


def _out_path(out: str | None, default_name: str) -> Path:
    """--out as given (`default_name` here without it, inside it for a folder); a missing folder is refused."""
    path = Path(out or default_name)
    if path.is_dir():
        path = path / default_name
    if not path.parent.is_dir():
        fail(f"cannot write {path}: the folder {path.parent} does not exist.")
    return path


def _write(path: Path, data: bytes) -> None:
    from model.export import write_file

    try:
        write_file(path, data)
    except OSError as error:  # no permission, disk full...: nothing is left behind
        fail(f"cannot write {path}: {error.strerror or error}.")


def _ranges(epochs: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5'"""
    parts, start = [], None
    for i, e in enumerate(epochs):
        start = e if start is None else start
        if i + 1 == len(epochs) or epochs[i + 1] != e + 1:
            parts.append(str(e) if start == e else f"{start}-{e}")
            start = None
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
