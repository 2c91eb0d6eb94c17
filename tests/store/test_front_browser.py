"""The store front in a real browser: headless Chromium, driven through ChromeDriver.

The journey of the seed's user, against ``atek-store serve --state`` run as a process: open ``/``,
follow an access link, submit the form, download the URL JSON, run ``atek-store download`` on it
(every shard verified), be revoked with ``atek-store access revoke``, and see the downloader stop
with exit code 3. Screenshots of each page go to ``tmp_path`` and, when
``ATEK_STORE_SCREENSHOTS`` names a folder, there too (the README's are made that way).

Debian's ``chromium`` and ``chromium-driver`` are used as installed (``.ci/run`` installs them);
nothing is downloaded. Without them the test is skipped, unless ``CI`` is set: then it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bounded import REPO_ROOT
from tests.store.builders import build_front_store

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DATASET = "AriaDigitalTwin"
JSON_NAME = f"{DATASET}_ATEK_download_urls.json"
EMAIL = "ada.lovelace@uni.edu"
# Bounds on waiting for the browser's download and the preview child: liveness, not speed.
WAIT_S = 120.0


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if not missing:
        return
    reason = f"headless browser test needs {', '.join(missing)} (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), "ATEK_STORE_NO_PROGRESS": "1"}
    env.pop("ATEK_STORE_SECRET", None)
    return env


def atek(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "atek_store", *args], capture_output=True, text=True, env=_env(), timeout=300
    )


@pytest.fixture
def served(tmp_path: Path, golden_dir: Path) -> Iterator[tuple[str, Path]]:
    store = build_front_store(tmp_path / "store", golden_dir)
    state = tmp_path / "state"
    process = subprocess.Popen(
        [sys.executable, "-m", "atek_store", "serve", str(store), "--state", str(state), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(),
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
    assert match, line
    try:
        yield match.group(1), state
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1100,860",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    # The explicit driver path: Selenium Manager (which would download a driver) never runs.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver: object, tmp_path: Path, name: str) -> None:
    path = tmp_path / "screenshots" / f"{name}.png"
    path.parent.mkdir(exist_ok=True)
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    wanted = os.environ.get("ATEK_STORE_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(wanted) / path.name)


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {WAIT_S:.0f} s")
        time.sleep(0.25)


def test_request_access_download_and_be_revoked_in_a_browser(
    served: tuple[str, Path], browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    url, state = served
    driver = browser
    driver.get(url + "/")  # type: ignore[attr-defined]
    assert "List of available ATEK datasets" in driver.page_source  # type: ignore[attr-defined]
    _screenshot(driver, tmp_path, "01-datasets")

    driver.find_elements(By.CSS_SELECTOR, "a.access-link")[0].click()  # type: ignore[attr-defined]
    assert driver.current_url.endswith(f"/datasets/{DATASET}#access")  # type: ignore[attr-defined]
    _screenshot(driver, tmp_path, "02-dataset")

    driver.find_element(By.ID, "email").send_keys(EMAIL)  # type: ignore[attr-defined]
    driver.find_element(By.ID, "accept_licence").click()  # type: ignore[attr-defined]
    driver.find_element(By.ID, "request-access").click()  # type: ignore[attr-defined]
    # click() may return before the post's redirect is followed (seen on a loaded machine).
    _wait_for(lambda: "/access/" in driver.current_url, "the grant page after the form")  # type: ignore[attr-defined]
    assert "/access/" in driver.current_url  # type: ignore[attr-defined]
    assert EMAIL not in driver.current_url  # type: ignore[attr-defined]
    assert "Access granted" in driver.page_source  # type: ignore[attr-defined]
    _screenshot(driver, tmp_path, "03-access-granted")

    driver.find_element(By.ID, "download-json").click()  # type: ignore[attr-defined]
    json_path = tmp_path / "downloads" / JSON_NAME
    _wait_for(json_path.is_file, f"the browser to save {JSON_NAME}")

    first = atek(
        "download", "--config-name", "efm", "--input-json-path", str(json_path),
        "--output-folder-path", str(tmp_path / "data"), "--download-wds-to-local",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in (tmp_path / "data").rglob("*.tar")) == [
        "shards-0000.tar", "shards-0000.tar", "shards-0001.tar",
    ]  # fmt: skip

    config_page = f"{url}/datasets/{DATASET}/configs/efm"

    def rendered() -> bool:
        driver.get(config_page)  # type: ignore[attr-defined]
        return bool(driver.find_elements(By.CSS_SELECTOR, "img.sample"))  # type: ignore[attr-defined]

    _wait_for(rendered, "the preview child to render a sample")
    _screenshot(driver, tmp_path, "04-configuration")
    driver.get(config_page + "#sample")  # type: ignore[attr-defined]
    _screenshot(driver, tmp_path, "05-rendered-sample")
    driver.get(f"{url}/datasets/{DATASET}/configs/efm/sequences")  # type: ignore[attr-defined]
    _screenshot(driver, tmp_path, "06-sequences")

    revoked = atek("access", "revoke", "--state", str(state), "--email", EMAIL)
    assert revoked.returncode == 0, revoked.stderr
    second = atek(
        "download", "--config-name", "efm", "--input-json-path", str(json_path),
        "--output-folder-path", str(tmp_path / "again"), "--download-wds-to-local",
    )  # fmt: skip
    assert second.returncode == 3, second.stderr
    assert "403" in second.stderr
    assert "revoked" in second.stderr  # the store front's reason reaches the user

    summary = atek("access", "summary", "--state", str(state))
    assert summary.returncode == 0, summary.stderr
    assert "revoked" in summary.stdout
    print(summary.stdout)
    wanted = os.environ.get("ATEK_STORE_SCREENSHOTS")
    if wanted:
        (Path(wanted) / "audit-summary.txt").write_text(summary.stdout)
