"""A plain `streamlit run app.py` (app.py's docstring, no flags) watches no files and keeps a quiet log when idle.

Streamlit's file watcher watches the script's folder recursively, .venv, data/ and var/ included: in a fresh
clone that flooded the log with "Inotify queue overflowed" and took a core. .streamlit/config.toml turns it off.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from serve import wait_healthy
from tests.e2e.browser import REPO, STARTUP_SECONDS, free_port

pytestmark = pytest.mark.e2e

IDLE_SECONDS = 10  # with the Draw page open
WATCHER_WORDS = re.compile(r"inotify|watch|overflow", re.IGNORECASE)


def inotify_watches(pid: int) -> int:
    """How many paths the process watches with inotify, over all its inotify descriptors."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) == "anon_inode:inotify":
                count += sum(
                    line.startswith("inotify ")
                    for line in Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text().splitlines()
                )
        except OSError:  # a descriptor closed meanwhile
            continue
    return count


def test_a_plain_streamlit_run_watches_nothing_and_logs_nothing_while_idle(browser, tmp_path):
    port = free_port()
    # The port and "no browser" by environment, so the command line is exactly `streamlit run app.py`.
    env = {
        **os.environ,
        "DIGITLAB_HOME": str(tmp_path),
        "STREAMLIT_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
        "STREAMLIT_SERVER_HEADLESS": "true",
    }
    log = tmp_path / "streamlit.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process, STARTUP_SECONDS)
        page = context.new_page()
        page.goto(url)
        page.locator(".st-key-draw_canvas canvas").last.wait_for(timeout=120_000)
        page.wait_for_selector("[data-test-script-state='notRunning']", timeout=120_000)
        time.sleep(IDLE_SECONDS)
        watches = inotify_watches(process.pid)
        assert process.poll() is None
    finally:
        context.close()
        process.terminate()
        process.wait(timeout=30)
    assert watches == 0, f"the server watches {watches} paths"
    noisy = [line for line in log.read_text(errors="replace").splitlines() if WATCHER_WORDS.search(line)]
    assert noisy == [], f"{len(noisy)} watcher lines in the log, first: {noisy[0]}"
