"""A new year's plan, end to end (issue 20): the ward's 2026 plan, written here as a Word document with
python-docx (derived from tests/data/plans/ke-hoach-thi-dua-2025.txt: the year moved to 2026, bounds
changed, one target no source measures), imported with `thidua plan import` into a catalogue folder, and
January 2026 closed by `thidua run` on sample data (samples/generate.py extended to 2026-01; the stand-in
API serves its dossiers).

Expected values and statuses come from the generator's parameters (samples/params.yaml, through the
product-independent helpers of tests/expected.py) and from the bounds written in the plan below, never
from the product. Only what January 2026 needs is loaded: the four workbooks and the dossiers of 2026-01,
and the indicators workbook of 2025-01 (the gross product's growth compares January with January; the
other baselines come from the 2026 workbooks' own "Cùng kỳ" and "Năm trước" columns).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from samples.generate import generate
from tests.expected import MILLION, _params, _r1, _rate, _schools, _sector, _tax, dossier_counts, judge
from tests.helpers import Env

REPO_ROOT = Path(__file__).resolve().parents[2]

ROOT = Path(__file__).resolve().parents[2]
PLAN_2025 = ROOT / "tests" / "data" / "plans" / "ke-hoach-thi-dua-2025.txt"
UNIT = "10549"
PERIOD = "2026-01"

# The 2026 plan's targets section as the ward writes it (the 2025 wording, 2026's bounds; item 14 is a
# target no source measures).
TARGETS_2026 = """\
1. Thu ngân sách nhà nước trên địa bàn tăng từ 9% - 11%; 100% các khoản thu hoàn thành và hoàn thành vượt mức \
dự toán năm 2026.
2. Tổng giá trị sản phẩm trên địa bàn tăng từ 13% - 14%.
Trong đó:
- Khu vực Nông nghiệp tăng 5%.
- Khu vực Công nghiệp - Xây dựng tăng 12-13%.
- Khu vực Thương mại, dịch vụ tăng 16%
3. Thu nhập bình quân đầu người trên địa bàn tăng 10-12%/năm.
4. Tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều dưới 0,8%;
5. Tỷ lệ gia đình văn hóa đạt trên 92%; 100% Tổ dân phố giữ vững danh hiệu văn hóa;
6. 100% Trường học giữ vững đạt chuẩn quốc gia.
7. 100% Trạm y tế phường giữ vững đạt chuẩn quốc gia theo bộ tiêu chí Quốc gia về y tế xã.
8. Tỷ lệ hồ sơ tiếp nhận trực tuyến đạt 75%, tỷ lệ giải quyết thủ tục hành chính đúng hạn đạt 100%, tỷ lệ thanh \
toán phí, lệ phí đạt 70%.
9. Thu hút khách du lịch đạt 110.000 lượt khách.
10. Tỷ lệ dân số được sử dụng nước sạch đạt 100%;
11. Tỷ lệ rác thải sinh hoạt được thu gom và xử lý hợp vệ sinh đạt 100%.
12. Giữ vững an ninh chính trị, trật tự an toàn xã hội.
13. Hoàn thành 100% khám sơ tuyển đối tượng công dân nhập ngũ chuẩn bị cho bàn giao quân năm 2027.
14. Tỷ lệ lao động qua đào tạo đạt 70%.
"""

# What each sentence above means (targets.md's grammar), written by hand from the sentences:
# code -> (comparison, bound_low, bound_high, accumulates, measure kind)
MEANING = {
    "CT01a": ("band", 9, 11, False, "growth"),
    "CT01b": ("all", None, None, True, "items_meeting"),
    "CT02": ("band", 13, 14, False, "growth"),
    "CT02a": ("at_least", 5, None, False, "growth"),
    "CT02b": ("band", 12, 13, False, "growth"),
    "CT02c": ("at_least", 16, None, False, "growth"),
    "CT03": ("band", 10, 12, False, "growth"),
    "CT04": ("strictly_below", None, 0.8, False, "ratio"),
    "CT05a": ("strictly_above", 92, None, False, "ratio"),
    "CT05b": ("all", None, None, False, "ratio"),
    "CT06": ("all", None, None, False, "ratio"),
    "CT07": ("all", None, None, False, "ratio"),
    "CT08a": ("at_least", 75, None, False, "ratio"),
    "CT08b": ("all", None, None, False, "ratio"),
    "CT08c": ("at_least", 70, None, False, "ratio"),
    "CT09": ("at_least", 110000, None, True, "total"),
    "CT10": ("all", None, None, False, "ratio"),
    "CT11": ("all", None, None, False, "ratio"),
    "CT12": ("qualitative", None, None, False, "assessment"),
    "CT13": ("all", None, None, False, "ratio"),
}
TO_REVIEW = {"CT14": ("at_least", 70, "tỷ lệ lao động qua đào tạo")}


# ------------------------------------------------------------------------------------- the document


def plan_2026_paragraphs() -> list[str]:
    """The 2025 plan's paragraphs with 2026's number, dates, title, targets and due date."""
    text = PLAN_2025.read_text(encoding="utf-8")
    start = text.index("1. Thu ngân sách nhà nước")
    end = text.index("4. Nhiệm vụ và giải pháp")
    text = text[:start] + TARGETS_2026 + "\n" + text[end:]
    for old, new in [
        ("Số: /KH-UBND", "Số: 12/KH-UBND"),
        ("Phường Chu Văn An, ngày tháng 9 năm 2025", "Phường Chu Văn An, ngày 08 tháng 01 năm 2026"),
        ("Kế hoạch số 232/KH-UBND ngày 09 tháng 9 năm 2025", "Kế hoạch số 04/KH-UBND ngày 05 tháng 01 năm 2026"),
        ("bảo đảm quốc phòng - an ninh năm 2025", "bảo đảm quốc phòng - an ninh năm 2026"),
        ("trước ngày 15/12/2025", "trước ngày 15/12/2026"),
        ("đến hết tháng 12 năm 2025", "đến hết tháng 12 năm 2026"),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    return [p.strip() for p in text.splitlines() if p.strip()]


def write_plan_docx(path: Path) -> Path:
    """The 2026 plan as typed in Word: bold headings, the targets Word-numbered ("List Number": the
    number is not in the text), the parts as bullets."""
    import docx

    document = docx.Document()
    in_targets = False
    for text in plan_2026_paragraphs():
        if text.startswith("3. Các chỉ tiêu thi đua"):
            in_targets = True
            document.add_paragraph().add_run(text).bold = True
            continue
        if text.startswith("4. Nhiệm vụ"):
            in_targets = False
        if in_targets:
            numbered = re.match(r"^\d+\.\s+(.*)$", text)
            if numbered:
                document.add_paragraph(numbered.group(1), style="List Number")
            elif text.startswith("- "):
                document.add_paragraph(text[2:], style="List Bullet")
            else:
                document.add_paragraph(text)
            continue
        heading = re.match(r"^(?:[IVX]+\.|\d\.)\s", text) or text in ("KẾ HOẠCH", "CHỦ TỊCH")
        document.add_paragraph().add_run(text).bold = bool(heading)
    document.save(str(path))
    return path


# ---------------------------------------------------------------------- expected, from the parameters


def expected_january_2026(dossiers_json: Path) -> dict[str, dict]:
    """value, numerator, denominator and status of every target at the end of 2026-01, from
    samples/params.yaml (2026 and 2025 figures) and the bounds of MEANING."""
    p = _params()
    year, m = 2026, 1
    out: dict[str, dict] = {}

    def put(code, value, num=None, den=None, **kw):
        comparison, low, high, accumulates, kind = MEANING[code]
        target = {"comparison": comparison, "bound_low": low, "bound_high": high, "accumulates": accumulates,
                  "measure": {"kind": kind, "kept_text": "Giữ vững"}}
        out[code] = {"value": value, "numerator": num, "denominator": den,
                     "status": judge(target, value, m, numerator=num, denominator=den, **kw)}

    tot, prior, items = _tax(p, year, m)          # the January report's "Cùng kỳ" is January 2025
    put("CT01a", (tot / prior - 1) * 100, tot * MILLION, prior * MILLION)
    judged = [(ytd, est) for _, ytd, est in items if est is not None]
    met = sum(ytd >= est for ytd, est in judged)
    put("CT01b", met / len(judged) * 100, met, len(judged),
        items_on_pace=all(ytd >= est * m / 12 for ytd, est in judged))
    t = p["indicators"]["tgtsp"]

    def tgtsp(y):   # the workbook's TGTSP row: the sum of the rounded sector cells, month by month
        return sum(round(sum(_r1(t["annual"][s][y], t["profiles"][s][i]) for s in ("NLTS", "CNXD", "TMDV")), 1)
                   for i in range(m))

    put("CT02", (tgtsp(year) / tgtsp(year - 1) - 1) * 100, tgtsp(year) * MILLION, tgtsp(year - 1) * MILLION)
    for code, sector in (("CT02a", "NLTS"), ("CT02b", "CNXD"), ("CT02c", "TMDV")):
        cur, prev = _sector(p, sector, year, m), _sector(p, sector, year - 1, m)
        put(code, (cur / prev - 1) * 100, cur * MILLION, prev * MILLION)
    tn = p["indicators"]["tnbq"]["monthly"]       # against December 2025's estimate ("Năm trước")
    put("CT03", (tn[year][m - 1] / tn[year - 1][11] - 1) * 100, tn[year][m - 1] * MILLION, tn[year - 1][11] * MILLION)
    for code, indicator, ytd in (("CT04", "HO_NGHEO", False), ("CT05a", "GDVH", False), ("CT05b", "TDP_VH", False),
                                 ("CT10", "NUOC_SACH", False), ("CT11", "CTR_SH", True)):
        num, den = _rate(p, indicator, year, m, ytd)
        put(code, num / den * 100, num, den)
    valid, total = _schools(p, dt.date(2026, 1, 31))
    put("CT06", valid / total * 100, valid, total)
    ok = all(td >= chuan * 0.5 for _, chuan, _, td in p["health"]["criteria"])
    put("CT07", 100.0 if ok else 0.0, int(ok), 1)
    c = _dossier_counts_from_params(p)
    assert c == {k: v for k, v in dossier_counts(dossiers_json, year, range(1, m + 1)).items()}, \
        "the generated dossiers follow params.yaml's counts"
    put("CT08a", c["online"] / c["received"] * 100, c["online"], c["received"])
    put("CT08b", c["on_time"] / c["finished"] * 100, c["on_time"], c["finished"])
    put("CT08c", c["fee_online"] / c["fee"] * 100, c["fee_online"], c["fee"])
    visits = float(sum(p["indicators"]["luot_khach"]["monthly"][year][:m]))
    put("CT09", visits)
    put("CT12", 1.0, text=p["indicators"]["antt"]["text"])
    nv = p["health"]["nvqs"][year]                # a 2026 delivery reports the 2027 intake
    put("CT13", nv["screened"][m - 1] / nv["plan"] * 100, nv["screened"][m - 1], nv["plan"])
    return out


def _dossier_counts_from_params(p: dict) -> dict[str, int]:
    """January 2026's CT08 counts by params.yaml's rules (its public_service comment): received, online,
    fee, fee paid online; finished = received - rejected - carry + December 2025's carry; late."""
    from decimal import ROUND_HALF_UP, Decimal

    def count(x):
        return int(Decimal(str(x)).quantize(Decimal(1), ROUND_HALF_UP))

    ps = p["public_service"]
    jan, dec = ps["years"][2026], ps["years"][2025]
    received = jan["received"][0]
    fee = count(Decimal(received) * Decimal(str(jan["fee_pct"][0])) / 100)
    carry_in = count(Decimal(dec["received"][11]) * Decimal(str(ps["carry_pct"])) / 100)
    carry_out = count(Decimal(received) * Decimal(str(ps["carry_pct"])) / 100)
    finished = received - jan["rejected"][0] - carry_out + carry_in
    return {"received": received, "online": count(Decimal(received) * Decimal(str(jan["online_pct"][0])) / 100),
            "fee": fee, "fee_online": count(Decimal(fee) * Decimal(str(jan["fee_online_pct"][0])) / 100),
            "finished": finished, "on_time": finished - jan["late"][0]}


