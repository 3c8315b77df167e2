"""Shared fixtures: every test gets its own empty data directory, so nothing touches var/."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def digitlab_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("digitlab-home")
    monkeypatch.setenv("DIGITLAB_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def mnist():
    from training.data import load_mnist

    return load_mnist()
