"""What both command lines share: one-sentence errors with exit code 2, JSON lines, quiet TensorFlow."""

from __future__ import annotations

import argparse
import json
import os
import sys

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


def quiet_tensorflow() -> None:
    """TensorFlow's C++ start-up chatter would bury our one-sentence messages on stderr."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
