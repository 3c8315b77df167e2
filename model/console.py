"""What both command lines share: one-sentence errors with exit code 2, JSON lines, quiet TensorFlow."""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.util
import json
import os
import re
import sys
import tempfile

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake prints one sentence (not the whole usage) and exits 2."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        fail(f"{message} (see --help).")


def fail(message: str, code: int = EXIT_BAD_INPUT):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def emit(obj: dict) -> None:
    """One JSON object per line on stdout, flushed so a reading process sees it at once.

    If the reader is gone (the Train page's server was killed), the lines go nowhere instead of
    raising BrokenPipeError in the middle of a run: the run still ends and saves cleanly."""
    try:
        print(json.dumps(obj), flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's documented recipe for SIGPIPE


# absl's log line: severity letter, MMDD, time, thread id, file:line] message
ABSL_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] ")
ABSL_PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
SEVERITY = "IWEF"  # TF_CPP_MIN_LOG_LEVEL 0..3 hides the letters before its position


def quiet_tensorflow() -> None:
    """TensorFlow's C++ start-up chatter would bury our one-sentence messages on stderr.

    The log-level variables cover what TensorFlow logs once running; the lines it prints while
    `import tensorflow` loads its libraries (oneDNN, CUDA drivers) ignore them in TF 2.21, so that
    first import is run with stderr caught, and every line of it is passed on except absl lines
    below TF_CPP_MIN_LOG_LEVEL. Python warnings and anything else printed then still show."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport())


def drop_startup_lines(text: str, min_level: int) -> str:
    """The lines of `text` minus absl's preamble and its log lines of a severity below `min_level`."""
    kept = [
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith(ABSL_PREAMBLE)
        and not ((m := ABSL_LINE.match(line)) and SEVERITY.index(m.group(1)) < min_level)
    ]
    return "".join(kept)


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` once, with a loader that runs its import under _filtered_stderr."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # one import only; also keeps find_spec below from finding us
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _FilteredLoader(spec.loader)
        return spec


class _FilteredLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with _filtered_stderr():
            self.loader.exec_module(module)

    def __getattr__(self, name):  # get_resource_reader, is_package...: the real loader's
        return getattr(self.loader, name)


class _filtered_stderr:
    """File descriptor 2 goes to a temporary file inside the block; on leaving it, its lines are
    written to the real stderr minus TensorFlow's start-up lines (C++ writes to fd 2 directly)."""

    def __enter__(self):
        sys.stderr.flush()
        self.saved = os.dup(2)
        self.caught = tempfile.TemporaryFile()
        os.dup2(self.caught.fileno(), 2)

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.caught.seek(0)
        text = self.caught.read().decode(errors="replace")
        self.caught.close()
        try:
            level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
        except ValueError:
            level = 0
        sys.stderr.write(drop_startup_lines(text, level))
        sys.stderr.flush()
        return False
