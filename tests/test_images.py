"""model.images: decoding user files with bounded memory (issue #16 item 13)."""

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from model.images import MAX_ARRAY_BYTES, load_image
from model.preprocess import to_mnist

REPO = Path(__file__).resolve().parent.parent


def seven(side: int, mode: str = "1") -> bytes:
    image = Image.new(mode, (side, side), 1 if mode == "1" else 255)
    s = side / 200
    ImageDraw.Draw(image).line([(50 * s, 40 * s), (150 * s, 40 * s), (80 * s, 170 * s)], fill=0, width=int(16 * s))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_huge_one_bit_png_decodes_small_and_reads_the_same():
    big = load_image(seven(6300))
    assert big.nbytes <= MAX_ARRAY_BYTES  # 6300 x 6300 RGBA would be 159 MB
    small = load_image(seven(200))
    assert np.abs(to_mnist(big) - to_mnist(small)).mean() < 0.03  # the same digit, a little softer at most


def test_small_pictures_come_back_untouched():
    array = load_image(seven(280, mode="L"))
    assert array.shape == (280, 280) and array.dtype == np.uint8


def test_the_peak_memory_of_a_huge_one_bit_png_stays_small(tmp_path):
    """The CLI's path (decode + to_mnist) on a 4.9 KB PNG of 6300 x 6300 pixels: 1.5 GB at its peak before."""
    path = tmp_path / "huge.png"
    path.write_bytes(seven(6300))
    code = (
        "import resource, sys; from model.images import load_image; from model.preprocess import to_mnist; "
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; to_mnist(load_image(sys.argv[1])); "
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)"
    )
    grew_mb = int(
        subprocess.run(
            [sys.executable, "-c", code, str(path)], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
    )
    assert grew_mb < 200, f"decoding grew the process by {grew_mb} MB"
