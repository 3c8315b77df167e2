"""A classroom on one shared server: N students each draw a stroke every 2 s; stroke -> reading, server CPU and memory.

    .venv/bin/python -m bench.classroom [--students 1,10,30] [--seconds 60] [--every 2.0] [--repeats 2]
                                        [--replicas 0,2] [--repo DIR ...]
    .venv/bin/python -m bench.classroom --validate [--strokes 30]

Thirty Chromium pages do not fit in two cores, so the students speak Streamlit's websocket protocol
(ws://.../_stcore/stream, protobuf BackMsg up, ForwardMsg down) the way the browser does:
  record: Chromium opens the Draw page once on a shared server (DIGITLAB_SHARED=1) and draws two strokes;
          Playwright keeps the BackMsgs it sends: the first visit (a rerun with no widget states) and
          the second stroke (a fragment rerun carrying every widget's state, the canvas' JSON among them).
  replay: each student is a plain websocket client and a visitor of its own: it sends the first visit
          (no ?key=, so the server opens a new lab and names its key in page_info_changed), then the
          recorded stroke with its own key, widget ids and fragment id (read from its own first run)
          and its own drawing: the figure of bench/browser_latency.py, shifted and scaled per student
          and figure, a stroke at a time (the canvas' fabric.js paths and a PNG drawn with PIL, as the
          canvas sends them). After five strokes the next figure starts on a clear canvas (no reset rerun).
Each student first visits and draws one untimed stroke; then all draw for --seconds, a stroke every
--every seconds, at a random phase each (a classroom does not draw in step), whether or not the last
reading has come (a rerun still running is interrupted, as the browser's next stroke would).
A fresh server for every round; rounds take turns (1, 10, 30, 1, 10, 30, ...). The server is `streamlit run app.py`
(--replicas 0, the default) or serve.py, what `make serve` runs: N Streamlit processes behind haproxy (--replicas N;
a student first loads the page, as a browser does, and keeps the cookie naming its replica). With several
--replicas or --repo checkouts (this one and a worktree of main, say), each number of students takes turns over
them too, and each setup is reported against its own one student.
  stroke -> reading: the stroke's BackMsg sent -> the ForwardMsg with the probability bars' delta
          (the bidi component draw_probs_chart, what browser_latency's "reading shown" waits for) received.
          The browser adds its canvas' 200 ms debounce before and its rendering after (--validate measures both).
          A stroke whose reading never came (interrupted by the student's next stroke) counts as infinitely late.
  done:   sent -> that fragment run's script_finished.
  CPU:    the server's CPU seconds (user + system, children included: every replica and haproxy) over the timed window / its wall time;
          100% is one core.
  RSS:    the server's peak resident memory (VmHWM, children included) at the end of the round.
  others: the CPU every other process but this one used meanwhile (/proc/stat): other work on the machine
          (tests, another bench) takes the server's cores, and explains a round that stands out.
--validate: one server, one real Chromium student (browser_latency's strokes and its "reading shown") and one
simulated student, taking turns a figure at a time, a stroke every --every seconds. The browser's websocket
goes through a TCP relay in this process, which notes when its stroke passes up and its reading down: that
share, the server's, should match the simulated student's sent -> reading. Also shown: the canvas' debounce
(pointerup -> sent, in the page), the reading's arrival at Chromium's network stack (DevTools) and in the
page's JavaScript, and the rest up to the bars on screen. On this VM Chromium shares the server's two cores,
so those browser-side shares are its own, and per student in a real classroom.
Goal (the issue): with 30 students, p90 <= 1.5x one student's p90, and peak RSS <= 1 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import random
import re
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.browser_latency import DRAW, FIGURE, VIEWPORT, open_app, reset, stroke
from bench.server_start import memory_mb
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, REPO, start_serve, start_server, stop_server

CANVAS_SIDE = 280  # px, ui/draw/input.py's (not importable outside a Streamlit run); pen and ink come recorded
SHARED = {"DIGITLAB_SHARED": "1"}  # every visitor without ?key= gets a lab of its own
NO_WORKER = {**SHARED, "DIGITLAB_WORKERS": "0"}
CANVAS_SUFFIX = "-draw_canvas"  # widget id of the canvas: $$ID-<hash>-draw_canvas
READING_SUFFIX = "-draw_probs_chart"  # element id of the probability bars: the reading
ELEMENT_ID = re.compile(rb"[\x01-\x7f]\$\$ID-[0-9a-f]{32}-", re.DOTALL)  # a length byte (ids are short), an id
STEPS = 12  # points per segment of a stroke path: browser_latency moves the mouse in 12 steps
SHIFT_PX = 25  # a figure moves by up to this much each way, per student and figure
SCALE = (0.8, 1.1)  # and is scaled about the canvas' centre by a factor in this range
SUPERSAMPLE = 4  # the PNG is drawn this much larger, then shrunk: antialiased edges like the browser's canvas
FINISHED = ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")
CONNECT_AT_ONCE = 5  # students opening the page at the same time before the timed window
VISIT_S = 120  # a first visit's (or warm-up stroke's) whole run, worst case on a busy machine
DRAIN_S = 10  # after the last stroke, wait this long for the readings still on their way
GOAL_RATIO, GOAL_RSS_MB = 1.5, 1000

# On the real page, from its first script on: when the stroke's BackMsg leaves (the first frame carrying the
# canvas' state after arm()) and when the reading's ForwardMsg is handed to the page (performance.now()).
WS_HOOK = """(() => {
  const w = window.__ws = {sent: null, got: null, armed: false};
  const has = (data, needle) => (data instanceof ArrayBuffer || ArrayBuffer.isView(data))
    && new TextDecoder('latin1').decode(data).includes(needle);
  w.arm = () => { w.sent = w.got = null; w.armed = true; };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (w.armed && w.sent === null && has(data, 'CANVAS')) w.sent = performance.now();
    return send.call(this, data);
  };
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);  // our listener comes before Streamlit's
    ws.addEventListener('message', (e) => {
      if (w.sent !== null && w.got === null && has(e.data, 'READING')) w.got = performance.now();
    });
    return ws;
  };
  Object.assign(window.WebSocket, Native);
  window.WebSocket.prototype = Native.prototype;
})();""".replace("CANVAS", CANVAS_SUFFIX[1:]).replace("READING", READING_SUFFIX[1:])


# --- the server process --------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (a training run is a child process)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo.extend(parents.get(tree[-1], []))
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and its descendants, all threads."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of proc(5))
    return total / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (all cores; /proc/stat's busy columns)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of `pid` plus its descendants', MB."""
    total = 0.0
    for p in process_tree(pid):
        try:
            total += memory_mb(p)[1]
        except (OSError, KeyError):
            continue
    return total


