"""The dashboard in headless Chromium, over a warehouse loaded from the sample exports: it leads with the
targets behind, works at 1400 px and on a 390 px phone without sideways scrolling, a behind target opens
its page where a figure's source cell is named, and a refused delivery is told in plain Vietnamese with
its validation report one click away. Screenshots are kept in pytest's temporary folder (printed).

Expected values come from the sample generator (samples/params.yaml: CT01b and CT10 are behind in October
2025) and from its workbooks read with openpyxl (where a figure's row and column are), never from the code
under test. One warehouse and one browser for the module.
"""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

import connectors
import expectations
from tests.helpers import Env
from warehouse import attainment, catalogue, db, load

UNIT = "10549"
PERIOD = "2025-10"
FILES = {"indicators": "chi-tieu-khac-{p}.xlsx", "tax": "bao-cao-thu-nsnn-{p}.xlsx"}
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _sample(samples_dir, source, period):
    return samples_dir / "inbox" / UNIT / source / period / FILES[source].format(p=period)


def _find(ws, predicate):
    return next(c for row in ws.iter_rows() for c in row if predicate(c.value))


@pytest.fixture(scope="module")
def layout(samples_dir):
    """Where the generator put the figures the test looks for (read from its workbooks)."""
    ws = load_workbook(_sample(samples_dir, "indicators", PERIOD)).active
    code = _find(ws, lambda v: v == "NUOC_SACH_TS")   # the clean-water numerator row
    month = _find(ws, lambda v: v == "Tháng 10")
    tax = load_workbook(_sample(samples_dir, "tax", PERIOD)).active
    total = _find(tax, lambda v: isinstance(v, str) and v.startswith("TỔNG THU NSNN"))
    ytd = _find(tax, lambda v: v == "Lũy kế từ đầu năm")
    return {"water_row": code.row, "water_typed": ws.cell(row=code.row, column=month.column).value,
            "water_letter": get_column_letter(month.column),
            "total_row": total.row, "ytd_letter": get_column_letter(ytd.column),
            "ytd_value": tax.cell(row=total.row, column=ytd.column).value}


def _read(source, path, period):
    spec = connectors.SOURCES[source]
    records = spec.read(path)
    return records, spec.to_observations(records, UNIT, period)