# ------------------------------------------------------------------------------------------ the close


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def january_2026(prefect_harness, tmp_path_factory):
    """The 2026 plan imported from Word into a catalogue folder, January 2026 closed by `thidua run`."""
    from standin.public_service import serve

    work = tmp_path_factory.mktemp("plan-2026")
    samples = work / "samples"
    generate(samples, seed=2025, last=PERIOD, months=["2025-01", PERIOD])
    document = write_plan_docx(work / "ke-hoach-thi-dua-2026.docx")
    folder = work / "catalogue"
    plan_yaml = folder / f"ke-hoach-2026-{UNIT}.yaml"
    imported = _cli("plan", "import", str(document), "--unit", UNIT, "--out", str(plan_yaml),
                    "--report", str(work / "plan-review.html"))
    inbox = work / "inbox"
    for source in ("tax", "health", "education", "indicators"):
        shutil.copytree(samples / "inbox" / UNIT / source / PERIOD, inbox / UNIT / source / PERIOD)
    token = uuid.uuid4().hex
    server, _thread = serve(samples / "public_service" / "dossiers.json", host="127.0.0.1", port=0, token=token)
    host, port = server.server_address[:2]
    # THIDUA_CATALOGUE is the folder, as the "no plan for 2026" sentence advises, with the 2025 plan beside the
    # imported one: each command picks the plan of its period's year
    shutil.copy(REPO_ROOT / "catalogue" / f"ke-hoach-2025-{UNIT}.yaml", folder)
    env = dict(THIDUA_DATA_DIR=work / "data", THIDUA_WAREHOUSE_URL=f"sqlite:///{work / 'warehouse.sqlite'}",
               THIDUA_INBOX=inbox, THIDUA_PUBLIC_SERVICE_URL=f"http://{host}:{port}",
               THIDUA_PUBLIC_SERVICE_TOKEN=token, THIDUA_UNIT=UNIT, THIDUA_CATALOGUE=folder)
    try:
        with Env(**env):
            baseline = _cli("ingest", "--source", "indicators", "--period", "2025-01", "--file",
                            str(samples / "inbox" / UNIT / "indicators" / "2025-01" / "chi-tieu-khac-2025-01.xlsx"))
            run = _cli("run", "--period", PERIOD)
            shown = _cli("attainment", "--period", PERIOD, "--format", "json")
    finally:
        server.shutdown()
        server.server_close()
    return {"work": work, "samples": samples, "plan_yaml": plan_yaml, "imported": imported,
            "baseline": baseline, "run": run, "shown": shown}