# --- recording the browser's messages ------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    visit: BackMsg  # the first visit: rerun_script with no widget states and no query string
    stroke: BackMsg  # a second stroke: rerun_script of the live fragment with every widget's state


async def record(url: str) -> Recording:
    """Chromium opens the Draw page and draws two strokes; the BackMsgs it sent on the websocket."""
    from playwright.async_api import async_playwright

    sent: list[bytes] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport=VIEWPORT)
        context.on(
            "page",
            lambda page: page.on(
                "websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f) if isinstance(f, bytes) else None)
            ),
        )
        page = await open_app(context, url, DRAW)
        await stroke(page, DRAW, FIGURE[0])
        await stroke(page, DRAW, FIGURE[1])  # the second stroke also carries the widgets the first one showed
        await browser.close()
    messages = []
    for payload in sent:
        msg = BackMsg()
        msg.ParseFromString(payload)
        if msg.WhichOneof("type") == "rerun_script":
            messages.append(msg)
    strokes = [m for m in messages if any(w.id.endswith(CANVAS_SUFFIX) for w in m.rerun_script.widget_states.widgets)]
    if not messages or not strokes or messages[0].rerun_script.widget_states.widgets:
        raise RuntimeError(f"unexpected messages from Chromium: {len(messages)} reruns, {len(strokes)} strokes")
    return Recording(messages[0], strokes[-1])


# --- drawings ------------------------------------------------------------------------------------


def figures(rng: random.Random, n: int) -> list[list[list[tuple[float, float]]]]:
    """n figures: browser_latency's FIGURE shifted and scaled about the canvas' centre, each its own way."""
    out = []
    centre = CANVAS_SIDE / 2
    for _ in range(n):
        dx, dy = rng.uniform(-SHIFT_PX, SHIFT_PX), rng.uniform(-SHIFT_PX, SHIFT_PX)
        scale = rng.uniform(*SCALE)
        out.append(
            [[(centre + (x - centre) * scale + dx, centre + (y - centre) * scale + dy) for x, y in s] for s in FIGURE]
        )
    return out


