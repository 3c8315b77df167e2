"""Quick pen strokes: MNIST's digits redrawn the way a fast writer draws with a mouse or a stylus.

MNIST's digits were written with pens on paper and scanned: ink of varying weight, smooth curves.
A digit drawn on a screen is one line of constant width, and a quick writer's line is a handful of
nearly straight segments that cut the corners, often without lifting the pen between strokes. To
teach the network that style, each training digit is
  1. thinned to a one-pixel skeleton (Zhang-Suen), once per training run (`pen_paths`),
  2. walked like a pen: one path over the whole skeleton, retracing dead ends (or lifting the pen
     there, the strokes joined by straight moves) and moving straight from one piece to the next (`walks`),
  3. redrawn every epoch (`draw_pen`): a random number of evenly spaced points along that path,
     a little jitter, a random pen width, framed the way `to_mnist` frames a drawing (longer side
     20 px including the pen, centre of mass at the centre of the 28x28 field), aspect kept as on the
     canvas, and a share of the 1s, 7s and 9s written the way many writers outside MNIST write them (`writer_style`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.spec import IMAGE_SIDE

BOX = 20  # the digit's longer side in the 28x28 field, pen included, as `to_mnist` makes it
CENTRE = IMAGE_SIDE / 2  # where `to_mnist` puts the centre of mass (pixel indices)
EDGE = 0.6  # the soft edge adds 0.3 px a side of ink that `to_mnist`'s crop still counts
MIN_PIECE = 3  # skeleton pieces smaller than this many pixels are specks, not strokes
INK = 0.5  # an MNIST pixel at or above this is ink for the skeleton


@dataclass(frozen=True)
class WriterStyle:
    """How the 1s, 7s and 9s of writers outside MNIST are written (`writer_style`). The ranges are wide on
    purpose: crossbars and tails vary a lot from writer to writer (the scans in scikit-learn's `load_digits`,
    written at the same university as pendigits, show long crossbars, ticks and tails curling far left)."""

    crossbar: float = (
        0.85  # share of styled 7s crossed in the middle of the stem (the bar drawn last, joined to the foot)
    )
    crossbar_at: tuple[float, float] = (
        0.35,
        0.75,
    )  # where the crossbar cuts the stem, as a fraction of the height from the top
    crossbar_half: tuple[float, float] = (0.25, 0.7)  # half the crossbar's length, as a fraction of the 7's width
    crossbar_backward: float = 0.25  # share of crossbars drawn right to left
    tick: float = 0.6  # share of styled 7s started with a short downward tick at the left of the bar
    tail: tuple[float, float] = (1.0, 2.2)  # size of a 9's tail curling left from its foot (1: a third of the width)


@dataclass(frozen=True)
class PenConfig:
    points: tuple[int, int] = (6, 10)  # evenly spaced points kept along the path: fewer = a quicker, more angular line
    width: tuple[float, float] = (1.3, 4.0)  # pen width in the 28x28 field, pixels
    jitter: float = 0.02  # each point moves by this fraction of the digit's size (Gaussian sd)
    joined: float = 0.9  # share drawn by a writer who lifts the pen at dead ends, strokes joined by straight lines
    styled: float = 0.9  # share of 1s given a long upstroke, of 7s a crossbar and/or a tick, of 9s a curled tail
    style: WriterStyle = WriterStyle()


def thin(ink: np.ndarray) -> np.ndarray:
    """(n, H, W) bool -> (n, H, W) bool one-pixel-wide skeletons (Zhang & Suen, 1984), all images at once."""
    img = np.pad(ink, ((0, 0), (1, 1), (1, 1))).astype(np.uint8)
    inner = img[:, 1:-1, 1:-1]
    while True:
        changed = False
        for first in (True, False):
            # neighbours P2..P9, clockwise from north
            p = [
                img[:, :-2, 1:-1],
                img[:, :-2, 2:],
                img[:, 1:-1, 2:],
                img[:, 2:, 2:],
                img[:, 2:, 1:-1],
                img[:, 2:, :-2],
                img[:, 1:-1, :-2],
                img[:, :-2, :-2],
            ]
            count = sum(q.astype(np.int8) for q in p)
            transitions = sum(((p[i] == 0) & (p[(i + 1) % 8] == 1)).astype(np.int8) for i in range(8))
            if first:
                side = (p[0] & p[2] & p[4]) | (p[2] & p[4] & p[6])
            else:
                side = (p[0] & p[2] & p[6]) | (p[0] & p[4] & p[6])
            remove = (inner == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & (side == 0)
            if remove.any():
                inner[remove] = 0
                changed = True
        if not changed:
            return inner.astype(bool)


def walks(skeleton: np.ndarray, rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) bool skeleton -> two pen paths (m, 2) float32 (y, x), each over every piece of it:
    the pen kept down (dead ends retraced) and the pen lifted at dead ends (a straight move to the next
    fork with something left to draw, as a trajectory recorder joins the strokes).

    Both start at the top-most loose end (a random one now and then), follow the straightest way on at
    each fork, and move straight to the nearest piece not yet drawn.
    """
    ys, xs = np.nonzero(skeleton)
    pixels = list(zip(ys.tolist(), xs.tolist()))
    index = {p: i for i, p in enumerate(pixels)}
    adj: list[list[int]] = [[] for _ in pixels]
    for i, (y, x) in enumerate(pixels):
        for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            j = index.get((y + dy, x + dx))
            if j is not None:
                adj[i].append(j)
        for dy, dx in ((-1, -1), (-1, 1), (1, -1), (1, 1)):  # a diagonal step only where no square step links them
            j = index.get((y + dy, x + dx))
            if j is not None and (y + dy, x) not in index and (y, x + dx) not in index:
                adj[i].append(j)
    pieces = [p for p in _pieces(adj) if len(p) >= MIN_PIECE] or _pieces(adj)[:1]
    if not pieces:
        return np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32)
    pts = np.array(pixels, dtype=np.float32)
    start = _first_start(pieces, adj, pts, rng)
    return pts[_walk(start, pieces, adj, pts, rng, lift=False)], pts[_walk(start, pieces, adj, pts, rng, lift=True)]


