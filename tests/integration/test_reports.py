"""`thidua report` and `thidua dashboard` over a real warehouse: the Excel report opens in LibreOffice and
converts to PDF, reads back with openpyxl; the dashboard renders in headless Chromium without console
errors and gives a screenshot."""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import subprocess
import uuid

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.helpers import Env
from warehouse import attainment, catalogue, db, load

UNIT = "10549"
SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _judgement(code, period, value, status, *, comparison, low=None, high=None, num=None, den=None,
               outlook_value=None, outlook_status="on_track", gap_text="", load_id=1):
    return {"target_code": code, "unit_code": UNIT, "period": period, "value": value, "numerator": num,
            "denominator": den, "bound_low": low, "bound_high": high, "comparison": comparison, "status": status,
            "inputs": [{"source": "indicators", "load_id": load_id, "period": period}], "detail": "",
            "outlook_value": outlook_value, "outlook_status": outlook_status, "outlook_method": "seasonal",
            "outlook_detail": "", "gap_value": None, "gap_text": gap_text}


VISITS = {1: 6000, 2: 28000, 3: 46500, 4: 54000, 5: 59000, 6: 63000, 7: 67500, 8: 73000, 9: 82000, 10: 94000}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, catalogue_path):
    """A SQLite warehouse with the plan, three targets judged Jan..Oct 2025 and October's deliveries."""
    work = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{work / 'warehouse.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        plan_id = catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
        obs = pd.DataFrame([{"indicator_code": "LUOT_KHACH", "unit_code": UNIT, "period": "2025-10",
                             "member_code": "", "value": 12000.0, "source_file": "chi-tieu-khac-2025-10.xlsx"}])
        load.load_delivery(engine, source_code="indicators", unit_code=UNIT, period="2025-10", fingerprint="a" * 64,
                           file_name="chi-tieu-khac-2025-10.xlsx", flow_run_id="r", rows_read=1, observations=obs)
        load.record_rejected_delivery(engine, source_code="health", unit_code=UNIT, period="2025-10",
                                      fingerprint="b" * 64, file_name="y-te-2025-10.xlsx", flow_run_id="r",
                                      rows_read=2, validation={"success": False}, message="bad header")
        for month, visits in VISITS.items():
            period = f"2025-{month:02d}"
            rows = [
                _judgement("CT01a", period, 8.9 + month / 100, "met", comparison="band", low=8.0, high=10.0,
                           outlook_value=8.9 + month / 100,
                           gap_text="Cần thêm 38,0 tỷ đồng thu ngân sách đến hết tháng 12 để đạt mức tăng 8%"),
                _judgement("CT08b", period, 99.6, "behind", comparison="all", num=996.0, den=1000.0,
                           outlook_value=99.6, outlook_status="not_met",
                           gap_text="Không còn khả năng đạt 100% trong năm: lũy kế đã có 4 hồ sơ trễ hạn"),
                _judgement("CT09", period, float(visits), "on_track" if month > 1 else "behind",
                           comparison="at_least", low=100000.0, outlook_value=111828.0,
                           gap_text=f"Cần thêm {100000 - visits:,} lượt khách đến hết tháng 12".replace(",", ".")),
            ]
            attainment.save_evaluations(engine, plan_id, pd.DataFrame(rows), "r",
                                        evaluated_at=dt.datetime(2025, month % 12 + 1, 3, 2, 0, tzinfo=dt.UTC))
    finally:
        engine.dispose()
    return {"THIDUA_DATA_DIR": work, "THIDUA_WAREHOUSE_URL": url, "THIDUA_UNIT": UNIT}


def run_cli(env, *args):
    from flows.cli import app

    with Env(**env):
        return CliRunner().invoke(app, list(args))


# ------------------------------------------------------------------ Excel report


@pytest.fixture(scope="module")
def report_path(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "bao-cao-2025-10.xlsx"
    result = run_cli(warehouse, "report", "--period", "2025-10", "--out", str(out), "--date", "2025-11-05")
    assert result.exit_code == 0, result.output
    assert out.is_file()
    return out


def test_report_reads_back_with_numbers_and_labels(report_path):
    ws = load_workbook(report_path).active
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert "UBND PHƯỜNG CHU VĂN AN" in cells and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells
    assert "Chu Văn An, ngày 05 tháng 11 năm 2025" in cells
    # the judgement shown is the one made on 03/11/2025 09:00 in Vietnam (02:00 UTC)
    assert "Tháng 10 năm 2025 (số liệu đến hết ngày 31/10/2025; đánh giá ngày 03/11/2025)" in cells
    visits = cells["Thu hút khách du lịch đạt 100.000 lượt khách"].row
    values = [ws.cell(row=visits, column=c).value for c in range(1, 10)]
    assert values == ["9", "Thu hút khách du lịch đạt 100.000 lượt khách", "lượt", "≥ 100.000", 94000, 94.0,
                      "Đúng tiến độ", "Dự kiến đạt (111.828 lượt)", "Cần thêm 6.000 lượt khách đến hết tháng 12"]
    on_time = cells["Tỷ lệ giải quyết thủ tục hành chính đúng hạn đạt 100%"].row
    assert ws.cell(row=on_time, column=5).value == 99.6
    assert ws.cell(row=on_time, column=7).value == "Chậm tiến độ"
    assert ws.cell(row=on_time, column=8).value == "Không đạt (99,60%)"


def test_report_as_of_an_earlier_day_shows_that_days_judgement(warehouse, tmp_path):
    # September's judgement was made on 03/10/2025; nothing of October existed before 03/11
    out = tmp_path / "early.xlsx"
    result = run_cli(warehouse, "report", "--period", "2025-10", "--out", str(out), "--as-of", "2025-11-02")
    assert result.exit_code == 2
    assert "no attainment for unit 10549 in 2025-10 as of 2025-11-02" in result.output
    result = run_cli(warehouse, "report", "--period", "2025-09", "--out", str(out), "--as-of", "2025-10-03")
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).active
    assert 82000 in [c.value for row in ws.iter_rows() for c in row]


def test_report_refuses_bad_arguments(warehouse, tmp_path):
    assert run_cli(warehouse, "report", "--period", "2025-13", "--out", str(tmp_path / "x.xlsx")).exit_code == 2
    result = run_cli(warehouse, "report", "--period", "2025-10", "--out", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2 and "must end in .xlsx" in result.output
    result = run_cli(warehouse, "report", "--period", "2025-10", "--out", str(tmp_path / "x.xlsx"),
                     "--as-of", "03/11/2025")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def _soffice(args: list[str], tmp_path) -> None:
    profile = tmp_path / f"lo-{uuid.uuid4().hex[:8]}"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", *args],
                   check=True, capture_output=True, timeout=180)


def test_report_opens_in_libreoffice_and_converts_to_pdf(report_path, tmp_path):
    _soffice(["--convert-to", "pdf", "--outdir", str(tmp_path), str(report_path)], tmp_path)
    pdf = tmp_path / (report_path.stem + ".pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 5000
    assert data.count(b"/Type /Page\n") + data.count(b"/Type/Page") + data.count(b"/Type /Page ") >= 1


def test_libreoffice_shows_vietnamese_number_formats(report_path, tmp_path):
    # export the cells as displayed (token 9 = true): the numeric cells read 94.000 and 99,60
    _soffice(["--convert-to", "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,true", "--outdir",
              str(tmp_path), str(report_path)], tmp_path)
    text = (tmp_path / (report_path.stem + ".csv")).read_text(encoding="utf-8")
    visits = next(line for line in text.splitlines() if line.startswith("9;"))
    assert visits.split(";")[4:6] == ["94.000", "94,0"]
    assert any(line.split(";")[4:5] == ["99,60"] for line in text.splitlines())


# ------------------------------------------------------------------ dashboard in a browser


@pytest.fixture(scope="module")
def dashboard_path(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("dashboard")
    result = run_cli(warehouse, "dashboard", "--period", "2025-10", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out / "index.html"


def _browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,1600"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_dashboard_renders_without_console_errors_and_screenshots(dashboard_path, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _browser(tmp_path)
    try:
        driver.get(dashboard_path.as_uri())
        WebDriverWait(driver, 20).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
        cards = driver.find_elements(By.CSS_SELECTOR, "article.card")
        # what needs action first: behind, then on track, then met
        assert [c.get_attribute("data-code") for c in cards] == ["CT08b", "CT09", "CT01a"]
        assert [c.get_attribute("data-status") for c in cards] == ["behind", "on_track", "met"]
        visits = cards[1]
        assert visits.find_element(By.CSS_SELECTOR, ".value").text == "94.000 lượt"
        assert len(visits.find_elements(By.CSS_SELECTOR, "svg circle")) == 11  # 10 months + the projection
        assert visits.find_element(By.CSS_SELECTOR, ".bar div").size["width"] > 0
        sources = {s.get_attribute("data-source"): s.get_attribute("data-status")
                   for s in driver.find_elements(By.CSS_SELECTOR, ".source")}
        assert sources == {"tax": "missing", "public_service": "missing", "health": "quarantined",
                           "education": "missing", "indicators": "loaded"}
        # the status filter works (the page's script ran)
        driver.find_element(By.CSS_SELECTOR, '.filters button[data-status="behind"]').click()
        assert [c.is_displayed() for c in cards] == [True, False, False]
        shot = tmp_path / "dashboard.png"
        driver.save_screenshot(str(shot))
        logs = driver.get_log("browser")
    finally:
        driver.quit()
    assert [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")] == []
    data = shot.read_bytes()
    width, height = png_size(data)
    assert width >= 800 and height >= 600 and len(data) > 20000


def test_dashboard_console_check_can_fail(tmp_path):
    # the guard above must be able to see an error: a page with a broken script logs SEVERE
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>",
                    encoding="utf-8")
    driver = _browser(tmp_path)
    try:
        driver.get(page.as_uri())
        logs = driver.get_log("browser")
    finally:
        driver.quit()
    assert any(entry["level"] == "SEVERE" for entry in logs)
