"""Sign-in on a shared server, the whole flow in real browsers: Streamlit's st.login against a real OpenID
provider (oidc-provider-mock, in this process), the operator's settings in a secrets file.

A lab follows its account to another person; the lab one signed in from comes along and its link stops
working; another account never sees it; signing out leaves a fresh lab.

.venv/bin/python -m pytest tests/e2e/test_sign_in.py -q
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import expect

from model import db
from model.drawings import DrawingStore
from model.workspace import account_hash, key_hash
from tests.e2e.browser import free_port, shoot, start_server, stop_server
from ui.workspace import NO_LAB

expect.set_options(timeout=30_000)
SECRETS = """\
shared = true  # the operator's other setting, from the same file

[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "{cookie_secret}"
client_id = "digit-lab-tests"
client_secret = "any"
server_metadata_url = "{issuer}/.well-known/openid-configuration"
"""


@pytest.fixture(scope="module")
def provider():
    """A real OpenID Connect provider on a free port: any client, any subject typed on its page."""
    import oidc_provider_mock

    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on loopback, for this test process only
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory, provider):
    home = tmp_path_factory.mktemp("e2e-sign-in-home")
    port = free_port()
    secrets = home / "secrets.toml"
    secrets.write_text(SECRETS.format(port=port, cookie_secret=os.urandom(16).hex(), issuer=provider))
    srv = start_server(home, home / "streamlit.log", env={"STREAMLIT_SECRETS_FILES": str(secrets)}, port=port)
    srv.url = f"http://localhost:{port}"  # the host the provider sends the browser back to: its cookies live there
    yield srv
    stop_server(srv)


def my_drawings(page):
    return page.get_by_role("heading", name="My drawings")


def open_lab(page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Draw a digit")).to_be_visible(timeout=90_000)
    expect(my_drawings(page)).to_be_visible(timeout=60_000)


def sign_in(page, subject: str) -> None:
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/oauth2/authorize?**")
    page.locator('input[name="sub"]').fill(subject)
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(subject, exact=True)).to_be_visible()


def url_key(page) -> str | None:
    return parse_qs(urlparse(page.url).query).get("key", [None])[0]


def a_drawing() -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:16] = 1.0
    return image


def test_a_signed_in_lab_follows_its_account_and_no_one_else(server, person):
    phone_home = person()
    open_lab(phone_home, server.url)
    key = url_key(phone_home)
    lab = db.workspace_for_key(server.home, key_hash(key))
    DrawingStore(server.home, lab).add(a_drawing(), 1)  # work done before signing in
    phone_home.reload()
    expect(my_drawings(phone_home)).to_have_text("My drawings (1)")

    sign_in(phone_home, "alice")  # from that lab: it becomes alice's
    expect(phone_home.get_by_text("The lab you signed in from is now your account's")).to_be_visible()
    expect(my_drawings(phone_home)).to_have_text("My drawings (1)")
    assert url_key(phone_home) is None  # no link to keep: the account opens it
    expect(phone_home.get_by_role("button", name="Keep your lab's link")).to_have_count(0)
    shoot(phone_home, "signed-in-lab")

    stranger = person()  # the old link, on a device nobody signed in on: it was the key, and it is retired
    stranger.goto(f"{server.url}/?key={key}")
    expect(stranger.get_by_text(NO_LAB)).to_be_visible(timeout=60_000)

    laptop = person()  # alice on another device: a lab of the moment first, then hers once signed in
    open_lab(laptop, server.url)
    passing = url_key(laptop)
    expect(my_drawings(laptop)).to_have_text("My drawings (0)")
    sign_in(laptop, "alice")
    expect(my_drawings(laptop)).to_have_text("My drawings (1)")
    assert db.workspace_for_account(server.home, db_account(server, "alice")) == lab
    assert db.workspace_for_key(server.home, key_hash(passing)) is not None  # the empty lab she passed through

    bob = person()
    open_lab(bob, server.url)
    sign_in(bob, "bob")
    expect(my_drawings(bob)).to_have_text("My drawings (0)")  # never alice's
    bob.goto(f"{server.url}/Train")  # across pages, still bob's own lab, with no key in any URL
    expect(bob.get_by_text("Signed in as")).to_be_visible(timeout=60_000)
    assert url_key(bob) is None and db.workspace_for_account(server.home, db_account(server, "bob")) != lab

    laptop.get_by_role("button", name="Sign out").click()  # signed out: a new lab, alice's stays hers
    laptop.wait_for_url("**/oauth2/end_session**")
    laptop.get_by_role("button", name="End session").click()
    expect(my_drawings(laptop)).to_have_text("My drawings (0)", timeout=60_000)
    expect(laptop.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    assert "Traceback" not in server.log_text()


def test_keep_this_lab_moves_a_lab_opened_by_its_link_into_an_empty_account(server, person):
    page = person()
    open_lab(page, server.url)
    sign_in(page, "carol")  # carol's first sign-in from an empty lab: that empty lab is hers now
    other = person()  # a lab with work, opened by its link while carol is signed in on this device
    open_lab(other, server.url)
    key = url_key(other)
    DrawingStore(server.home, db.workspace_for_key(server.home, key_hash(key))).add(a_drawing(), 1)
    page.goto(f"{server.url}/?key={key}")
    expect(my_drawings(page)).to_have_text("My drawings (1)", timeout=60_000)
    page.get_by_role("button", name="Keep this lab in my account").click()
    expect(page.get_by_text("This lab is now your account's")).to_be_visible()
    assert url_key(page) is None and db.workspace_for_key(server.home, key_hash(key)) is None
    page.goto(server.url)
    expect(my_drawings(page)).to_have_text("My drawings (1)", timeout=60_000)


def db_account(server, subject: str) -> str:
    """The account hash the server keys `subject` by: the issuer is the secrets file's metadata URL's base."""
    text = (server.home / "secrets.toml").read_text()
    url = next(line.split('"')[1] for line in text.splitlines() if line.startswith("server_metadata_url"))
    return account_hash(url.removesuffix("/.well-known/openid-configuration"), subject)
