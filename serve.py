"""A shared server on every core: Streamlit replicas behind haproxy, each visitor kept on one of them (#27).

    .venv/bin/python serve.py [--port 8501] [--address 0.0.0.0] [--replicas N]
    make serve [PORT=8501] [REPLICAS=N]

A Streamlit process runs all its sessions' Python under one lock (the GIL): thirty students drawing at once
queue on it while the machine's other cores idle (docs/experiments.md, 2026-12-07). So this starts one replica
per core (at most MAX_REPLICAS), each `streamlit run app.py` in shared mode on a loopback port, with the same
data directory, and haproxy in front on --port. A visitor's first response sets a cookie naming the replica with
the fewest connections; every later request and the websocket carry it there, as Streamlit needs: a session lives
in the process that opened its websocket. The store is shared (SQLite in WAL mode, or DIGITLAB_DATABASE_URL), so
any replica sees every lab. Training is one `python -m training worker` process beside them, with DIGITLAB_WORKERS
workers (default 1; 0: none), as on a worker machine (docs/deploy.md): a run queued from any replica is taken at
once, whichever replica's pages are open. With --replicas 1, or without haproxy, one Streamlit process serves
--port itself and trains with its own workers, as `DIGITLAB_SHARED=1 streamlit run app.py` does.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent
MAX_REPLICAS = 4  # each replica holds its own models and sessions (~170 MB with a class on it)
HEALTH_S = 90  # a replica's start, TensorFlow-free, takes 2-3 s; a loaded machine takes longer
RESTART_S = 30  # a replica or worker that ends this soon after it was started again is not: it would only end again
BANNER = ("You can now view your Streamlit app", "URL: http")  # a replica's own address: not the one to share

HAPROXY = """\
global
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout tunnel 8h  # a websocket: a lesson, or a day's drawing, idle between strokes
    option redispatch  # a visitor whose replica is down goes to another (their session starts again)

frontend digitlab
    bind {address}:{port}
    default_backend replicas

backend replicas
    balance leastconn  # a new visitor goes to the replica with the fewest open websockets
    cookie digitlab_replica insert indirect nocache httponly
    option httpchk GET /_stcore/health
{servers}
"""


def find_haproxy() -> str | None:
    """haproxy on the PATH, or where Debian puts it (/usr/sbin is not on every user's PATH)."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")


def default_replicas() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_REPLICAS))