def path(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A stroke's corners -> the points the mouse passes through (STEPS per segment, like the browser's)."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        out += [(x0 + (x1 - x0) * t / STEPS, y0 + (y1 - y0) * t / STEPS) for t in range(1, STEPS + 1)]
    return out


def canvas_state(template: dict, strokes: list[list[tuple[float, float]]]) -> str:
    """The canvas' JSON after `strokes`: fabric.js path objects (copies of the recorded one) and the PNG data URL."""
    objects, paths = [], [path(s) for s in strokes]
    for points in paths:
        xs, ys = [x for x, _ in points], [y for _, y in points]
        obj = dict(template)
        obj.update(
            left=(min(xs) + max(xs)) / 2,  # fabric's origin is the centre of the path's box
            top=(min(ys) + max(ys)) / 2,
            width=max(xs) - min(xs),
            height=max(ys) - min(ys),
            path=[["M", *points[0]]] + [["L", x, y] for x, y in points[1:]],
        )
        objects.append(obj)
    # (280, 280) RGBA: the recorded pen's colour where it went, transparent elsewhere; round caps and joins
    big, width = CANVAS_SIDE * SUPERSAMPLE, template["strokeWidth"] * SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    pen = ImageDraw.Draw(mask)
    for points in paths:
        scaled = [(x * SUPERSAMPLE, y * SUPERSAMPLE) for x, y in points]
        pen.line(scaled, fill=255, width=width, joint="curve")
        for x, y in (scaled[0], scaled[-1]):
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    picture = Image.new("RGBA", (CANVAS_SIDE, CANVAS_SIDE), template["stroke"])
    picture.putalpha(mask.resize((CANVAS_SIDE, CANVAS_SIDE), Image.Resampling.BOX))
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    data = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return json.dumps({"drawing": {"raw": {"version": "7.4.0", "objects": objects}, "data": data}})