def test_the_2026_plan_imports_from_word_with_its_new_bounds(january_2026):
    from warehouse.catalogue import read_catalogue

    imported = january_2026["imported"]
    assert imported.exit_code == 0, imported.output
    assert "21 chỉ tiêu / targets, 1 cần rà soát" in imported.output
    catalogue = read_catalogue(january_2026["plan_yaml"])
    plan = catalogue.plan
    assert (plan["plan_code"], plan["year"], plan["unit_code"]) == (f"KH-TD-2026-{UNIT}", 2026, UNIT)
    assert str(plan["due_date"]) == "2026-12-15"
    assert plan["settings"]["implements_vi"] == "Kế hoạch số 04/KH-UBND ngày 05/01/2026 của UBND thành phố Hải Phòng"
    assert plan["settings"]["document_number_vi"] == "12/KH-UBND"
    targets = catalogue.targets.set_index("target_code")
    assert list(targets.index) == [*MEANING, *TO_REVIEW]
    for code, (comparison, low, high, accumulates, kind) in MEANING.items():
        row = targets.loc[code]
        got = (row["comparison"], _bound(row["bound_low"]), _bound(row["bound_high"]), bool(row["accumulates"]),
               row["measure"]["kind"])
        assert got == (comparison, low, high, accumulates, kind), code
    # the part of 13 names next year's intake: the plan's own words
    assert targets.loc["CT13", "name_vi"].endswith("bàn giao quân năm 2027")
    review = targets.loc["CT14"]
    assert review["measure"]["kind"] == "needs_review"
    assert f"no source provides '{TO_REVIEW['CT14'][2]}'" in review["measure"]["reason"]


