"""Which lab a session works in: the one local lab, or on a shared server the workspace whose key is in the URL.

    workspace = lab()        # top of every page, right after st.set_page_config: stops the page on a bad key
    current_workspace()      # the same value, for the helpers below the page (registry, drawings, runner)
    lab_ui()                 # the sidebar: keep your lab's link (copy, QR code), delete your lab

Personal mode (`make run`, `streamlit run app.py`): every session is in the personal workspace, as before.
Shared mode (DIGITLAB_SHARED=1, or `shared = true` in .streamlit/secrets.toml): the URL's `key` is the lab's
secret (model/workspace.py; the database keeps only its hash). A visit with no key opens a new lab and puts
its key in the URL; a key that opens no lab gets one sentence and creates nothing. Streamlit's sidebar
navigation drops the query string, so the sidebar's links carry the key and every page puts it back.
DIGITLAB_LAB_DAYS=N (or `lab_days = N` in the secrets) deletes labs nobody opened for N days, looked for
at most once an hour. With `[auth]` in the secrets, a signed-in visit with no key in its URL opens the
account's own lab (ui/account.py); a link's key still opens its lab, signed in or not.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import ArgumentError, DBAPIError

from model import classes, db
from model.registry import data_home
from model.workspace import PERSONAL, Workspace, is_key, key_hash, new_key
from ui.account import NOTICE, account, account_lab, sign_in_ui, take_notice

KEY_PARAM = "key"  # the query parameter holding a lab's key
STATE = "_workspace"  # session_state: (key, Workspace) of this session's lab, once opened
NEW_LAB = "_workspace_new"  # session_state: set while a lab opened by this session has not been shown its link
DELETED = "_workspace_deleted"  # session_state: set by "Delete my lab" for the run that follows
MEMBER = "_workspace_member"  # session_state: (class name, nickname) when this lab is a student's, else None
TOUCHED = "_workspace_touched"  # session_state: time.monotonic() of this session's last note of a visit
TOUCH_EVERY_S = 60.0
NO_LAB = (
    "This link does not open any lab: its key may have been mistyped or cut short, or the lab was deleted. "
    "Nothing was created."
)


def _setting(name: str, default: str = "") -> str:
    """An operator setting: $DIGITLAB_<NAME> in the environment, else `name = ...` in .streamlit/secrets.toml."""
    value = os.environ.get(f"DIGITLAB_{name.upper()}")
    if value is not None:
        return value.strip()
    try:
        return str(st.secrets.get(name, default)).strip()
    except FileNotFoundError:  # no secrets.toml at all
        return default


def shared_mode() -> bool:
    """True on a shared server: DIGITLAB_SHARED=1 in the environment, or `shared = true` in the secrets."""
    return _setting("shared").lower() in ("1", "true", "yes", "on")


def lab_days() -> float | None:
    """Days after which an unused lab is deleted (DIGITLAB_LAB_DAYS), or None to keep every lab."""
    try:
        days = float(_setting("lab_days") or "nan")
    except ValueError:
        return None
    return days if days > 0 else None


@st.cache_resource(ttl=3600, show_spinner=False)
def _sweep(home: str, days: float) -> int:
    """Delete the labs unused for `days`: once an hour at most (the cache's time to live), on any visit."""
    return db.delete_unused(Path(home), days)


def current_workspace() -> Workspace:
    """This session's lab (personal mode, or before lab() ran: the personal one)."""
    opened = st.session_state.get(STATE)
    return opened[1] if opened else PERSONAL


def current_student() -> tuple[str, str] | None:
    """(class name, nickname) when this session's lab is a student's in a class (read at each page's lab())."""
    return st.session_state.get(MEMBER)


def current_key() -> str | None:
    """This session's lab key on a shared server, for links that must carry it; None in personal mode."""
    opened = st.session_state.get(STATE)
    return opened[0] if opened else None


def store_or_stop() -> None:
    """Open the store (once per process; a no-op after), or say in one sentence why it cannot be, and stop."""
    try:
        db.engine(data_home())
    except (ValueError, ArgumentError, DBAPIError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0].rstrip(".")
        st.error(
            f"Digit Lab cannot open its database: {reason}. Its operator can fix the setting.", icon=":material/error:"
        )
        st.stop()


def lab() -> Workspace:
    """Open this session's lab from the URL's key (see the module's docstring); on a key that opens nothing,
    say so in one sentence, offer a new lab, and stop the page."""
    store_or_stop()
    if not shared_mode():
        return PERSONAL
    state, home = st.session_state, data_home()
    days = lab_days()
    if days is not None:
        _sweep(str(home), days)
    if state.pop(DELETED, False):
        st.success("Your lab and everything in it were deleted.", icon=":material/delete_forever:")
        st.button("Start a new lab", type="primary")
        st.stop()
    key = st.query_params.get(KEY_PARAM)
    if key is None and state.get(STATE) and state[STATE][0]:  # the sidebar's navigation dropped it: put it back
        key = state[STATE][0]
        st.query_params[KEY_PARAM] = key
    signed_in = account() if key is None else None
    if signed_in is not None:  # signed in, and no link's key: the account's own lab (ui/account.py)
        workspace = account_lab(home, signed_in)
        _touch(home, workspace)
    elif key is None:  # a first visit: a lab of one's own
        key = new_key()
        workspace = db.create_workspace(home, key_hash(key))
        st.query_params[KEY_PARAM] = key
        state[NEW_LAB] = True
    else:
        workspace = db.workspace_for_key(home, key_hash(key)) if is_key(key) else None
        if workspace is None:
            state.pop(STATE, None)
            st.error(NO_LAB, icon=":material/key_off:")
            st.button("Start a new lab of my own", on_click=_forget_key, type="primary")
            st.stop()
        _touch(home, workspace)
    state[STATE] = (key, workspace)
    member = classes.class_of(home, workspace)
    state[MEMBER] = None if member is None else (member[0].name, member[1])  # names only: never the join key
    notice = take_notice()
    if notice:
        st.info(notice, icon=":material/account_circle:")
    if state.pop(NEW_LAB, False):  # in the page, not the sidebar: a phone shows the sidebar folded away
        st.info(
            "This lab is yours: the models you train and the drawings you save stay in it. Keep its link "
            "(bookmark this page, or *Keep your lab's link* in the sidebar): it is the only way back, on this "
            "device or another.",
            icon=":material/key:",
        )
    return workspace


def enter_lab(key: str, workspace: Workspace) -> None:
    """Make `workspace`, opened by `key`, this session's lab from the next run on (after joining a class)."""
    st.session_state[STATE] = (key, workspace)
    st.session_state[TOUCHED] = time.monotonic()
    st.query_params[KEY_PARAM] = key


def _touch(home: Path, workspace: Workspace) -> None:
    """Note a visit: a write, so once a minute per session, not at every rerun."""
    if time.monotonic() - st.session_state.get(TOUCHED, -TOUCH_EVERY_S) >= TOUCH_EVERY_S:
        db.touch(home, workspace)
        st.session_state[TOUCHED] = time.monotonic()


def _forget_key() -> None:
    st.query_params.pop(KEY_PARAM, None)
    st.session_state.pop(STATE, None)


def page_url(param: str, value: str) -> str:
    """This page's full address with one query parameter, as this browser reached the server (for a QR code
    and a copy box: a lab's link, a class's join link)."""
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{param}={value}"


def lab_url(key: str) -> str:
    return page_url(KEY_PARAM, key)


def qr_png(text: str, scale: int = 6) -> bytes:
    """A QR code of `text` as PNG bytes, `scale` px per module: 6 scans from a phone held at a screen."""
    import segno  # pure Python; imported only when a link is shown

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def lab_ui() -> None:
    """The sidebar's part about this lab, on a shared server: its link to keep (or the account it follows),
    signing in, and leaving."""
    if st.session_state.get(STATE) is None:
        return
    key, workspace = st.session_state[STATE]
    st.markdown("**Your lab**")
    student = current_student()
    if student is not None:  # names typed by strangers: shown as text, never as markdown
        st.caption("In the class")
        st.text(f"{student[0]}, as {student[1]}")
        st.caption("Your teacher sees the drawings you save.")
    if key is None:
        st.caption("It opens wherever you sign in: no link to keep.")
    else:
        url = lab_url(key)
        with st.popover("Keep your lab's link", icon=":material/link:", width="stretch"):
            st.caption("Anyone with this link can open your lab. Copy it, or scan it with your phone.")
            st.code(url, language=None, wrap_lines=True)
            st.image(qr_png(url), width=220)
    sign_in_ui(key, workspace, on_keep=_keep_in_account)
    with st.popover("Delete my lab", icon=":material/delete_forever:", width="stretch"):
        st.caption("Every model you trained and every drawing you saved here is deleted. This cannot be undone.")
        st.button("Delete my lab for good", key="lab_delete", type="primary", on_click=_delete_lab)


def _keep_in_account() -> None:
    """Move the lab open by its link into the signed-in account; the link then opens nothing."""
    signed_in, workspace = account(), current_workspace()
    if signed_in is None:
        return
    if db.claim_workspace(data_home(), workspace, signed_in):
        st.query_params.pop(KEY_PARAM, None)
        st.session_state[STATE] = (None, workspace)
        st.session_state[NOTICE] = (
            "This lab is now your account's: sign in on any device to open it. Its old link opens nothing any more."
        )
    else:
        st.session_state[NOTICE] = (
            "Your account already has a lab with work in it, and an account keeps one lab; "
            "this one stays open by its link."
        )


def _delete_lab() -> None:
    workspace = current_workspace()
    if workspace != PERSONAL:
        db.delete_workspace(data_home(), workspace)
    _forget_key()
    st.session_state[DELETED] = True
