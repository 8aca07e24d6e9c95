"""The Dagster UI, looked at as a user does: the small demo materialized into an instance, `dagster dev`
serving it on loopback (as `make ui` does), and the asset pages opened in headless Chromium (Debian's
chromium and chromedriver; `make test` installs them). Also what the UI is built from: groups, kinds,
owners and descriptions of the asset graph, numeric metadata it can plot, the pictures in the metadata."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest
from conftest import ARTIFACTS
from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from sacnn_dagster.defs.code_location import OWNER, build_definitions

ROOT = Path(__file__).parents[1]
DAGSTER = shutil.which("dagster", path=str(Path(sys.executable).parent)) or "dagster"
# Explicit paths: Selenium then never runs Selenium Manager, which would try to download a browser.
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# The network is closed here: no first-run, sync, update or QUIC traffic for the browser to wait on.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
]
MONTHS = 30  # DemoSpec.small(): 2019-07..2021-12
#: Generous limits for a loaded 2-core machine: the waits end as soon as the page or the server is there.
WAIT_S, START_S = 90, 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dagster_dev(materialized_small_demo, tmp_path_factory):
    """`dagster dev` (webserver and daemon) on 127.0.0.1 serving the materialized instance; its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("dagster_dev") / "dagster_dev.log"
    materialized = materialized_small_demo
    env = {
        **os.environ,
        "DAGSTER_HOME": str(materialized.home),
        "SACNN_REGION": str(materialized.region),
        "SACNN_STORAGE": str(materialized.storage),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [DAGSTER, "dev", "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # a test run started in the background inherits SIGINT ignored, and dagster dev would then
            # ignore the SIGINT (and SIGTERM) that stops it
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert process.poll() is None, f"dagster dev exited:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"dagster dev not serving after {START_S} s:\n{log.read_text()[-3000:]}"
            time.sleep(0.5)
        yield url
    finally:
        # dagster dev shuts its webserver and daemon down on SIGINT; whatever of its process group is left
        # after that (code servers wait for a heartbeat) goes with the group
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def page_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path))
    return path


def wait_for(driver, condition, what: str):
    """Wait for `condition`; when it never comes, fail with a screenshot and what the page says."""
    try:
        return WebDriverWait(driver, WAIT_S).until(condition)
    except TimeoutException:
        shot = screenshot(driver, "ui_failure")
        raise AssertionError(
            f"{what} not seen in {WAIT_S} s at {driver.current_url} (screenshot {shot}); "
            f"the page says:\n{page_text(driver)[:3000]}"
        ) from None


def open_markdown(driver, key: str, alt_start: str):
    """Click the '[Show Markdown]' of metadata entry `key` and return the picture the dialog shows."""
    button = wait_for(
        driver,
        ec.element_to_be_clickable(
            # the last element that says `key` is the metadata table's key cell: the asset's description (above the
            # table) may name the entry too
            (By.XPATH, f"(//*[normalize-space()='{key}'])[last()]/following::a[normalize-space()='[Show Markdown]'][1]")
        ),
        f"the [Show Markdown] of {key}",
    )
    button.click()
    return wait_for(
        driver,
        ec.visibility_of_element_located((By.CSS_SELECTOR, f"img[src^='data:image/png;base64,'][alt^='{alt_start}']")),
        f"a PNG picture '{alt_start}...'",
    )


def natural_width(driver, image) -> int:
    """Width of the picture as the browser decoded it (0 for a broken image)."""
    return driver.execute_script("return arguments[0].complete ? arguments[0].naturalWidth : 0", image)


def test_grid_page_shows_every_month_materialized_and_the_months_map(dagster_dev, browser):
    browser.get(f"{dagster_dev}/assets/gvio_grid?view=partitions&partition=2020-03")
    wait_for(
        browser,
        ec.text_to_be_present_in_element((By.TAG_NAME, "body"), f"Materialized ({MONTHS})"),
        f"Materialized ({MONTHS})",
    )
    text = page_text(browser)
    assert "Missing (0)" in text and "Failed (0)" in text
    picture = open_markdown(browser, "preview", "GVIO 2020-03")
    assert natural_width(browser, picture) == 520
    assert Image.open(screenshot(browser, "ui_gvio_grid")).size[0] >= 1000


