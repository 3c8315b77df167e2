"""Run every benchmark and write their tables to docs/benchmarks.md with the date and machine.

    make bench        (or: .venv/bin/python -m bench.run_all [--only NAME ...])

Each benchmark is a plain script that prints a table; this runs them one after another
(never in parallel: they time things) and keeps what they printed. With --only, the other
benchmarks' sections already in the file are kept as they were (each section carries its date).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = {  # name -> (script, what it measures)
    "inference_latency": ("-m bench.inference_latency", "One drawing, canvas array to probabilities, vs Keras predict"),
    "browser_latency": (
        "-m bench.browser_latency --strokes 40 --while-training --two-sessions",
        "Mouse-up to updated prediction in a real browser, vs a bare canvas echo app, idle and under load",
    ),
    "browser_holdout": (
        "-m bench.browser_holdout",
        "Held-out pen digits drawn with the mouse on the Draw page in a real browser",
    ),
    "training_speed": ("-m bench.training_speed", "Training time vs the original notebooks' recipe"),
    "bundled_recipe": (
        "-m bench.training_speed --bundled",
        "Retraining the bundled default from the recipe in its file",
    ),
    "mnist_accuracy": ("-m bench.mnist_accuracy", "MNIST test accuracy of the bundled model"),
    "holdout": ("-m bench.holdout --naive", "Accuracy on held-out writers (../shared/holdout) drawn as canvases"),
    "pen_proxy": (
        "-m bench.pen_proxy --styled 0.5",
        "MNIST test digits recorded the pendigits way (8 points, axes stretched): a stand-in to tune against",
    ),
    "pen_proxy_optdigits": (
        "-m bench.pen_proxy --source optdigits",
        "scikit-learn's scans of other writers recorded the pendigits way: their styles, rough skeletons",
    ),
    "style_grid": (
        "-m bench.style_grid",
        "Common ways of writing each digit, drawn on the canvas and recorded the pendigits way",
    ),
    "train_ui": ("-m bench.train_ui", "Train page: a 1-epoch run from the UI, Train pressed to test accuracy shown"),
    "errors_eval": ("-m bench.errors_eval", "Errors page: evaluating a model on the 10,000 test images"),
    "inside": (
        "-m bench.inside",
        "Inside page: the test set through every layer, a click to the inspector, the layer overview",
    ),
    "snapshots": ("-m bench.snapshots", "Recording snapshots: their cost in a fit, the replay's file size and step"),
    "classroom": (
        "-m bench.classroom --students 1,10,30 --repeats 2",
        "A classroom on one shared server: 1, 10 and 30 simulated students drawing",
    ),
    "class_page": ("-m bench.class_page", "Class page: the teacher's page for 30 students x 20 drawings"),
}


def machine() -> str:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, no GPU, Python {platform.python_version()}"


def previous_sections(path: Path) -> dict[str, str]:
    """{title: body} of the sections an earlier run wrote, so a partial run keeps them."""
    if not path.exists():
        return {}
    parts = re.split(r"^## (.+)$", path.read_text(), flags=re.MULTILINE)[1:]
    return {title.strip(): body.strip() + "\n" for title, body in zip(parts[::2], parts[1::2])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=list(BENCHMARKS), help="run only these")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args()
    names = args.only or list(BENCHMARKS)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    sections, failed = previous_sections(args.out), []
    for name in names:
        script, title = BENCHMARKS[name]
        print(f"== {name}: {title}", flush=True)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, *script.split()], cwd=REPO, env=env, capture_output=True, text=True)
        print(done.stdout, flush=True)
        if done.returncode != 0:
            failed.append(name)
            print(done.stderr[-2000:], file=sys.stderr)
        body = done.stdout.strip() if done.returncode == 0 else f"FAILED (exit {done.returncode})"
        when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        sections[title] = (
            f"`.venv/bin/python {script}` ({time.perf_counter() - start:.0f} s, {when})\n\n```\n{body}\n```\n"
        )
    order = [title for _, title in BENCHMARKS.values() if title in sections]
    header = (
        f"# Benchmarks\n\nWritten by `make bench` (`.venv/bin/python -m bench.run_all`); each section says when it "
        f"was last run.\n\nMachine: {machine()}.\n\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(header + "\n".join(f"## {title}\n\n{sections[title]}" for title in order))
    print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
