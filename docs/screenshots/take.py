"""The README's inbox screenshot, taken against the demo (run by hand; needs Debian's Chromium).

    .venv/bin/python docs/screenshots/take.py [--data-dir var-screenshots]

Starts ``hub serve --demo`` on a free port with its own data folder (never ``./var``), logs in as
the demo agent in headless Chromium, selects two tickets and moves to one with the keyboard (so
the picture shows the selection, the bulk bar and the current row), and writes
``docs/screenshots/inbox.png`` (1440 x 900, Chinese).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots" / "inbox.png"
CHROMIUM = os.environ.get("HUB_CHROMIUM") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def main(data_dir: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(data_dir), HUB_LOG_LEVEL="WARNING")
    hub = str(Path(sys.executable).with_name("hub"))
    server = await asyncio.create_subprocess_exec(
        hub, "serve", "--demo", "--no-worker", "--port", str(port), env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        while b"hub ready" not in await asyncio.wait_for(server.stdout.readline(), 180):
            pass
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox", "--disable-gpu"]
            )
            page = await browser.new_page(
                base_url=f"http://127.0.0.1:{port}", locale="zh-CN", viewport={"width": 1440, "height": 900}
            )
            await page.goto("/login")
            await page.locator("#login-email").fill("agent1@demo.test")
            await page.locator("#login-password").fill("demo1234")
            await page.locator("#login-form button[type=submit]").click()
            await page.wait_for_url("**/")
            await page.locator("#live[data-state=on]").wait_for()
            picks = page.locator("#rows input.pick")
            for n in (0, 2):
                if await picks.count() > n:
                    await picks.nth(n).check()
            await page.keyboard.press("j")
            await page.keyboard.press("j")
            await page.locator("[data-count-for=open]:not(:empty)").wait_for()  # the counts
            await page.screenshot(path=str(OUT))
            await browser.close()
        print(f"wrote {OUT}")
    finally:
        server.terminate()
        await server.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-screenshots")
    asyncio.run(main(parser.parse_args().data_dir.resolve()))
