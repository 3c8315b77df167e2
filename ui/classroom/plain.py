"""Strangers' words on the page: a nickname or a class name is always shown as text, never as markup.

    plain("7B maths", size="1.6rem", weight=600)     # a line of text, HTML-escaped
    alert("Someone in this class is already called '**Sam**'...", "error")   # a one-sentence box, as text

Streamlit's markdown (st.markdown, st.error, widget labels) turns `**x**`, `[x](y)`, `:red[x]`, `:smile:` into
bold, links, colour and emoji, and escaping cannot stop every one of them: so such text goes through
html.escape into st.html (st.text, st.code and st.dataframe cells are plain as well).
"""

from __future__ import annotations

import html

import streamlit as st

ALERT_COLOURS = {  # (background, text): Streamlit's own alert colours, light theme
    "error": ("rgba(255, 43, 43, 0.09)", "rgb(125, 53, 59)"),
    "warning": ("rgba(255, 227, 18, 0.1)", "rgb(146, 108, 5)"),
    "success": ("rgba(33, 195, 84, 0.1)", "rgb(23, 114, 51)"),
    "info": ("rgba(28, 131, 225, 0.1)", "rgb(0, 66, 128)"),
}


def plain(text: str, size: str = "1rem", weight: int = 400, muted: bool = False) -> None:
    """One line of text exactly as given (long words wrap rather than widen a phone's page)."""
    colour = "color:#6b7280;" if muted else ""
    st.html(
        f"<div style='font-size:{size};font-weight:{weight};{colour}overflow-wrap:anywhere;line-height:1.3'>"
        f"{html.escape(text)}</div>"
    )


def alert(text: str, kind: str = "error") -> None:
    """A sentence in an alert box like st.error's, shown as text (it may quote a nickname or a class name)."""
    background, colour = ALERT_COLOURS[kind]
    st.html(
        f"<div role='alert' style='background:{background};color:{colour};padding:1rem;border-radius:0.5rem;"
        f"overflow-wrap:anywhere'>{html.escape(text)}</div>"
    )
