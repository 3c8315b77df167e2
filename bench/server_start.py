"""Server start-up: `streamlit run app.py` to the Draw page ready in Chromium, and the server's memory then.

    .venv/bin/python -m bench.server_start [--runs 5] [--repo DIR ...]

Each run starts a fresh `streamlit run app.py` (its own empty $DIGITLAB_HOME, a free loopback port)
and opens the Draw page in a new headless Chromium context (launched beforehand, so its own start
is not counted). Times are from the launch of `streamlit run`:
  health: /_stcore/health answers (polled every 20 ms);
  ready:  the first frame in which the page shows its title and the canvas, and the script state is
          back to "notRunning" (the model is loaded and the first run is over: a stroke can be read).
          The page itself notes that frame's time (READY_PROBE): Playwright's waits poll every 500 ms
          once an element is a while coming, which added up to half a second.
The untimed first start also writes Python's bytecode cache (unless `--no-bytecode-cache`), as any
start after the first does on a machine with Python's defaults.
RSS is the server process' resident memory (VmRSS) once the page is ready, and its peak (VmHWM).
Each round also starts bench/echo_app.py, a page that holds only the same canvas, the same way: its
ready time is the floor the browser sets on this machine that day.
With several --repo folders (e.g. a checkout of main and this worktree) the runs take turns, so
each sees the same machine conditions; prints each run, then the median and the min-max spread.
Goals: RSS <= 300 MB with the Draw page open (issue #17); Draw ready <= 1.25x the bare canvas page's
median (issue #25: absolute seconds on these VMs move by 40% from one day to the next).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import serve
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, free_port

REPO = Path(__file__).resolve().parent.parent
READY_TEXT = "Draw a digit"  # the Draw page's title
BARE = "bench/echo_app.py"  # only the Draw page's canvas: no title, no model
HOSTS = {"app.py": ".st-key-draw_canvas", BARE: ".st-key-echo_canvas"}  # the canvas' container on each page
RATIO_GOAL = 1.25  # Draw ready / bare canvas ready, medians of runs taking turns (issue #25)
TIMEOUT_S = 120
# Runs in the page from its first script on: window.digitlabReady = Date.now() of the first animation frame
# showing the title (if any), the canvas (inside the component's shadow root) and an idle script.
READY_PROBE = """
((title, hostSelector) => {
  if (location.protocol === "about:") return;  // the blank page before the server answers: no busy loop
  const canvasIn = (root) => root.querySelector("canvas")
    || [...root.querySelectorAll("*")].reduce((found, el) => found || (el.shadowRoot && canvasIn(el.shadowRoot)), null);
  const check = () => {
    const host = document.querySelector(hostSelector);
    const canvas = host && canvasIn(host);
    const titled = !title || [...document.querySelectorAll("h1")].some((h) => h.textContent.includes(title));
    const idle = document.querySelector("[data-test-script-state='notRunning']");
    if (titled && idle && canvas && canvas.getBoundingClientRect().width > 0) window.digitlabReady = Date.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})(TITLE, HOST);
"""


@dataclass(frozen=True)
class Start:
    health_s: float  # streamlit run -> /_stcore/health answers
    ready_s: float  # streamlit run -> Draw page ready in the browser
    rss_mb: float  # server VmRSS once ready
    peak_mb: float  # server VmHWM once ready


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB (10^6 bytes)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[k].split()[0]) * 1024 / 1e6 for k in ("VmRSS", "VmHWM"))


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    """Health polled every 20 ms: the time it answers is a figure here."""
    try:
        serve.wait_healthy(url, process, TIMEOUT_S, every_s=0.02)
    except RuntimeError as error:
        raise RuntimeError(f"streamlit {error}:\n{log.read_text(errors='replace')}") from None


def one_start(browser, repo: Path, bytecode_cache: bool, script: str = "app.py") -> Start:
    """`streamlit run SCRIPT` in `repo` until its canvas page is ready in a new browser context."""
    title = READY_TEXT if script == "app.py" else ""
    home = Path(tempfile.mkdtemp(prefix="digitlab-start-"))
    log = home / "streamlit.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(READY_PROBE.replace("TITLE", json.dumps(title)).replace("HOST", json.dumps(HOSTS[script])))
    page = context.new_page()
    env = {**os.environ, "DIGITLAB_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]  # what `make run` did before config.toml said it
    start = time.time()  # the clock the page's Date.now() reads
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(url, process, log)
        health = time.time() - start
        page.goto(url, timeout=TIMEOUT_S * 1000)
        if title:
            page.get_by_text(title).first.wait_for(timeout=TIMEOUT_S * 1000)
        page.locator(f"{HOSTS[script]} canvas").last.wait_for(timeout=TIMEOUT_S * 1000)
        page.wait_for_selector("[data-test-script-state='notRunning']", timeout=TIMEOUT_S * 1000)
        ready = page.wait_for_function("window.digitlabReady", timeout=TIMEOUT_S * 1000).json_value() / 1000 - start
        rss, peak = memory_mb(process.pid)
        return Start(health, ready, rss, peak)
    finally:
        context.close()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def summary(values: list[float], unit: str, digits: int) -> str:
    v = np.array(values)
    return f"median {np.median(v):.{digits}f} {unit} (min {v.min():.{digits}f}, max {v.max():.{digits}f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="starts per folder")
    parser.add_argument("--repo", type=Path, action="append", help="a Digit Lab checkout to start (default: this one)")
    parser.add_argument(
        "--no-bytecode-cache", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if set: every start compiles"
    )
    args = parser.parse_args()
    repos = [r.resolve() for r in args.repo or [REPO]]

    from playwright.sync_api import sync_playwright

    pages = [(repo, "app.py") for repo in repos] + [(REPO, BARE)]
    starts: dict[tuple[Path, str], list[Start]] = {page: [] for page in pages}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for repo, script in pages:  # untimed: the first start fills the OS file cache (and the bytecode cache)
            one_start(browser, repo, not args.no_bytecode_cache, script)
        for i in range(args.runs):
            for repo, script in pages:
                s = one_start(browser, repo, not args.no_bytecode_cache, script)
                starts[repo, script].append(s)
                print(
                    f"{repo.name:<14} {script:<18} run {i + 1}: health {s.health_s:5.2f} s, ready {s.ready_s:5.2f} s, "
                    f"RSS {s.rss_mb:4.0f} MB (peak {s.peak_mb:4.0f} MB)",
                    flush=True,
                )
        browser.close()
    bare = float(np.median([s.ready_s for s in starts[REPO, BARE]]))
    print(
        f"bare canvas page ({BARE}), {args.runs} starts: ready {summary([s.ready_s for s in starts[REPO, BARE]], 's', 2)}"
    )
    for repo in repos:
        runs = starts[repo, "app.py"]
        ready = [s.ready_s for s in runs]
        print(f"{repo} ({len(runs)} starts)")
        print(f"  streamlit run -> health:     {summary([s.health_s for s in runs], 's', 2)}")
        print(f"  streamlit run -> Draw ready: {summary(ready, 's', 2)}")
        print(f"  Draw ready / bare canvas:    {np.median(ready) / bare:.2f}x  (goal <= {RATIO_GOAL}x)")
        print(f"  server RSS, Draw page open:  {summary([s.rss_mb for s in runs], 'MB', 0)}  (goal <= 300 MB)")
        print(f"  server peak RSS:             {summary([s.peak_mb for s in runs], 'MB', 0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