def haproxy_config(address: str, port: int, replica_ports: list[int]) -> str:
    servers = "\n".join(
        f"    server r{i} 127.0.0.1:{p} check inter 2s cookie r{i}" for i, p in enumerate(replica_ports, 1)
    )
    return HAPROXY.format(address=address, port=port, servers=servers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A child in its own session (Ctrl-C reaches this launcher only, which stops the children in order), its log
    relayed onto ours, each line marked with `name`."""
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    threading.Thread(target=relay, args=(process, f"[{name}] "), daemon=True).start()
    return process


def start_replica(name: str, address: str, port: int, workers: int) -> subprocess.Popen:
    """`streamlit run app.py` in shared mode, training with `workers` embedded workers."""
    env = {**os.environ, "DIGITLAB_SHARED": "1", "DIGITLAB_WORKERS": str(workers)}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    return start(name, command + ["--server.address", address, "--server.port", str(port)], env)


def relay(process: subprocess.Popen, prefix: str) -> None:
    """A replica's log lines on ours, each marked with the replica; its own address left out."""
    for line in iter(process.stdout.readline, b""):
        text = line.decode(errors="replace").rstrip()
        if text and not any(b in text for b in BANNER):
            print(prefix + text, flush=True)


def wait_healthy(url: str, process: subprocess.Popen, within_s: float = HEALTH_S, every_s: float = 0.2) -> None:
    """Return once the Streamlit server at `url` answers /_stcore/health; RuntimeError if `process` exits first
    or it does not answer `within_s`. (The browser tests and benches wait for their servers with it too.)"""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with code {process.returncode} as it started")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(every_s)
    raise RuntimeError(f"did not answer within {within_s:g} s")


def lan_addresses() -> list[str]:
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        out = []
    return [a for a in out if ":" not in a] or ["localhost"]


def stop(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        if p.poll() is None:
            p.terminate()
    for p in processes:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def serve(address: str, port: int, replicas: int, workers: int, haproxy: str | None) -> int:
    """Start the replicas and the worker, then haproxy, and keep them going: a replica or the worker that ends is
    started again. Returns on Ctrl-C or SIGTERM (0), or when haproxy ends or a process started again ends within
    RESTART_S (1)."""
    if replicas > 1 and not (haproxy and os.access(haproxy, os.X_OK)):
        print(
            "haproxy is not installed, so one Streamlit process serves (one core for drawing): "
            "install it with 'sudo apt-get install haproxy' to use every core.",
            flush=True,
        )
        replicas = 1
    starters: dict[str, Callable[[], subprocess.Popen]] = {}  # by name: how to start each (again)
    if replicas == 1:  # one process on the port itself, training with workers of its own
        ports = [port]
        urls = {"replica": f"http://{'127.0.0.1' if address in ('0.0.0.0', '') else address}:{port}"}
        starters["replica"] = functools.partial(start_replica, "replica", address, port, workers)
    else:
        ports = [free_port() for _ in range(replicas)]
        urls = {f"replica {i}": f"http://127.0.0.1:{p}" for i, p in enumerate(ports, 1)}
        for name, p in zip(urls, ports, strict=True):
            starters[name] = functools.partial(start_replica, name, "127.0.0.1", p, 0)
        if workers:
            worker = [sys.executable, "-m", "training", "worker", "--workers", str(workers)]
            starters["worker"] = functools.partial(start, "worker", worker, dict(os.environ))
    processes: dict[str, subprocess.Popen] = {}  # by name: the replicas, the worker, haproxy
    restarted: dict[str, float] = {}  # when each was last started again
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        for name, begin in starters.items():
            processes[name] = begin()
        for name, url in urls.items():
            try:
                wait_healthy(url, processes[name])
            except RuntimeError as error:
                raise RuntimeError(f"{name} {error} (its log is above)") from None
        if replicas > 1:
            config = Path(tempfile.mkdtemp(prefix="digitlab-serve-")) / "haproxy.cfg"
            config.write_text(haproxy_config(address, port, ports))
            processes["haproxy"] = subprocess.Popen([haproxy, "-db", "-f", str(config)], start_new_session=True)
        for a in lan_addresses() if address in ("0.0.0.0", "") else [address]:
            print(f"Digit Lab for everyone on this network: http://{a}:{port}", flush=True)
        print(f"({replicas} Streamlit process{'es' if replicas > 1 else ''}; Ctrl-C stops the server)", flush=True)
        while not stopping.wait(0.5):
            for name, p in list(processes.items()):
                if p.poll() is None:
                    continue
                if name == "haproxy" or time.monotonic() - restarted.get(name, -RESTART_S) < RESTART_S:
                    print(f"digitlab: {name} ended with code {p.returncode}; stopping the server", flush=True)
                    return 1
                print(f"digitlab: {name} ended with code {p.returncode}; starting it again", flush=True)
                processes[name], restarted[name] = starters[name](), time.monotonic()
        return 0
    except RuntimeError as error:
        print(f"digitlab: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        stop(list(processes.values()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8501, help="the port visitors open (default 8501)")
    parser.add_argument("--address", default="0.0.0.0", help="where to listen (default: every interface)")
    parser.add_argument(
        "--replicas", type=int, default=default_replicas(), help="Streamlit processes (default: one per core, max 4)"
    )
    parser.add_argument("--haproxy", default=find_haproxy(), help="the haproxy program (default: found on the PATH)")
    args = parser.parse_args()
    if not 1 <= args.replicas <= 64:
        print(f"--replicas must be between 1 and 64, not {args.replicas}.", file=sys.stderr)
        return 2
    from training.queue import workers_setting  # the server's own rule for DIGITLAB_WORKERS

    try:
        workers = workers_setting()
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    return serve(args.address, args.port, args.replicas, workers, args.haproxy)


if __name__ == "__main__":
    sys.exit(main())