def _bound(value):
    return None if value is None or value != value else float(value)


def test_january_2026_is_closed_on_the_imported_plan(january_2026):
    for step in ("baseline", "run"):
        result = january_2026[step]
        assert result.exit_code == 0, f"{step}: {result.output}"
    assert "2026-01 [10549] tax: loaded" in january_2026["run"].output
    shown = january_2026["shown"]
    assert shown.exit_code == 0, shown.output
    rows = {r["target_code"]: r for r in json.loads(shown.output)}
    assert set(rows) == {*MEANING, *TO_REVIEW}
    expected = expected_january_2026(january_2026["samples"] / "public_service" / "dossiers.json")
    got = {code: rows[code]["status"] for code in MEANING}
    assert got == {code: e["status"] for code, e in expected.items()}
    for code, e in expected.items():
        row = rows[code]
        if e["value"] is not None and code != "CT12":
            assert row["value"] == pytest.approx(e["value"], abs=1e-6), code
        if e["numerator"] is not None:
            assert (row["numerator"], row["denominator"]) == (pytest.approx(e["numerator"]),
                                                            pytest.approx(e["denominator"])), code
    # the mix the parameters were chosen for: January is judged, not merely loaded
    assert {e["status"] for e in expected.values()} == {"met", "exceeded", "behind", "on_track"}


def test_a_target_without_a_source_shows_as_untracked(january_2026):
    from reports.vn import STATUS_VI

    rows = {r["target_code"]: r for r in json.loads(january_2026["shown"].output)}
    row = rows["CT14"]
    assert row["status"] == "needs_review" and row["value"] is None
    assert STATUS_VI[row["status"]] == "Cần rà soát – chưa có nguồn"
    line = next(x for x in january_2026["run"].output.splitlines() if x.startswith("CT14 "))
    assert "Tỷ lệ lao động qua đào tạo đạt 70%" in line and "Cần rà soát – chưa có nguồn" in line
