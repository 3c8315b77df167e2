"""Why this digit and not that one, for the Draw page and the Errors page's sample dialog.

    versus = versus_picker(digit, probs, key="draw_versus")      # default: the runner-up
    c = contrast(classifier, x28, digit, versus)                # model/contrast.py: computed for these two only
    st.markdown(sum_text(c))                                    # the numbers, and whether they add up

The picture is each pixel's share of score_digit - score_versus; the sum of the shares plus the
bias is the score difference (exactly for ReLU networks, up to `residual` otherwise).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from model.contrast import Contrast
from model.spec import N_CLASSES

ADDS_UP = 1e-4  # |shares + bias - difference| under this counts as adding up


def versus_picker(digit: int, probs: np.ndarray, key: str) -> int:
    """The digit to compare `digit` with: the runner-up until the user picks another; reset when `digit` changes."""
    options = [d for d in range(N_CLASSES) if d != digit]
    order = [int(d) for d in np.argsort(-np.asarray(probs), kind="stable") if d != digit]
    state, shown_for = st.session_state, f"{key}_for"
    if state.get(shown_for) != digit or state.get(key) not in options:
        state[key], state[shown_for] = order[0], digit
    picked = st.segmented_control(
        f"Why {digit} and not…",
        options,
        key=key,
        required=True,
        help="Default: the runner-up, the digit with the second highest probability.",
    )
    return order[0] if picked is None else int(picked)


def activation_name(classifier) -> str:
    """The hidden layers' activation(s), for the sentence saying whether the split is exact."""
    names = sorted({layer.activation for layer in classifier.layers[:-1]})
    return "/".join(names) if names else "softmax-regression"


def _signed(value: float) -> str:
    return f"{value:+.3f}".replace("-", "−")


def sum_text(c: Contrast, activation: str = "relu") -> str:
    """The split's numbers in one short paragraph, and whether they add up."""
    ink_for, ink_against = (
        float(c.contributions[c.contributions > 0].sum()),
        float(c.contributions[c.contributions < 0].sum()),
    )
    total = float(c.contributions.sum()) + c.bias
    lines = [
        f"score {c.digit} − score {c.versus} = **{_signed(c.logit_difference)}**",
        f"= pixels for {c.digit} **{_signed(ink_for)}** + pixels for {c.versus} **{_signed(ink_against)}** "
        f"+ bias **{_signed(c.bias)}**",
    ]
    if c.exact:
        off = abs(total - c.logit_difference)
        verdict = "✓ adds up" if off < ADDS_UP else "✗ does not add up"
        lines.append(
            f"= {_signed(total)} {verdict} (off by {off:.1e}): for this drawing the {activation} network is "
            "exactly linear."
        )
    else:
        lines.append(
            f"+ residual **{_signed(c.residual)}**. Approximate: {activation} is not piecewise linear, so "
            f"{c.approximate[0]}; the residual is what that leaves out."
        )
    return "  \n".join(lines)


def picture_caption(c: Contrast) -> str:
    return (
        f"**Why {c.digit}, not {c.versus}**: each pixel's share of the score difference, its ink × how much it "
        f"raises {c.digit}'s score minus {c.versus}'s. Red ink argues for {c.digit}, blue for {c.versus}."
    )