def test_grid_overview_shows_group_owner_and_kind(dagster_dev, browser):
    browser.get(f"{dagster_dev}/assets/gvio_grid")
    wait_for(browser, ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Owners"), "Owners")
    text = page_text(browser)
    assert "Group\noutputs" in text
    assert f"Owners\n{OWNER.removeprefix('team:')}" in text
    assert "Kinds\nrasterio" in text
    assert "mapped on the native 15″ night-light grid" in text  # the description, written for the user


def test_evaluation_page_shows_the_estimates_chart(dagster_dev, browser):
    browser.get(f"{dagster_dev}/assets/model_evaluation")
    chart = open_markdown(browser, "estimates_chart", "Monthly GVIO")
    assert natural_width(browser, chart) == 720


GROUPS = {
    "sources": {"ntl_composite", "gvio_statistics"},
    "features": {"ntl_clean", "factories", "factory_patches"},
    "model": {"gvio_model"},
    "outputs": {"gvio_estimate", "gvio_factory", "gvio_grid", "gvio_by_district", "model_evaluation"},
}


@pytest.mark.parametrize("storage", ["local", "s3://bucket/sacnn"])
def test_asset_graph_groups_kinds_owners_and_descriptions(small_demo_region, tmp_path, storage):
    defs = build_definitions(small_demo_region, str(tmp_path / "out") if storage == "local" else storage)
    graph = defs.resolve_asset_graph()
    nodes = {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}
    assert {g: {n for n, node in nodes.items() if node.group_name == g} for g in GROUPS} == GROUPS
    for name, node in nodes.items():
        assert node.owners == [OWNER], name
        assert ("s3" in node.kinds) == storage.startswith("s3://"), name
        assert len(node.description or "") > 100, name
    assert {"rasterio"} <= nodes["ntl_composite"].kinds and {"rasterio"} <= nodes["gvio_grid"].kinds
    assert {"geopandas"} <= nodes["factories"].kinds and {"torch"} <= nodes["gvio_model"].kinds


#: Figures the UI plots across partitions (counts, sums, scores): they must be numbers, not text.
NUMERIC = {
    "ntl_composite": {"pixel_count": int, "mean_radiance": float},
    "ntl_clean": {"pixels_observed": int, "sum_radiance": float, "outliers_replaced": int},
    "factories": {"factories": int, "rows": int, "outside_area": int},
    "factory_patches": {"factories": int, "urban_ntl_sum": float, "mean_ntl_factory": float},
    "gvio_estimate": {"sacnn_estimate": float, "sacnn_lower": float, "sacnn_upper": float},
    "gvio_grid": {"estimate": float, "grid_sum": float, "pixels_with_gvio": int},
    "gvio_by_district": {"total": float, "districts": int},
}
VALUE_TYPES = {int: dg.IntMetadataValue, float: dg.FloatMetadataValue}


def test_metadata_numbers_and_pictures_for_every_month(materialized_small_demo):
    materialized = materialized_small_demo
    with dg.DagsterInstance.from_config(str(materialized.home)) as instance:
        for asset, entries in NUMERIC.items():
            events = instance.fetch_materializations(dg.AssetKey(asset), limit=1000).records
            by_month = {e.asset_materialization.partition: e.asset_materialization.metadata for e in events}
            assert len(by_month) == MONTHS, asset
            for month, metadata in by_month.items():
                for key, kind in entries.items():
                    assert isinstance(metadata[key], VALUE_TYPES[kind]), (asset, month, key, metadata[key])
        for asset in ("gvio_grid", "ntl_clean"):
            for event in instance.fetch_materializations(dg.AssetKey(asset), limit=1000).records:
                month = event.asset_materialization.partition
                md = event.asset_materialization.metadata["preview"]
                assert isinstance(md, dg.MarkdownMetadataValue) and "(data:image/png;base64," in md.value
                assert f"previews/{asset}/{month}.png" in md.value
                png = materialized.storage / "previews" / asset / f"{month}.png"
                assert 2_000 < png.stat().st_size < 60_000 and Image.open(png).format == "PNG"
        evaluation = instance.get_latest_materialization_event(dg.AssetKey("model_evaluation")).asset_materialization
        for model in ("sacnn", "random_forest", "linear", "sum_ridge", "factory_sum"):
            assert isinstance(evaluation.metadata[f"{model}_random_r2"], dg.FloatMetadataValue)
        assert "data:image/png;base64," in evaluation.metadata["estimates_chart"].value
        chart = Image.open(io.BytesIO((materialized.storage / "previews" / "gvio_estimates.png").read_bytes()))
        assert chart.size == (720, 400)
        model = instance.get_latest_materialization_event(dg.AssetKey("gvio_model")).asset_materialization
        assert isinstance(model.metadata["labels"], dg.IntMetadataValue)
