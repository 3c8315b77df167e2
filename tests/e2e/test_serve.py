"""`make serve`'s server (serve.py) in real parts: two Streamlit processes sharing one data directory behind
haproxy, and Chromium with a context per person. Each visitor stays on one replica (a cookie), a lab is the same
on either, and a cookie naming no replica still gets a working page.

.venv/bin/python -m pytest tests/e2e/test_serve.py -q
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import REPO, fill_train_form, start_serve, stop_server
from tests.e2e.test_draw import SEVEN, draw, open_draw_page, prediction
from tests.e2e.test_shared_server import lab_key

expect.set_options(timeout=30_000)
COOKIE = "digitlab_replica"  # serve.py's haproxy names a visitor's replica in it
RUN_MS = 180_000  # the worker's TensorFlow start-up and one small epoch, on a shared machine


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e-serve-home")
    srv = start_serve(home, home / "serve.log", replicas=2)
    yield srv
    stop_server(srv)


def replica(page) -> str:
    return {c["name"]: c["value"] for c in page.context.cookies()}[COOKIE]


@pytest.mark.e2e
def test_two_visitors_are_on_two_replicas_and_a_lab_link_opens_the_lab_on_either(served, person):
    anna = person()
    open_draw_page(anna, served.url)
    key = lab_key(anna)
    draw(anna, SEVEN)
    expect(prediction(anna)).to_have_text("7")
    anna.get_by_role("button", name="Save as 7").click()
    expect(anna.get_by_role("heading", name="My drawings (1)")).to_be_visible()

    ben = person()
    open_draw_page(ben, served.url)
    assert replica(ben) != replica(anna)  # Anna's websocket holds her replica: the next visitor gets the other
    assert lab_key(ben) != key
    expect(ben.get_by_role("heading", name="My drawings (0)")).to_be_visible()
    draw(ben, SEVEN)
    expect(prediction(ben)).to_have_text("7")

    # Anna's link on her other computer, which the proxy sends to Ben's replica: the lab is in the store
    elsewhere = person()
    elsewhere.context.add_cookies([{"name": COOKIE, "value": replica(ben), "url": served.url}])
    open_draw_page(elsewhere, f"{served.url}/?key={key}")
    assert replica(elsewhere) == replica(ben)
    expect(elsewhere.get_by_role("heading", name="My drawings (1)")).to_be_visible()
    elsewhere.get_by_role("link", name="Train").click()  # another page, through the proxy, on the same replica
    expect(elsewhere.get_by_text("Include my labelled drawings (1 saved)")).to_be_visible()
    assert lab_key(elsewhere) == key
    assert "Traceback" not in served.log_text()


@pytest.mark.e2e
def test_a_run_pressed_on_either_replica_is_trained_by_the_servers_worker(served, person):
    """The worker is a process of its own: a run queued from a replica where no Train page was opened before
    is taken at once, and its model shows on the other replica too."""
    pages = [person(), person()]
    for page in pages:  # both visitors on the Train page at once, so each is on its own replica
        page.goto(f"{served.url}/Train")
        expect(page.get_by_role("button", name="Train", exact=True)).to_be_visible(timeout=60_000)
    assert {replica(page) for page in pages} == {"r1", "r2"}
    ben = next(page for page in pages if replica(page) == "r2")
    fill_train_form(ben, "bens-model", epochs=1, images=3000)
    ben.get_by_role("button", name="Train", exact=True).click()
    expect(ben.get_by_role("heading", name="bens-model is trained")).to_be_visible(timeout=RUN_MS)
    other_replica = person()
    other_replica.context.add_cookies([{"name": COOKIE, "value": "r1", "url": served.url}])
    other_replica.goto(f"{served.url}/Train?key={lab_key(ben)}")
    expect(other_replica.get_by_role("heading", name="All models (2)")).to_be_visible(timeout=60_000)
    expect(other_replica.get_by_text("bens-model").first).to_be_visible()
    assert "Traceback" not in served.log_text()


@pytest.mark.e2e
def test_a_cookie_naming_no_replica_gets_a_working_page_and_a_lab_of_its_own(served, person):
    page = person()
    page.context.add_cookies([{"name": COOKIE, "value": "r9<script>", "url": served.url}])
    open_draw_page(page, served.url)
    assert replica(page) in {"r1", "r2"}  # the proxy chose one and said so
    expect(page.get_by_text("This lab is yours")).to_be_visible()
    draw(page, SEVEN)
    expect(prediction(page)).to_have_text("7")


def replica_pids(server) -> dict[str, int]:
    """{"r1": pid, ...}: serve.py's replica processes running now, by the name haproxy gives them (its config maps
    each name to a port)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server.process.pid:
                children[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
    haproxy = next(args for args in children.values() if args[0].endswith(b"haproxy"))
    config = Path(haproxy[haproxy.index(b"-f") + 1].decode()).read_text()
    ports = dict(re.findall(r"server (r\d+) 127\.0\.0\.1:(\d+)", config))
    by_port = {
        args[args.index(b"--server.port") + 1].decode(): pid for pid, args in children.items() if b"streamlit" in args
    }
    return {name: by_port[port] for name, port in ports.items() if port in by_port}  # a replica down: not there


@pytest.mark.e2e
def test_a_replica_killed_is_started_again_and_its_visitor_reads_on_in_their_lab(served, person):
    """kill -9 on the replica a visitor is on: the open page reconnects by itself (the page reruns in a new
    session, on the replica started again or the other one), in the same lab, and reads the next stroke; the
    launcher says what happened and starts the replica again."""
    anna = person()
    open_draw_page(anna, served.url)
    key = lab_key(anna)
    draw(anna, SEVEN)
    anna.get_by_role("button", name="Save as 7").click()
    expect(anna.get_by_role("heading", name="My drawings (1)")).to_be_visible()
    anna.get_by_role("button", name="Reset canvas & history").click()  # her last action: the canvas, cleared
    expect(prediction(anna)).to_have_text("—")
    name = replica(anna)
    killed = replica_pids(served)[name]
    os.kill(killed, signal.SIGKILL)

    for _ in range(60):  # the launcher starts it again, as a new process
        pids = replica_pids(served)
        if pids.get(name, killed) != killed:
            break
        time.sleep(0.5)
    assert pids[name] != killed
    assert f"digitlab: replica {name[1:]} ended with code -9; starting it again" in served.log_text()
    anna.wait_for_selector("[data-test-connection-state='CONNECTED']", timeout=60_000)
    draw(anna, SEVEN)
    expect(prediction(anna)).to_have_text("7", timeout=60_000)
    assert lab_key(anna) == key
    expect(anna.get_by_role("heading", name="My drawings (1)")).to_be_visible()
    assert "Traceback" not in served.log_text()


def test_without_haproxy_one_process_serves_and_the_log_says_why(tmp_path):
    """No haproxy: one sentence, and the app still answers on the port, from one Streamlit process."""
    server = start_serve(tmp_path, tmp_path / "serve.log", replicas=2, args=("--haproxy", str(tmp_path / "haproxy")))
    try:
        with urllib.request.urlopen(server.url + "/", timeout=10) as response:
            assert response.status == 200 and response.headers.get("Set-Cookie") is None  # no proxy in front
        for _ in range(50):  # the launcher says how many processes serve once it has seen the server answer
            if "(1 Streamlit process;" in (log := server.log_text()):
                break
            time.sleep(0.1)
        assert "haproxy is not installed, so one Streamlit process serves" in log
        assert "(1 Streamlit process;" in log and "Traceback" not in log
    finally:
        stop_server(server)


@pytest.mark.parametrize("count", ["0", "-1", "65", "two"])
def test_a_bad_replica_count_gets_one_sentence_and_starts_nothing(count):
    out = subprocess.run(
        [sys.executable, "serve.py", "--replicas", count], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and out.stdout == ""  # nothing started, nothing said of an address
    assert "--replicas" in out.stderr.strip().splitlines()[-1]  # the reason is the last line (argparse: after usage)
