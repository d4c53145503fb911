"""`thidua plan import` (issue 20): the 2025 plan of phường Chu Văn An, as the text the ward published
(tests/data/plans/ke-hoach-thi-dua-2025.txt, a copy of the published plan), as Word documents written here
with python-docx (numbered paragraphs and bold headings; a variant listing the targets in a table) and as a
PDF printed from Word by LibreOffice, imports to the targets of the hand-written
catalogue/ke-hoach-2025-10549.yaml, field by field.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from warehouse import attainment, catalogue, db

ROOT = Path(__file__).resolve().parents[2]
# the ward's published plan, as given (a copy kept with the tests)
PLAN_TXT = ROOT / "tests" / "data" / "plans" / "ke-hoach-thi-dua-2025.txt"
REFERENCE = ROOT / "catalogue" / "ke-hoach-2025-10549.yaml"
# The hand-written catalogue edited three names of the plan (a capital, a word added, a typo corrected):
# for those the import keeps the plan's own words (the issue: "Vietnamese name as written").
AS_WRITTEN = {
    "CT07": "100% Trạm y tế phường giữ vững đạt chuẩn quốc gia theo bộ tiêu chí Quốc gia về y tế xã",
    "CT08c": "Tỷ lệ thanh toán phí, lệ phí đạt 60%",
    "CT13": "Hoàn thành 100% khám sở tuyển đối tượng công dân nhập ngũ chuẩn bị cho bàn giao quân năm 2026",
}
FIELDS = ["plan_item", "source_code", "display_unit", "comparison", "bound_low", "bound_high", "accumulates",
          "max_age_months", "measure"]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_same_targets(imported: Path) -> None:
    """The imported catalogue's targets equal the reference's field by field (names: whitespace only)."""
    got = catalogue.read_catalogue(imported)
    want = catalogue.read_catalogue(REFERENCE)
    got_t = {r["target_code"]: r for r in got.targets.to_dict("records")}
    want_t = {r["target_code"]: r for r in want.targets.to_dict("records")}
    assert list(got_t) == list(want_t)
    assert len(got_t) == 20
    diffs = []
    for code, ref in want_t.items():
        for f in FIELDS:
            a, b = got_t[code][f], ref[f]
            if not (a == b or (a != a and b != b)):   # NaN == NaN for absent bounds
                diffs.append((code, f, a, b))
        name = AS_WRITTEN.get(code, ref["name_vi"])
        if _squash(got_t[code]["name_vi"]) != _squash(name):
            diffs.append((code, "name_vi", got_t[code]["name_vi"], name))
    assert diffs == []
    for key in ("plan_code", "unit_code", "year", "issued_by_vi", "due_date"):
        assert got.plan[key] == want.plan[key], key
    for key in ("implements_vi", "revenue_estimate_preference"):
        assert got.plan["settings"][key] == want.plan["settings"][key], key
    assert got.plan["title_vi"].startswith(want.plan["title_vi"])
    assert got.plan["settings"]["document_number_vi"] == "/KH-UBND"   # the draft leaves the number blank
    assert got.plan["settings"]["document_date_vi"] == "ngày tháng 9 năm 2025"
    assert sorted(got.sources["source_code"]) == sorted(want.sources["source_code"])


def _import(tmp_path: Path, plan: Path, *extra: str):
    out = tmp_path / "catalogue" / "ke-hoach-2025-10549.yaml"
    result = CliRunner().invoke(app, ["plan", "import", str(plan), "--unit", "10549", "--out", str(out), *extra])
    return result, out


# ------------------------------------------------------------------------------- Word and PDF files


def _plan_paragraphs() -> list[str]:
    return [p for p in PLAN_TXT.read_text(encoding="utf-8").splitlines() if p.strip()]


def write_docx(path: Path, *, table: bool) -> Path:
    """The plan as an officer types it in Word: bold headings, the targets as Word-numbered paragraphs
    ("List Number": the number is not in the text) and parts as bullets; or (``table``) the targets in a
    two-column table STT | Chỉ tiêu."""
    import docx

    document = docx.Document()
    in_targets = False
    rows: list[tuple[str, str]] = []
    for text in _plan_paragraphs():
        if text.startswith("3. Các chỉ tiêu thi đua"):
            in_targets = True
            document.add_paragraph().add_run(text).bold = True
            continue
        if in_targets and text.startswith("4. Nhiệm vụ"):
            in_targets = False
            if table:
                grid = document.add_table(rows=0, cols=2)
                grid.style = "Table Grid"
                for cells in [("STT", "Chỉ tiêu thi đua")] + rows:
                    row = grid.add_row().cells
                    row[0].text, row[1].text = cells
        if in_targets:
            m = re.match(r"^(\d+)\.\s+(.*)$", text)
            if table:
                rows.append((m.group(1), m.group(2)) if m else ("-" if text.startswith("- ") else "",
                                                                 text.removeprefix("- ")))
            elif m:
                document.add_paragraph(m.group(2), style="List Number")
            elif text.startswith("- "):
                document.add_paragraph(text[2:], style="List Bullet")
            else:
                document.add_paragraph(text)
            continue
        heading = re.match(r"^(?:[IVX]+\.|\d\.)\s", text) or text in ("KẾ HOẠCH", "CHỦ TỊCH")
        paragraph = document.add_paragraph()
        paragraph.add_run(text).bold = bool(heading)
    document.save(str(path))
    return path


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    """The plan as .docx (numbered), .docx (table) and .pdf (LibreOffice prints the numbered .docx once)."""
    work = tmp_path_factory.mktemp("plan-docs")
    numbered = write_docx(work / "ke-hoach-2025.docx", table=False)
    tabled = write_docx(work / "ke-hoach-2025-bang.docx", table=True)
    office = shutil.which("soffice") or shutil.which("libreoffice")
    assert office, "LibreOffice is installed by `make system-deps`"
    profile = work / "lo-profile"
    subprocess.run([office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work / "pdf"), str(numbered)], check=True, capture_output=True, timeout=180)
    return {"docx": numbered, "docx_table": tabled, "pdf": work / "pdf" / "ke-hoach-2025.pdf"}


# ------------------------------------------------------------------------------------------ tests


def test_the_published_text_reproduces_the_catalogue(tmp_path):
    result, out = _import(tmp_path, PLAN_TXT, "--report", str(tmp_path / "plan-review.txt"))
    assert result.exit_code == 0, result.output
    assert "20 chỉ tiêu / targets, 0 cần rà soát" in result.output
    assert_same_targets(out)
    review = (tmp_path / "plan-review.txt").read_text(encoding="utf-8")
    # each sentence beside what was understood
    assert "CT04 (mục 4): Tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều dưới 1%\n    hiểu là: tỷ lệ; dưới (<); 1 %" in review
    assert "[LUOT_KHACH; nguồn indicators]" in review
    check = CliRunner().invoke(app, ["plan", "check", str(out)])
    assert check.exit_code == 0 and "0 cần rà soát / to review" in check.output


@pytest.mark.parametrize("kind", ["docx", "docx_table", "pdf"])
def test_the_plan_as_word_or_pdf_imports_to_the_same_catalogue(documents, tmp_path, kind):
    result, out = _import(tmp_path, documents[kind], "--report", str(tmp_path / "plan-review.html"))
    assert result.exit_code == 0, result.output
    assert_same_targets(out)
    page = (tmp_path / "plan-review.html").read_text(encoding="utf-8")
    assert page.count("<tr><td>CT") == 20 and "Cần rà soát:" not in page


def test_a_target_to_review_is_loaded_listed_and_shown_untracked(tmp_path):
    """A plan with a target no source measures: import writes it needs_review, `plan check` lists it (exit
    3), the warehouse loads it, and the attainment shows it as untracked beside the judged ones."""
    text = PLAN_TXT.read_text(encoding="utf-8").replace(
        "13. Hoàn thành 100% khám", "14. Tỷ lệ lao động qua đào tạo đạt 70%.\n\n13. Hoàn thành 100% khám")
    # the new sentence is item 14 once the order is fixed: put it after item 13
    text = text.replace("14. Tỷ lệ lao động qua đào tạo đạt 70%.\n\n", "")
    text = text.replace("bàn giao quân năm 2026.", "bàn giao quân năm 2026.\n\n14. Tỷ lệ lao động qua đào tạo đạt 70%.")
    plan = tmp_path / "ke-hoach.txt"
    plan.write_text(text, encoding="utf-8")
    result, out = _import(tmp_path, plan)
    assert result.exit_code == 0, result.output
    assert "21 chỉ tiêu / targets, 1 cần rà soát" in result.output
    check = CliRunner().invoke(app, ["plan", "check", str(out)])
    assert check.exit_code == 3
    assert "CT14 (mục 14): Tỷ lệ lao động qua đào tạo đạt 70%" in check.output
    assert "no source provides 'tỷ lệ lao động qua đào tạo'" in check.output

    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        plan_id = catalogue.load_catalogue(engine, catalogue.read_catalogue(out))
        targets = attainment.read_targets(engine, 2025, "10549")
        judged = attainment.evaluate_targets(targets, attainment.read_observations(engine, "10549", [2024, 2025]),
                                             "10549", "2025-03")
        row = judged.set_index("target_code").loc["CT14"]
        assert row["status"] == "needs_review" and row["comparison"] == "at_least" and row["bound_low"] == 70
        assert set(judged.drop(index=judged.index[judged.target_code == "CT14"])["status"]) == {"no_data"}
        assert attainment.save_evaluations(engine, plan_id, judged, None) == 20   # CT14 is not a snapshot
        shown = attainment.read_attainment(engine, "10549", "2025-03").set_index("target_code")
    finally:
        engine.dispose()
    assert len(shown) == 21
    assert shown.loc["CT14", "status"] == "needs_review"
    assert shown.loc["CT14", "name_vi"] == "Tỷ lệ lao động qua đào tạo đạt 70%"
    from reports.vn import STATUS_VI

    assert STATUS_VI[shown.loc["CT14", "status"]] == "Cần rà soát – chưa có nguồn"


def test_a_file_that_is_not_a_plan_is_refused_in_one_sentence(tmp_path):
    notes = tmp_path / "ghi-chu.txt"
    notes.write_text("Biên bản họp\n\n1. Ý kiến thứ nhất\n", encoding="utf-8")
    result, out = _import(tmp_path, notes)
    assert result.exit_code == 2 and not out.exists()
    assert "no targets section found" in result.output
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    result, _ = _import(tmp_path, scan)
    assert result.exit_code == 2 and "plan " in result.output and "Traceback" not in result.output
