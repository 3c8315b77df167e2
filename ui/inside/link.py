"""Deep links to the Inside page: /Inside?model=NAME&layer=1&unit=17&epoch=3, every parameter optional.

    choice, notices = read_link(st.query_params.to_dict(), names, active)   # parse, never trust
    neuron_links("default", layer=2, units=[918, 527])                      # "#918 #527" as page links

Links navigate inside the app (st.page_link), so the session and its last drawing come along.
Layers count from 1 (the first hidden layer), units from 0. `epoch` is the replay's point (ui/inside/replay.py
reads and checks it): present only while the Replay tab shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

PAGE = "pages/3_Inside.py"
PARAMS = ("model", "layer", "unit", "epoch")


@dataclass(frozen=True)
class Link:
    model: str | None  # a registry name, or None: keep the current one
    layer: int | None  # 1-based hidden layer, or None
    unit: int | None  # 0-based unit, or None


def quoted(text: str, limit: int = 64) -> str:
    """A link's value as the page echoes it: quoted, and cut short (a link can carry 10 kB; a sentence is a line)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def read_link(params: dict[str, str], names: list[str]) -> tuple[Link, list[str]]:
    """The query parameters -> a Link holding only what is usable, and one sentence per part that is not.

    Ranges depend on the model, so they are checked by the caller (`clamp`) once it is loaded."""
    notices = []
    model = params.get("model")
    if model is not None and model not in names:
        notices.append(
            f"There is no model named {quoted(model)} (it may have been deleted), so this page shows the active model."
        )
        model = None
    numbers: dict[str, int | None] = {}
    for name in ("layer", "unit"):
        raw = params.get(name)
        numbers[name] = None
        if raw is None:
            continue
        try:
            if len(raw) > 9:  # more digits than any layer or unit has: not a number worth reading
                raise ValueError(raw)
            numbers[name] = int(raw)
        except ValueError:
            notices.append(f"The link's {name} {quoted(raw)} is not a whole number, so it was left out.")
    return Link(model, numbers["layer"], numbers["unit"]), notices


def clamp(layer: int, unit: int, sizes: list[int]) -> tuple[int, int, list[str]]:
    """(layer, unit) brought into range for a model with hidden layers of `sizes` units, and why it moved."""
    notices = []
    if not 1 <= layer <= len(sizes):
        notices.append(
            f"This model has hidden layers 1 to {len(sizes)}; there is no layer {layer}, so this shows layer 1."
        )
        layer, unit = 1, 0
    if not 0 <= unit < sizes[layer - 1]:
        notices.append(
            f"Hidden layer {layer} has units 0 to {sizes[layer - 1] - 1}; there is no unit {unit}, "
            "so this shows unit 0."
        )
        unit = 0
    return layer, unit, notices


def query(model: str, layer: int, unit: int, epoch: str | None = None) -> dict[str, str]:
    params = {"model": model, "layer": str(layer), "unit": str(unit)}
    return params if epoch is None else {**params, "epoch": epoch}


def neuron_links(model: str, layer: int, units: list[int] | tuple[int, ...], lead: str = "") -> None:
    """`lead` as a caption, then a row of links, one per unit ("#918"), that open it in the Inside page's inspector."""
    if lead:
        st.caption(lead)
    with st.container(horizontal=True, gap="small"):
        for unit in units:
            st.page_link(
                PAGE,
                label=f"#{unit}",
                query_params=query(model, layer, unit),
                help=f"Open hidden layer {layer}'s unit {unit} in the neuron inspector",
            )