def _walk(start: int, pieces, adj, pts, rng, lift: bool) -> list[int]:
    """Node order of one pen path over all pieces, largest reached first from `start`."""
    order: list[int] = []
    used: set[tuple[int, int]] = set()
    remaining = list(range(len(pieces)))
    while remaining:
        piece = next(k for k in remaining if start in pieces[k])
        remaining.remove(piece)
        order += _walk_piece(start, adj, pts, used, rng, lift)
        if remaining:  # the nearest pixel of the nearest piece left, preferring loose ends
            end = pts[order[-1]]
            candidates = [i for k in remaining for i in pieces[k]]
            dist = np.linalg.norm(pts[candidates] - end, axis=1) + np.array(
                [0.0 if len(adj[i]) == 1 else 1.5 for i in candidates]
            )
            start = candidates[int(dist.argmin())]
    return order


def pen_paths(images: np.ndarray, chunk: int = 4096) -> list[tuple[np.ndarray, np.ndarray]]:
    """uint8 (n, 28, 28) MNIST digits -> per digit two pen paths (m, 2), (y, x) in the digit's own pixels:
    the pen kept down (dead ends retraced) and the pen lifted at dead ends (strokes joined)."""
    paths: list[tuple[np.ndarray, np.ndarray]] = []
    for i in range(0, len(images), chunk):
        skeletons = thin(images[i : i + chunk] >= INK * 255)
        paths += [walks(s) for s in skeletons]
    return paths