@pytest.fixture(scope="module")
def dashboard(samples_dir, layout, tmp_path_factory, catalogue_path):
    """2024-01..2025-10 of the indicators and tax workbooks loaded, 2025's months judged; October's
    deliveries validated by their real suites; then a corrected tax report whose total is 100 above its
    parts, validated and quarantined (the earlier report stays in force). The dashboard of October."""
    work = tmp_path_factory.mktemp("dashboard-browser")
    url = f"sqlite:///{work / 'warehouse.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        plan_id = catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
        periods = [f"2024-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 11)]
        for source in FILES:
            for period in periods:
                path = _sample(samples_dir, source, period)
                records, observations = _read(source, path, period)
                validation = None
                if period == PERIOD:
                    validation = expectations.validate_delivery(
                        source_code=source, unit_code=UNIT, period=period, observations=observations,
                        records=records, today=dt.date(2025, 11, 7)).to_dict()
                    assert validation["success"], validation
                load.load_delivery(engine, source_code=source, unit_code=UNIT, period=period,
                                   fingerprint=f"{source}-{period}", file_name=path.name, flow_run_id=None,
                                   rows_read=len(observations), observations=observations, validation=validation)
        targets = attainment.read_targets(engine, 2025, UNIT)
        observations = attainment.read_observations(engine, UNIT, [2024, 2025])
        for month in range(1, 11):
            frame = attainment.evaluate_targets(targets, observations, UNIT, f"2025-{month:02d}")
            attainment.save_evaluations(engine, plan_id, frame, "r",
                                        evaluated_at=dt.datetime(2025, month + 1, 7, 2, 0, tzinfo=dt.UTC))
        # the corrected report: the total row's year to date 100 (million VND) above its parts
        wb = load_workbook(_sample(samples_dir, "tax", PERIOD))
        ws = wb.active
        ws[f"{layout['ytd_letter']}{layout['total_row']}"] = round(layout["ytd_value"] + 100, 1)
        bad = work / "bao-cao-thu-nsnn-2025-10-sua.xlsx"
        wb.save(bad)
        records, observations = _read("tax", bad, PERIOD)
        report = expectations.validate_delivery(source_code="tax", unit_code=UNIT, period=PERIOD,
                                                observations=observations, records=records,
                                                today=dt.date(2025, 11, 8))
        assert not report.success
        load.record_rejected_delivery(engine, source_code="tax", unit_code=UNIT, period=PERIOD, fingerprint="bad",
                                      file_name=bad.name, flow_run_id=None, rows_read=len(observations),
                                      validation=report.to_dict(), message=expectations.ValidationFailed(
                                          report).args[0])
    finally:
        engine.dispose()
    from flows.cli import app

    out = work / "dashboard"
    with Env(THIDUA_DATA_DIR=work, THIDUA_WAREHOUSE_URL=url, THIDUA_UNIT=UNIT):
        result = CliRunner().invoke(app, ["dashboard", "--period", PERIOD, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard-screenshots")
    print(f"\nscreenshots: {folder}")
    return folder


def _width(driver, width: int) -> None:
    """The viewport at ``width`` CSS pixels (a phone at 390: device metrics, as Chrome's device mode)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 844 if width < 600 else 1000, "deviceScaleFactor": 1,
                            "mobile": width < 600})


def _overflow(driver, width: int) -> int:
    """How far the page is wider than ``width`` (a phone's layout viewport may widen to fit the content, so
    the page's own width is compared with the screen's, not with window.innerWidth)."""
    return driver.execute_script("return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
                                 " - arguments[0]", width)


def _shot(driver, path) -> None:
    driver.save_screenshot(str(path))
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000


def test_desktop_leads_with_the_behind_targets_and_opens_one_at_its_source_cell(dashboard, driver, layout, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _width(driver, 1400)
    driver.get((dashboard / "index.html").as_uri())
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    cards = driver.find_elements(By.CSS_SELECTOR, "article.card")
    assert len(cards) == 20
    # samples/params.yaml: CT01b and CT10 are behind in October 2025, nothing is not met
    assert [(c.get_attribute("data-code"), c.get_attribute("data-status")) for c in cards[:2]] == [
        ("CT01b", "behind"), ("CT10", "behind")]
    assert all(c.get_attribute("data-status") not in ("behind", "not_met") for c in cards[2:])
    tops = [c.location["y"] for c in cards]
    assert tops[0] <= min(tops) and cards[0].location["x"] <= cards[1].location["x"]
    assert _overflow(driver, 1400) <= 0
    water = cards[1]
    assert water.find_element(By.CSS_SELECTOR, ".value").text == "99,50 %"
    assert water.find_element(By.CSS_SELECTOR, ".plan").text == "Kế hoạch: 100 %"
    ticks = [t.text for t in water.find_elements(By.CSS_SELECTOR, "svg text.tick")]
    assert ticks and all("," in t for t in ticks)  # a labelled scale (99,4 … 100,0), not a bare line
    assert water.find_elements(By.CSS_SELECTOR, "svg line.bound")
    # the refused tax report, in plain words, with its cell (the generator's total row, "Lũy kế" column)
    tax = driver.find_element(By.CSS_SELECTOR, '.source[data-source="tax"]')
    text = tax.text
    assert tax.get_attribute("data-status") == "quarantined"
    assert "bị trả lại" in text and "[error]" not in text and "parent_equals_children" not in text
    assert f"dòng {layout['total_row']}, cột {layout['ytd_letter']} 'Lũy kế từ đầu năm'" in text
    assert f"'{layout['ytd_value'] + 100:.1f}'" in text and "(chênh 100,0)" in text
    _shot(driver, shots / "dashboard-1400.png")
    # the plan's order is one click away, without a script
    driver.find_element(By.CSS_SELECTOR, "label[for=order-plan]").click()
    first = min(cards, key=lambda c: (c.location["y"], c.location["x"]))
    assert first.get_attribute("data-code") == "CT01a"
    driver.find_element(By.CSS_SELECTOR, "label[for=order-attention]").click()

    water.find_element(By.CSS_SELECTOR, "a.open").click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("chi-tieu/CT10.html"))
    figure = driver.find_element(By.CSS_SELECTOR, '.figure[data-indicator="NUOC_SACH"][data-period="2025-10"]')
    assert figure.find_element(By.CSS_SELECTOR, ".file").text == "chi-tieu-khac-2025-10.xlsx"
    assert figure.find_element(By.CSS_SELECTOR, ".sheet").text == "Chỉ tiêu"
    assert figure.find_element(By.CSS_SELECTOR, ".cell").text == (
        f"ô {layout['water_letter']}{layout['water_row']} (cột ‘Thực hiện / Tháng 10’)")
    assert figure.find_element(By.CSS_SELECTOR, ".typed").text == str(layout["water_typed"])
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "quy tắc kiểm tra đã chạy trên tệp này" in page and "Lấy mức mới nhất (tháng 10)" in page
    _shot(driver, shots / "target-CT10-1400.png")
    logs = driver.get_log("browser")
    assert [e for e in logs if e["level"] in ("SEVERE", "WARNING")] == []


def test_a_phone_reads_the_dashboard_and_a_target_page_without_sideways_scrolling(dashboard, driver, shots):
    from selenium.webdriver.common.by import By

    _width(driver, 390)
    try:
        driver.get((dashboard / "index.html").as_uri())
        assert driver.execute_script("return window.innerWidth") == 390
        assert _overflow(driver, 390) <= 0
        first = driver.find_elements(By.CSS_SELECTOR, "article.card")[0]
        assert first.get_attribute("data-status") == "behind" and first.size["width"] <= 390
        _shot(driver, shots / "dashboard-390.png")
        for code in ("CT10", "CT01b", "CT02"):  # a rate, the revenue items, a growth over 20 months of figures
            driver.get((dashboard / "chi-tieu" / f"{code}.html").as_uri())
            assert _overflow(driver, 390) <= 0, code
        _shot(driver, shots / "target-CT02-390.png")
        driver.get((dashboard / "index.html").as_uri())
        driver.find_element(By.CSS_SELECTOR, '.source[data-source="tax"] a.report-link').click()
        assert "Kết quả kiểm tra dữ liệu" in driver.find_element(By.TAG_NAME, "h1").text
        assert _overflow(driver, 390) <= 0
        _shot(driver, shots / "validation-report-390.png")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
