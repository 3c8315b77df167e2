"""Sign-in on a shared server whose operator configured `[auth]` for st.login (OpenID Connect): a signed-in
person's lab follows their account to any device, with no link to keep.

    account()                   # the signed-in account's hash (model/workspace.account_hash), or None
    account_lab(home, account)  # its lab: made on the first sign-in, or the lab this browser was in then
    sign_in_ui(key)             # the sidebar: Sign in, or who is signed in, Sign out, keep this lab

Streamlit sends the browser back to "/" after signing in, without the page's query string, so the lab one
signed in from cannot ride along in the URL. Pressing Sign in notes that lab's key in this server's memory
under the browser's Streamlit XSRF cookie (the only value the browser sends both before and after), for a
quarter of an hour; the first page after signing in reads it back. An account keeps one lab: the noted lab
becomes the account's when the account has none yet, or only an empty one.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import streamlit as st

from model import db
from model.workspace import Workspace, account_hash, is_key, key_hash

CLAIM_TTL_S = 900  # how long a Sign in press waits for the provider to send the browser back
BROWSER_COOKIE = "_streamlit_xsrf"  # Streamlit's own cookie, one per browser (XSRF protection is on by default)
NOTICE = "_account_notice"  # session_state: a sentence for the first page after signing in


def auth_configured() -> bool:
    """True when the operator gave st.login a provider (`[auth]` in the secrets)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def account() -> str | None:
    """The signed-in person's account, as the database keys it; None without sign-in or when signed out."""
    if not auth_configured() or not st.user.get("is_logged_in"):
        return None
    return account_hash(str(st.user.get("iss", "")), str(st.user.get("sub", "")))


@st.cache_resource(show_spinner=False)
def _claims() -> tuple[dict[str, tuple[str, float]], threading.Lock]:
    """{browser: (lab key, when noted)} for every session of this server: keyed by browser, never shared."""
    return {}, threading.Lock()


def _browser() -> str | None:
    """This browser, from its XSRF cookie's token. The cookie is written again with each page, masked anew
    (Tornado's version 2 format, "2|mask|masked token|time"), so the token is unmasked first."""
    cookie = (st.context.cookies.get(BROWSER_COOKIE) or "").strip("\"'")
    parts = cookie.split("|")
    try:
        if len(parts) == 4 and parts[0] == "2":
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            token = bytes(byte ^ mask[i % len(mask)] for i, byte in enumerate(masked))
        else:
            token = cookie.encode()
    except ValueError:
        return None
    return hashlib.sha256(token).hexdigest() if token else None


def _note_claim(key: str) -> None:
    """Sign in pressed in the lab opened by `key`: remember it for this browser's return."""
    browser = _browser()
    if browser is not None:
        claims, lock = _claims()
        with lock:
            now = time.monotonic()
            for stale in [b for b, (_, at) in claims.items() if now - at > CLAIM_TTL_S]:
                del claims[stale]
            claims[browser] = (key, now)


def _take_claim() -> str | None:
    browser = _browser()
    if browser is None:
        return None
    claims, lock = _claims()
    with lock:
        key, at = claims.pop(browser, (None, 0.0))
    return key if key is not None and time.monotonic() - at <= CLAIM_TTL_S else None


def account_lab(home: Path, account: str) -> Workspace:
    """The account's lab. After a Sign in pressed in a lab, that lab becomes the account's (its link then
    opens nothing) unless the account already has work in a lab of its own; the next page says which."""
    key = _take_claim()
    if key is not None and is_key(key):
        lab = db.workspace_for_key(home, key_hash(key))
        if lab is not None and db.claim_workspace(home, lab, account):
            st.session_state[NOTICE] = (
                "The lab you signed in from is now your account's: sign in on any device to open it. "
                "Its old link opens nothing any more."
            )
        elif lab is not None and not db.workspace_is_empty(home, lab):  # an empty lab is left unsaid
            st.session_state[NOTICE] = (
                "Your account already has a lab with work in it, so that is the one open now; "
                "the lab you signed in from is still there, opened by its link."
            )
    return db.workspace_for_account(home, account) or db.create_account_workspace(home, account)


def take_notice() -> str | None:
    return st.session_state.pop(NOTICE, None)


def who() -> str:
    """The signed-in person as the provider names them: name, else email, else the subject."""
    return str(st.user.get("name") or st.user.get("email") or st.user.get("sub") or "someone")


def sign_in_ui(key: str | None, workspace: Workspace, on_keep) -> None:
    """The sidebar's sign-in part; `key` is the link's key of the lab open (None: the account's own lab),
    `on_keep` moves it into the signed-in account."""
    if not auth_configured():
        return
    if not st.user.get("is_logged_in"):
        st.button(
            "Sign in",
            key="account_sign_in",
            icon=":material/login:",
            width="stretch",
            on_click=_sign_in,
            args=(key,),
            help="Signed in, your lab opens on any device without its link; this lab comes along.",
        )
        return
    st.caption("Signed in as")
    st.text(who())
    if key is not None:
        st.button(
            "Keep this lab in my account",
            key="account_keep",
            icon=":material/move_item:",
            width="stretch",
            on_click=on_keep,
            help="This lab becomes your account's; its link then opens nothing.",
        )
    st.button("Sign out", key="account_sign_out", icon=":material/logout:", width="stretch", on_click=st.logout)


def _sign_in(key: str | None) -> None:
    if key is not None:
        _note_claim(key)
    st.login()