def drawings(template: dict, rng: random.Random, n: int) -> list[str]:
    """n canvas states: a figure's strokes one more at a time, then the next figure on a clear canvas."""
    shapes = figures(rng, -(-n // len(FIGURE)))
    return [canvas_state(template, shapes[i // len(FIGURE)][: i % len(FIGURE) + 1]) for i in range(n)]


def element_ids(raw: bytes) -> list[str]:
    """The "$$ID-<hash>-<key>" strings in a serialized message: each is a protobuf string, after its length byte."""
    return [raw[m.start() + 1 : m.start() + 1 + raw[m.start()]].decode() for m in ELEMENT_ID.finditer(raw)]


# --- a simulated student -------------------------------------------------------------------------


@dataclass
class Run:
    """One rerun the student asked for."""

    sent: float  # time.monotonic() when it was sent
    started: bool = False  # the server's new_session for it came (messages before it belong to older runs)
    reading: float | None = None  # s from sent to the reading's delta; None until it comes
    done: float | None = None  # s from sent to its script_finished (a successful one); None until then
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class Student:
    """One visitor on its own websocket session and its own lab, replaying the recorded stroke with its drawings."""

    def __init__(self, url: str, recording: Recording, states: list[str]):
        self.url, self.recording, self.states = url, recording, states
        self.runs: list[Run] = []
        self.ids: dict[str, str] = {}  # this session's element ids by key: "-draw_canvas" -> "$$ID-<hash>-draw_canvas"
        self.fragment = ""  # the live panel's fragment id in this session
        self.query = ""  # ?key=... of this student's lab, as the server put it in the URL
        self.errors = 0  # exception elements the server sent

    async def visit(self) -> None:
        import websockets

        cookie = await asyncio.to_thread(self._page_cookie)
        ws_url = self.url.replace("http://", "ws://") + "/_stcore/stream"
        headers = {"Cookie": cookie} if cookie else None
        self.ws = await websockets.connect(
            ws_url, subprotocols=["streamlit"], max_size=None, additional_headers=headers
        )
        self.receiver = asyncio.create_task(self._receive())
        msg = BackMsg()
        msg.CopyFrom(self.recording.visit)
        msg.rerun_script.context_info.url = self.url + "/"
        run = await self._rerun(msg.SerializeToString())
        await asyncio.wait_for(run.finished.wait(), VISIT_S)

    def _page_cookie(self) -> str:
        """The page's first load, as a browser's: the cookies it sets (serve.py's proxy names the student's
        replica in one), as the websocket will send them."""
        with urllib.request.urlopen(self.url + "/", timeout=VISIT_S) as response:
            return "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])

    def _stroke(self, state: str) -> bytes:
        """The recorded stroke with this session's key, widget ids, fragment and drawing."""
        msg = BackMsg()
        msg.CopyFrom(self.recording.stroke)
        rerun = msg.rerun_script
        rerun.query_string, rerun.fragment_id = self.query, self.fragment
        rerun.context_info.url = self.url + "/"
        widgets = rerun.widget_states.widgets
        for i in reversed(range(len(widgets))):
            key = "-" + widgets[i].id.rsplit("-", 1)[1]
            if key not in self.ids:  # the browser sends the states of the widgets it has been shown, no others
                del widgets[i]
                continue
            widgets[i].id = self.ids[key]
            if key == CANVAS_SUFFIX:
                widgets[i].json_value = state
        return msg.SerializeToString()

    async def _rerun(self, payload: bytes) -> Run:
        run = Run(time.monotonic())
        self.runs.append(run)
        await self.ws.send(payload)
        return run

    async def warm_up(self) -> None:
        """One untimed stroke (the last drawing): the session's first fragment run, which shows the widgets
        whose states later strokes carry."""
        run = await self._rerun(self._stroke(self.states[-1]))
        await asyncio.wait_for(run.finished.wait(), VISIT_S)
        self.runs.clear()
        self.payloads = [self._stroke(state) for state in self.states[:-1]]  # ready before any clock starts

    async def draw(self, start: float, every: float, strokes: int) -> None:
        for k in range(strokes):
            await asyncio.sleep(max(0.0, start + k * every - time.monotonic()))
            await self._rerun(self.payloads[k % len(self.payloads)])
        try:
            await asyncio.wait_for(self.runs[-1].finished.wait(), DRAIN_S)
        except TimeoutError:
            pass

    async def _receive(self) -> None:
        async for raw in self.ws:
            now = time.monotonic()
            run = self.runs[-1] if self.runs else None
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session" and run is not None:
                run.started = True
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "delta":
                for element_id in element_ids(raw):
                    self.ids["-" + element_id.rsplit("-", 1)[1]] = element_id
                element = msg.delta.new_element
                if element.WhichOneof("type") == "exception":
                    self.errors += 1
                elif element.bidi_component.id.endswith(READING_SUFFIX):
                    self.fragment = msg.delta.fragment_id  # the live panel's
                    if run is not None and run.started and run.reading is None:
                        run.reading = now - run.sent
            elif kind == "script_finished" and run is not None and run.started:
                if ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished) in FINISHED:
                    run.done = now - run.sent
                run.finished.set()

    async def close(self) -> None:
        await self.ws.close()
        self.receiver.cancel()


# --- a round -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    setup: str  # the checkout whose app served this round, and how (Setup.label)
    students: int
    reading_ms: np.ndarray  # (strokes,) sent -> reading; inf when it never came
    done_ms: np.ndarray  # (strokes,) sent -> fragment run finished; inf when it did not finish
    cpu_percent: float  # server CPU over the timed window, 100 = one core
    cpu_ms_per_stroke: float  # server CPU over the timed window / strokes sent in it
    others_percent: float  # CPU of every other process but this one over the window (other work on the machine)
    peak_mb: float  # server peak RSS (VmHWM), children included
    errors: int  # exception elements received
    log: str  # the server log's Traceback/Exception summary


def stroke_template(recording: Recording) -> dict:
    """The fabric.js object of the recorded stroke, to copy for every simulated one."""
    canvas = next(w for w in recording.stroke.rerun_script.widget_states.widgets if w.id.endswith(CANVAS_SUFFIX))
    return json.loads(canvas.json_value)["drawing"]["raw"]["objects"][0]


@dataclass(frozen=True)
class Setup:
    repo: Path  # the checkout whose app serves
    replicas: int  # 0: `streamlit run app.py`; N: serve.py, N Streamlit processes behind haproxy

    @property
    def label(self) -> str:
        how = "streamlit run" if self.replicas == 0 else f"serve.py --replicas {self.replicas}"
        return f"{how}, {self.repo}"

    def start(self, home: Path):
        if self.replicas == 0:
            return start_server(home, home / "streamlit.log", env=SHARED, repo=self.repo)
        # nobody trains here: no worker process warming TensorFlow up, as a lone server starts none until then
        return start_serve(home, home / "streamlit.log", self.replicas, env=NO_WORKER, repo=self.repo)


async def classroom(recording: Recording, n: int, seconds: float, every: float, seed: int, setup: Setup) -> Round:
    """A fresh shared server, n students visiting and warming up, then all drawing for `seconds`."""
    strokes = round(seconds / every)
    rng = random.Random(seed)
    template = stroke_template(recording)
    states = [drawings(template, rng, strokes + 1) for _ in range(n)]  # +1: the warm-up stroke, drawn last
    home = Path(tempfile.mkdtemp(prefix="digitlab-classroom-"))
    server = setup.start(home)
    try:
        students = [Student(server.url, recording, s) for s in states]
        gate = asyncio.Semaphore(CONNECT_AT_ONCE)

        async def arrive(student: Student) -> None:
            async with gate:
                await asyncio.wait_for(student.visit(), VISIT_S)
                await student.warm_up()

        await asyncio.gather(*(arrive(s) for s in students))
        pid = server.process.pid
        mine = lambda: os.times().user + os.times().system  # noqa: E731  (this process alone, not the server)
        cpu, machine, wall = cpu_seconds(pid), machine_cpu_seconds() - mine(), time.monotonic()
        start = wall + 0.5
        await asyncio.gather(*(s.draw(start + rng.uniform(0, every), every, strokes) for s in students))
        cpu, wall = cpu_seconds(pid) - cpu, time.monotonic() - wall
        others = machine_cpu_seconds() - mine() - machine - cpu
        peak = peak_rss_mb(pid)
        for s in students:
            await s.close()
    finally:
        stop_server(server)
    runs = [r for s in students for r in s.runs]
    ms = lambda v: np.inf if v is None else v * 1000  # noqa: E731
    return Round(
        setup.label,
        n,
        np.array([ms(r.reading) for r in runs]),
        np.array([ms(r.done) for r in runs]),
        100 * cpu / wall,
        1000 * cpu / len(runs),
        100 * others / wall,
        peak,
        sum(s.errors for s in students),
        server.log_problems(),
    )


async def recorded() -> Recording:
    home = Path(tempfile.mkdtemp(prefix="digitlab-classroom-rec-"))
    server = start_server(home, home / "streamlit.log", env=SHARED)
    try:
        return await record(server.url)
    finally:
        stop_server(server)


def p(t: np.ndarray, q: float) -> float:
    return float(np.percentile(t, q, method="higher"))  # an inf among the slowest tenth makes p90 inf


async def rounds(args) -> list[Round]:
    recording = await recorded()
    out = []
    for i in range(args.repeats):
        for n in args.students:
            for setup in args.setups:
                r = await classroom(recording, n, args.seconds, args.every, seed=1000 * i + n, setup=setup)
                where = f" ({setup.label})" if len(args.setups) > 1 else ""
                print(
                    f"round {i + 1}, {n:>2} students{where}: p50 {p(r.reading_ms, 50):6.0f} ms, "
                    f"p90 {p(r.reading_ms, 90):6.0f} ms, "
                    f"CPU {r.cpu_percent:4.0f}%, peak RSS {r.peak_mb:5.0f} MB, others' CPU {r.others_percent:4.0f}%, "
                    f"{r.errors} errors, log: {r.log}",
                    flush=True,
                )
                out.append(r)
    return out


def report(results: list[Round], args) -> None:
    for setup in args.setups:
        if len(args.setups) > 1:
            print(f"\n{setup.label}:", end="")
        report_setup([r for r in results if r.setup == setup.label], args)


def report_setup(results: list[Round], args) -> None:
    one = np.median([p(r.reading_ms, 90) for r in results if r.students == 1]) if 1 in args.students else np.nan
    print(
        f"\nstroke sent -> reading received (the bars' delta), a stroke every {args.every:g} s for {args.seconds:g} s"
    )
    header = f"{'students':>8} {'round':>5} {'strokes':>7} {'lost':>4} {'p50 ms':>7} {'p90 ms':>7} {'p90/1':>6}"
    print(f"{header} {'done p90':>8} {'CPU %':>6} {'CPU ms/stroke':>13} {'peak RSS MB':>11} {'others CPU %':>12}")
    for n in args.students:
        for i, r in enumerate(x for x in results if x.students == n):
            t = r.reading_ms
            print(
                f"{n:>8} {i + 1:>5} {len(t):>7} {int(np.isinf(t).sum()):>4} {p(t, 50):>7.0f} {p(t, 90):>7.0f} "
                f"{p(t, 90) / one:>5.2f}x {p(r.done_ms, 90):>8.0f} {r.cpu_percent:>6.0f} {r.cpu_ms_per_stroke:>13.1f} "
                f"{r.peak_mb:>11.0f} {r.others_percent:>12.0f}"
            )
    most = [x for x in results if x.students == max(args.students)]
    worst = max(p(x.reading_ms, 90) for x in most)
    print(
        f"{max(args.students)} students, worst round: p90 {worst / one:.2f}x one student's (goal <= {GOAL_RATIO}x), "
        f"peak RSS {max(x.peak_mb for x in most):.0f} MB (goal <= {GOAL_RSS_MB} MB)"
    )


# --- validation: one simulated student vs one real browser ---------------------------------------


class Relay:
    """A TCP relay between Chromium and the server, outside Chromium: when the stroke's frame passes up and the
    reading's frame passes down (time.monotonic(), like the simulated students). The page's websocket is asked
    for no compression (its Sec-WebSocket-Extensions is dropped), so the reading's id can be found in the
    server's frames; the browser's frames are masked, but the stroke is the only big one it sends."""

    def __init__(self, upstream: str):
        self.host, self.port = upstream.removeprefix("http://").split(":")
        self.sent = self.got = None

    async def start(self) -> str:
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    def arm(self) -> None:
        self.sent = self.got = None

    async def _connection(self, reader, writer) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(self.host, int(self.port))
        head = await reader.readuntil(b"\r\n\r\n")  # the request line and headers
        stream = b"/_stcore/stream" in head.split(b"\r\n", 1)[0]
        if stream:
            head = re.sub(rb"(?im)^sec-websocket-extensions:[^\r]*\r\n", b"", head)
        upstream_writer.write(head)
        await asyncio.gather(
            self._pipe(reader, upstream_writer, self._up if stream else None),
            self._pipe(upstream_reader, writer, self._down if stream else None),
            return_exceptions=True,
        )

    async def _pipe(self, reader, writer, note) -> None:
        tail = b""
        while data := await reader.read(1 << 16):
            if note is not None:
                note(tail + data)
                tail = data[-64:]
            writer.write(data)
            await writer.drain()
        writer.close()

    def _up(self, data: bytes) -> None:
        if self.sent is None and len(data) > 1000:
            self.sent = time.monotonic()

    def _down(self, data: bytes) -> None:
        if self.sent is not None and self.got is None and READING_SUFFIX.encode() in data:
            self.got = time.monotonic()


class Wire:
    """The same two frames as Chromium's network stack saw them (DevTools' clock, in s)."""

    def __init__(self):
        self.sent = self.got = None

    def arm(self) -> None:
        self.sent = self.got = None

    def frame_sent(self, event: dict) -> None:
        if self.sent is None and CANVAS_SUFFIX.encode() in base64.b64decode(event["response"]["payloadData"]):
            self.sent = event["timestamp"]

    def frame_received(self, event: dict) -> None:
        if self.sent is not None and self.got is None:
            if READING_SUFFIX.encode() in base64.b64decode(event["response"]["payloadData"]):
                self.got = event["timestamp"]


async def validate(args) -> None:
    """One server; a Chromium student (through the relay) and a simulated one take turns a figure at a time."""
    from playwright.async_api import async_playwright

    recording = await recorded()
    shapes = figures(random.Random(7), -(-args.strokes // len(FIGURE)))
    template = stroke_template(recording)
    states = [canvas_state(template, f[: k + 1]) for f in shapes for k in range(len(FIGURE))][: args.strokes]
    home = Path(tempfile.mkdtemp(prefix="digitlab-classroom-validate-"))
    server = start_server(home, home / "streamlit.log", env=SHARED)
    browser_ms, simulated_ms = [], []  # browser: (up->sent, sent->reading at the relay, in DevTools, in JS, up->shown)
    try:
        relay = Relay(server.url)
        url = await relay.start()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context = await browser.new_context(viewport=VIEWPORT)
            await context.add_init_script(WS_HOOK)
            page = await open_app(context, url, DRAW)
            wire, devtools = Wire(), await context.new_cdp_session(page)
            devtools.on("Network.webSocketFrameSent", wire.frame_sent)
            devtools.on("Network.webSocketFrameReceived", wire.frame_received)
            await devtools.send("Network.enable")
            student = Student(server.url, recording, [*states, states[0]])
            await student.visit()
            await student.warm_up()
            await stroke(page, DRAW, shapes[0][0])  # the browser's warm-up stroke
            await reset(page)
            for f, figure in enumerate(shapes):
                n = min(len(FIGURE), args.strokes - f * len(FIGURE))
                start = time.monotonic()
                for k in range(n):
                    await asyncio.sleep(max(0.0, start + k * args.every - time.monotonic()))
                    await page.evaluate("() => window.__ws.arm()")
                    relay.arm()
                    wire.arm()
                    shown = (await stroke(page, DRAW, figure[k]))[0]
                    up, sent, got = await page.evaluate("() => [window.__lat.up, window.__ws.sent, window.__ws.got]")
                    at_relay, in_devtools = (relay.got - relay.sent) * 1000, (wire.got - wire.sent) * 1000
                    browser_ms.append((sent - up, at_relay, in_devtools, got - sent, shown))
                await reset(page)
                await student.draw(time.monotonic(), args.every, n)
                simulated_ms += [r.reading * 1000 for r in student.runs if r.reading is not None]
                student.payloads = student.payloads[n:]
                student.runs.clear()
            await student.close()
            await browser.close()
    finally:
        stop_server(server)
    b, s = np.array(browser_ms), np.array(simulated_ms)
    rest = b[:, 4] - b[:, 0] - b[:, 1]  # the reading leaving the relay -> the bars on screen
    print(
        f"{len(b)} browser strokes, {len(s)} simulated, a stroke every {args.every:g} s, "
        "taking turns a figure at a time"
    )
    print(f"{'ms':<64} {'p50':>6} {'p90':>6}")
    for name, t in [
        ("browser: pointerup -> stroke sent (the canvas' debounce)", b[:, 0]),
        ("browser: sent -> reading, at the relay (the server's share)", b[:, 1]),
        ("simulated: sent -> reading", s),
        ("browser: sent -> reading at Chromium's network stack (DevTools)", b[:, 2]),
        ("browser: sent -> reading handed to the page's JavaScript", b[:, 3]),
        ("browser: reading at the relay -> bars on screen", rest),
        ("browser: pointerup -> reading shown (browser_latency)", b[:, 4]),
    ]:
        print(f"{name:<64} {np.median(t):>6.0f} {np.percentile(t, 90):>6.0f}")
    print(
        f"simulated / browser at the relay, sent -> reading: p50 {np.median(s) / np.median(b[:, 1]):.2f}x, "
        f"p90 {np.percentile(s, 90) / np.percentile(b[:, 1], 90):.2f}x"
    )
    print(
        f"a simulated stroke as a browser would show it (p50s: debounce + simulated + relay -> screen): "
        f"{np.median(b[:, 0]) + np.median(s) + np.median(rest):.0f} ms "
        f"vs pointerup -> shown {np.median(b[:, 4]):.0f} ms"
    )
    print(f"server log: {server.log_problems()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=lambda s: [int(n) for n in s.split(",")], default=[1, 10, 30])
    parser.add_argument("--seconds", type=float, default=60.0, help="timed drawing per round")
    parser.add_argument("--every", type=float, default=2.0, help="s between a student's strokes")
    parser.add_argument("--repeats", type=int, default=2, help="rounds per number of students")
    parser.add_argument("--validate", action="store_true", help="one simulated student vs one real browser")
    parser.add_argument("--strokes", type=int, default=30, help="--validate: timed strokes on each side")
    parser.add_argument(
        "--repo", type=lambda d: Path(d).resolve(), action="append", help="a checkout whose app to serve (repeatable)"
    )
    parser.add_argument(
        "--replicas",
        type=lambda s: [int(n) for n in s.split(",")],
        default=[0],
        help="0: streamlit run app.py; N: serve.py with N replicas; a list takes turns (default 0)",
    )
    args = parser.parse_args()
    args.setups = [Setup(repo, n) for repo in args.repo or [REPO] for n in args.replicas]
    if args.validate:
        asyncio.run(validate(args))
    else:
        report(asyncio.run(rounds(args)), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
