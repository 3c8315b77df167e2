"""Driving the app in a browser, for the browser tests and the browser benchmarks alike: `streamlit run`
on a free loopback port with its own $DIGITLAB_HOME, Debian's Chromium, and the few gestures every test repeats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from serve import free_port, wait_healthy

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 90
DESKTOP = {"viewport": {"width": 1400, "height": 1000}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
SCREENSHOTS = os.environ.get("DIGITLAB_SCREENSHOTS")  # `make screenshots` sets it to docs/screenshots


@dataclass
class Server:
    url: str
    home: Path
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def log_problems(self) -> str:
        """'no Traceback or Exception', or how many log lines hold one and the first of them."""
        lines = [line for line in self.log_text().splitlines() if "Traceback" in line or "Exception" in line]
        return (
            f"{len(lines)} lines with Traceback/Exception, first: {lines[0]}" if lines else "no Traceback or Exception"
        )


def server_env(home: Path, env: dict[str, str] | None) -> dict[str, str]:
    """A test server's environment: its own data directory, `env` added. It trains with its own worker, as
    `make run` does (the unit tests' default of none is not a server's)."""
    return {
        **os.environ,
        "DIGITLAB_WORKERS": "1",
        **(env or {}),
        "DIGITLAB_HOME": str(home),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONUNBUFFERED": "1",
    }


def start_server(
    home: Path,
    log: Path,
    script: str = "app.py",
    launcher: str = "streamlit",
    env: dict[str, str] | None = None,
    port: int | None = None,
    repo: Path = REPO,
) -> Server:
    """`streamlit run` on a free port; returns once /_stcore/health answers. `launcher` is the module run
    as `python -m`: streamlit itself, or tests.e2e.slow_streamlit for a server slowed on purpose; `env`
    adds settings (DIGITLAB_SHARED=1 for a shared server); `port` when a setting must name it beforehand;
    `repo` runs another checkout's app (a bench comparing two)."""
    port = port or free_port()
    env = server_env(home, env)
    out = open(log, "ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            launcher,
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
        ],
        cwd=repo,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    return healthy(Server(f"http://127.0.0.1:{port}", home, process, log), "streamlit")


def start_serve(
    home: Path, log: Path, replicas: int, env: dict[str, str] | None = None, repo: Path = REPO, args: tuple = ()
) -> Server:
    """`python serve.py` (what `make serve` runs: `replicas` Streamlit processes behind haproxy) on a free loopback
    port with its own $DIGITLAB_HOME, `args` added; returns once /_stcore/health answers through the proxy."""
    port = free_port()
    env = server_env(home, env)
    out = log.open("ab")
    command = [
        sys.executable,
        "serve.py",
        "--address",
        "127.0.0.1",
        "--port",
        str(port),
        "--replicas",
        str(replicas),
        *args,
    ]
    process = subprocess.Popen(command, cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT)
    return healthy(Server(f"http://127.0.0.1:{port}", home, process, log), "serve.py")


def healthy(server: Server, what: str) -> Server:
    """`server` once its /_stcore/health answers; stopped, and its log raised, if it exits or does not answer."""
    try:
        wait_healthy(server.url, server.process, STARTUP_SECONDS, every_s=0.3)
    except RuntimeError as error:
        stop_server(server)
        raise RuntimeError(f"{what} {error}:\n{server.log_text()}") from None
    return server


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def shoot(page, name: str, top=None) -> None:
    """Keep a screenshot of what the test sees for the README, when $DIGITLAB_SCREENSHOTS names a folder;
    `top`, a locator above the current view, is scrolled into it first."""
    if SCREENSHOTS:
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        if top is not None:
            top.scroll_into_view_if_needed()
        page.screenshot(path=folder / f"{name}.png")


def set_number(page, label: str, value) -> None:
    """Type into a number input as a user does (Enter commits it) and wait until it holds the value."""
    from playwright.sync_api import expect

    field = page.get_by_role("spinbutton", name=label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    expect(field).to_have_value(str(value))


def pick_preset(page, option: str, note: str) -> None:
    """Pick a Train-page preset and wait until its rerun is over, not only until its caption shows.

    The preset's rerun sends the form's widgets after the caption; a field typed into before its
    widget arrives gets the preset's value back in the browser, and the next rerun sends that."""
    from playwright.sync_api import expect

    picker = page.get_by_role("combobox", name="Start from")
    if picker.input_value() == option:  # picking the preset shown changes nothing: start over from it instead
        page.get_by_role("button", name="Start over from this preset").click()
    else:
        picker.click()
        page.get_by_role("option", name=option).click()
    expect(page.get_by_text(note)).to_be_visible()
    page.wait_for_selector("[data-test-script-state='notRunning']")


def edit_landed(page) -> None:
    """Wait until a Train-form edit's rerun is over: the caption under the preset picker calls the form one's own."""
    from playwright.sync_api import expect

    expect(page.get_by_text("Your own mix, started from")).to_be_visible()
    page.wait_for_selector("[data-test-script-state='notRunning']")


def fill_train_form(page, name: str, epochs: int, images: int | None = None) -> None:
    """The Train page's form as a person fills it: `epochs`, the first `images` training images (None: all 60,000,
    the form's default) and the model's `name`, each edit waited for. Train is not pressed."""
    from playwright.sync_api import expect

    page.wait_for_selector("[data-test-script-state='notRunning']")
    expect(page.get_by_role("spinbutton", name="Epochs", exact=True)).to_have_count(1)  # a form redrawn: once
    set_number(page, "Epochs", epochs)
    edit_landed(page)  # the edit's rerun redraws the form: a field filled meanwhile would be lost
    if images is not None:
        page.get_by_text("More settings").click()
        set_number(page, "Train on the first N images only (0 = all 60,000)", images)
        edit_landed(page)
    field = page.get_by_role("textbox", name="Model name")
    field.fill(name)
    field.press("Enter")
    expect(field).to_have_value(name)


def registry_rows(home) -> dict[str, dict]:
    """`python -m model list --json` for the data directory `home`: name -> row, as a user would read it."""
    out = subprocess.run(
        [sys.executable, "-m", "model", "list", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DIGITLAB_HOME": str(home)},
        check=True,
    ).stdout
    return {row["name"]: row for row in map(json.loads, out.splitlines())}