def draw_pen(
    paths: list[tuple[np.ndarray, np.ndarray]],
    rng: np.random.Generator,
    cfg: PenConfig = PenConfig(),
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """`pen_paths` pairs -> (n, 28, 28) float32 in [0, 1]: each redrawn as a quick polyline, framed like `to_mnist`.
    With `labels`, a share of the 1s, 7s and 9s are written in other writers' ways (`writer_style`)."""
    k_max = cfg.points[1]
    joined = rng.random(len(paths)) < cfg.joined
    chosen = [pair[int(j)] for pair, j in zip(paths, joined)]
    if labels is not None:
        restyle = rng.random(len(paths)) < cfg.styled
        chosen = [writer_style(p, int(d), rng, cfg.style) if r else p for p, d, r in zip(chosen, labels, restyle)]
    pts = np.stack([resample(p, int(rng.integers(cfg.points[0], cfg.points[1] + 1)), k_max) for p in chosen])
    width = rng.uniform(*cfg.width, len(paths)).astype(np.float32)
    span = np.ptp(pts, axis=1).max(axis=1)  # (n,) the path's longer side
    pts = pts + rng.normal(0.0, cfg.jitter, pts.shape).astype(np.float32) * np.maximum(span, 1.0)[:, None, None]
    return draw_framed(pts, width)


def draw_framed(pts: np.ndarray, width: np.ndarray, stretch: np.ndarray | None = None) -> np.ndarray:
    """Pen points (n, k, 2) (y, x), any scale, and (n,) pen widths -> (n, 28, 28) float32 in [0, 1], each drawn as a
    polyline framed the way `to_mnist` frames a drawing; where `stretch` is set, each axis scaled on its own to fill a square."""
    # longer side of the ink (path plus pen) -> 20 px; then centre of mass -> (14, 14). The centre of mass of a
    # line of constant width is its segments' midpoints weighted by their lengths (caps and overlaps aside).
    low, high = pts.min(axis=1), pts.max(axis=1)
    extent = np.maximum(high - low, 1.0)  # (n, 2)
    scale = np.repeat(extent.max(axis=1, keepdims=True), 2, axis=1)  # both axes as the longer one: aspect kept
    if stretch is not None:
        scale[stretch] = extent[stretch]  # each axis on its own: the digit fills a square
    pts = (pts - low[:, None, :]) * ((BOX - EDGE - width)[:, None] / scale)[:, None, :]
    seg = np.linalg.norm(np.diff(pts, axis=1), axis=2)[..., None]  # (n, k-1, 1)
    mid = (pts[:, 1:] + pts[:, :-1]) / 2
    com = (seg * mid).sum(axis=1) / np.maximum(seg.sum(axis=1), 1e-6)
    com = np.where(seg.sum(axis=1) > 1e-6, com, pts.mean(axis=1))  # a dot: its own centre
    pts = pts + (CENTRE - com)[:, None, :]
    ink = np.concatenate([_polyline(pts[i : i + 512], width[i : i + 512]) for i in range(0, len(pts), 512)])
    return _recentre(ink)


def _recentre(ink: np.ndarray, margin: int = 3) -> np.ndarray:
    """(n, 28, 28) -> the same, each moved by whole pixels so its ink's centre of mass is at the centre, as `to_mnist`
    moves it (retraced or crossing segments and the caps move it from the segments' centre by up to a pixel or two)."""
    total = np.maximum(ink.sum(axis=(1, 2)), 1e-6)
    grid = np.arange(IMAGE_SIDE)
    com = np.stack([ink.sum(axis=2) @ grid, ink.sum(axis=1) @ grid], axis=1) / total[:, None]  # (n, 2)
    shift = np.clip(np.round(CENTRE - com).astype(int), -margin, margin)
    padded = np.pad(ink, ((0, 0), (margin, margin), (margin, margin)))
    rows = grid[None, :] + margin - shift[:, :1]  # (n, 28) where each output row reads from
    cols = grid[None, :] + margin - shift[:, 1:]
    return padded[np.arange(len(ink))[:, None, None], rows[:, :, None], cols[:, None, :]]


def writer_style(
    path: np.ndarray, digit: int, rng: np.random.Generator, style: WriterStyle = WriterStyle()
) -> np.ndarray:
    """A 1, 7 or 9 pen path (m, 2) (y, x) rewritten the way many people outside MNIST's writers write it:
    a 1 that starts with a long upstroke from the lower left (much of Europe and Latin America); a 7 crossed
    in the middle of its stem (the crossbar drawn last, joined to the foot) and/or started with a short
    downward tick at the left of its bar; a 9 whose stem ends in a tail curling to the left.
    Other digits come back unchanged."""
    if len(path) < 2 or digit not in (1, 7, 9):
        return path
    top, bottom = path[:, 0].min(), path[:, 0].max()
    height = max(bottom - top, 1.0)
    width = max(float(np.ptp(path[:, 1])), height * 0.5)
    if path[0, 0] > path[-1, 0]:
        path = path[::-1]  # from the top end down
    if digit == 1:
        drop, reach = height * rng.uniform(0.15, 0.45), height * rng.uniform(0.2, 0.5)
        flag = path[0] + np.float32([drop, -reach])
        return np.concatenate([flag[None], path]).astype(np.float32)
    if digit == 9:
        if path[-1, 0] < bottom - 0.15 * height:
            return path  # the pen does not end at the foot of the stem: no tail to curl
        size = rng.uniform(*style.tail)
        curl = path[-1] + np.float32([[0.05, -0.1], [0.06, -0.25], [0.02, -0.38]]) * np.float32([height, width]) * size
        return np.concatenate([path, curl]).astype(np.float32)
    if rng.random() < style.crossbar:
        y = top + height * rng.uniform(*style.crossbar_at)  # where the crossbar cuts the stem
        lower = path[path[:, 0] >= top + height * 0.3]  # the stem, below the 7's bar
        x = float(lower[np.abs(lower[:, 0] - y).argmin(), 1]) if len(lower) else float(path[:, 1].mean())
        half = width * rng.uniform(*style.crossbar_half)
        bar = np.float32([[y, x - half], [y + rng.normal(0, 0.03) * height, x + half]])
        path = np.concatenate([path, bar[::-1] if rng.random() < style.crossbar_backward else bar])
    if (
        rng.random() < style.tick and path[0, 1] <= path[:, 1].min() + 0.25 * width
    ):  # the pen starts at the bar's left end
        tick = path[0] + np.float32([height * rng.uniform(0.12, 0.3), -width * rng.uniform(0.0, 0.06)])
        path = np.concatenate([tick[None], path])
    return path.astype(np.float32)


def _pieces(adj: list[list[int]]) -> list[list[int]]:
    """Connected pieces of the skeleton graph, largest first."""
    seen, pieces = set(), []
    for s in range(len(adj)):
        if s in seen:
            continue
        seen.add(s)
        stack, piece = [s], []
        while stack:
            i = stack.pop()
            piece.append(i)
            for j in adj[i]:
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
        pieces.append(piece)
    return sorted(pieces, key=len, reverse=True)


def _first_start(pieces, adj, pts, rng) -> int:
    """Where the pen goes down: the top-most loose end of the whole drawing (a random loose end a quarter of the time)."""
    nodes = [i for piece in pieces for i in piece]
    ends = [i for i in nodes if len(adj[i]) == 1] or nodes
    if rng is not None and len(ends) > 1 and rng.random() < 0.25:
        return ends[int(rng.integers(len(ends)))]
    return min(ends, key=lambda i: pts[i, 0] + 0.3 * pts[i, 1])


def _walk_piece(start: int, adj, pts, used: set, rng, lift: bool) -> list[int]:
    """Edge-covering walk of one piece from `start`: straightest continuation first; dead ends retraced
    (or, with `lift`, left by a straight move to the next fork with edges to draw); the retrace after
    the last new edge dropped."""
    xy = pts.tolist()
    path, stack = [start], [start]
    last_new = 0
    while stack:
        here = stack[-1]
        options = [j for j in adj[here] if (min(here, j), max(here, j)) not in used]
        if not options:
            stack.pop()
            if stack and not lift:
                path.append(stack[-1])
            continue
        if path[-1] != here:
            path.append(here)  # the pen comes down again here
        if len(path) > 1 and len(options) > 1:  # the straightest way on: the largest cosine with the heading
            (hy, hx), (py, px) = xy[here], xy[path[-2]]
            dy, dx = hy - py, hx - px
            straight = [
                ((xy[j][0] - hy) * dy + (xy[j][1] - hx) * dx) / math.hypot(xy[j][0] - hy, xy[j][1] - hx)
                for j in options
            ]
            if rng is not None:
                straight = [s + rng.normal(0, 0.1) for s in straight]
            nxt = options[straight.index(max(straight))]
        elif len(options) == 1:
            nxt = options[0]
        else:
            nxt = options[0] if rng is None else options[int(rng.integers(len(options)))]
        used.add((min(here, nxt), max(here, nxt)))
        stack.append(nxt)
        path.append(nxt)
        last_new = len(path)
    return path[:last_new] if last_new else path


def resample(path: np.ndarray, k: int, k_max: int) -> np.ndarray:
    """k points evenly spaced along the path's length, padded to k_max by repeating the last one."""
    if len(path) == 0:
        return np.full((k_max, 2), CENTRE, np.float32)
    if len(path) == 1:
        path = np.concatenate([path, path + np.float32([1.0, 0.0])])  # a dot becomes a tiny dash
    length = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    at = np.linspace(0.0, length[-1], k)
    at = np.concatenate([at, np.full(k_max - k, length[-1])])
    return np.stack([np.interp(at, length, path[:, 0]), np.interp(at, length, path[:, 1])], -1).astype(np.float32)


def _polyline(pts: np.ndarray, width: np.ndarray) -> np.ndarray:
    """(n, k, 2) points (y, x) and (n,) pen widths -> (n, 28, 28) ink coverage with a one-pixel soft edge."""
    grid = np.arange(IMAGE_SIDE, dtype=np.float32)
    gy, gx = np.repeat(grid, IMAGE_SIDE), np.tile(grid, IMAGE_SIDE)  # (784,) pixel centres
    ay, ax = pts[:, :-1, 0, None], pts[:, :-1, 1, None]  # (n, s, 1) segment starts
    vy, vx = pts[:, 1:, 0, None] - ay, pts[:, 1:, 1, None] - ax  # segment vectors
    py, px = gy - ay, gx - ax  # (n, s, 784) from each segment's start to each pixel
    t = np.clip((py * vy + px * vx) / np.maximum(vy * vy + vx * vx, 1e-6), 0.0, 1.0)
    py -= t * vy
    px -= t * vx
    d = np.sqrt((py * py + px * px).min(axis=1))  # (n, 784) distance to the line
    ink = np.clip(width[:, None] / 2 - d + 0.5, 0.0, 1.0)
    return ink.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
