"""`make screens`: regenerate the PNG screenshots under docs/screens/ from the sample data.

    .venv/bin/python ops/screens.py [--data data/screens] [--out docs/screens] [--period 2025-10]

1. A warehouse of its own (``<data>/warehouse.sqlite``): `thidua demo` there the first time (every month of
   2024-2025 closed from the sample exports, a few minutes), reused afterwards.
2. A bad delivery, so the pictures show what people see when a source is refused: the month's tax report
   with the total row's "Lũy kế từ đầu năm" raised by 100 (million VND), ingested with `thidua ingest`
   (quarantined; the delivery in force stays).
3. `thidua dashboard` and `thidua report` for the month; headless Chromium (selenium, /usr/bin/chromium)
   photographs the dashboard (1400 px), a target page (390 px, a phone), the quarantined delivery's
   validation report; LibreOffice converts the Excel report to PDF and pdftoppm (poppler) renders its
   first page.

Files written: dashboard.png, target-page-phone.png, validation-report.png, printed-report.png.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THIDUA = Path(sys.executable).parent / "thidua"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
UNIT = "10549"


def run(args: list[str], env: dict, check: bool = True) -> subprocess.CompletedProcess:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], env=env, check=check, cwd=ROOT)


def corrupt_tax_report(source: Path, target: Path) -> None:
    """The tax report with its total row's year-to-date figure 100 (million VND) above its parts."""
    from openpyxl import load_workbook

    wb = load_workbook(source)
    ws = wb.active
    for row in ws.iter_rows():
        labels = [c for c in row if isinstance(c.value, str) and c.value.strip().upper().startswith("TỔNG THU")]
        if labels:
            header = next(c for r in ws.iter_rows() for c in r
                          if isinstance(c.value, str) and c.value.strip().lower().startswith("lũy kế"))
            cell = ws.cell(row=labels[0].row, column=header.column)
            cell.value = round(float(cell.value) + 100, 1)
            break
    else:
        raise SystemExit(f"{source}: no total row found")
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)


def browser(profile: Path, width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


def shoot(driver, url: str, out: Path, width: int, max_height: int = 3200) -> None:
    """A screenshot of the page's top ``max_height`` pixels at ``width`` CSS pixels (below 600: a phone)."""
    def metrics(height: int) -> None:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    metrics(900)
    driver.get(url)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    metrics(min(int(height), max_height))
    driver.save_screenshot(str(out))
    print(f"  {out}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "screens"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "screens"))
    parser.add_argument("--period", default="2025-10")
    args = parser.parse_args(argv)
    data, out, period = Path(args.data).resolve(), Path(args.out).resolve(), args.period
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "THIDUA_DATA_DIR": str(data), "THIDUA_UNIT": UNIT,
           "PREFECT_HOME": str(data / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("THIDUA_WAREHOUSE_URL", None)
    (data / "prefect").mkdir(parents=True, exist_ok=True)
    if not (data / "warehouse.sqlite").exists():
        run([THIDUA, "demo"], env)
    samples = data / "samples" / "inbox" / UNIT / "tax" / period / f"bao-cao-thu-nsnn-{period}.xlsx"
    if not samples.exists():  # the demo moved the inbox file: take the processed copy
        samples = next((data / "processed").rglob(f"bao-cao-thu-nsnn-{period}.xlsx"))
    bad = data / "bad" / f"bao-cao-thu-nsnn-{period}-sua.xlsx"
    if not bad.exists():
        corrupt_tax_report(samples, bad)
    run([THIDUA, "ingest", "--source", "tax", "--period", period, "--file", bad], env, check=False)  # exit 3

    work = Path(tempfile.mkdtemp(prefix="thidua-screens-"))
    try:
        dash = work / "dashboard"
        run([THIDUA, "dashboard", "--period", period, "--out", dash], env)
        report = work / f"bao-cao-{period}.xlsx"
        run([THIDUA, "report", "--period", period, "--out", report], env)
        soffice = shutil.which("soffice") or "/usr/bin/soffice"
        run([soffice, f"-env:UserInstallation=file://{work / 'lo-profile'}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", work, report], env)
        run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", work / f"{report.stem}.pdf",
             out / "printed-report"], env)
        print(f"  {out / 'printed-report.png'}")
        reports = sorted((dash / "kiem-tra").glob(f"tax-{period}-*.html"), key=lambda p: int(p.stem.split("-")[-1]))
        driver = browser(work / "chromium-profile", 1400, 900)
        try:
            shoot(driver, (dash / "index.html").as_uri(), out / "dashboard.png", 1400)
            target = next(a.get_attribute("data-code") for a in
                          driver.find_elements("css selector", "article.card"))
            shoot(driver, (dash / "chi-tieu" / f"{target}.html").as_uri(), out / "target-page-phone.png", 390,
                  max_height=2600)
            if reports:
                shoot(driver, reports[-1].as_uri(), out / "validation-report.png", 1200)
        finally:
            driver.quit()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
