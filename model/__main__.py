"""Use and manage models from the command line.

    python -m model predict FILE... [--model NAME] [--json]
    python -m model list [--json]
    python -m model activate NAME
    python -m model delete NAME

`predict` prints one line per file: {"file", "digit" (null when blank), "probabilities"}.
Bad input: one sentence on stderr, exit code 2; the other files are still predicted.
"""

from __future__ import annotations

import sys

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
    a = sub.add_parser("activate", help="make a model the active one (the Draw page's default)")
    a.add_argument("name")
    d = sub.add_parser("delete", help="delete a model (never the bundled default)")
    d.add_argument("name")
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


if __name__ == "__main__":
    sys.exit(main())
