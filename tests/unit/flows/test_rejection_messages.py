"""A refused file says every problem it has, each as a Vietnamese line and an English line: in the
`Rejection` the flow keeps, in the quarantined delivery's validation result and its alert, and on the
command line (`friendly`). The problems are the connector's own `Problem` values, written by hand."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from alerts import AlertMessage, format_text
from connectors.errors import BadInputError, Problem
from flows.cli import friendly
from flows.cli_quality import column_lines
from flows.tasks import _failures_for_message, _reject, rejection_validation

PROBLEMS = [
    Problem(file="bao-cao.xlsx", sheet="Thu NSNN", row=13, column="Thực hiện tháng", letter="F",
            found="khoảng 1.380", expected="a number", expected_vi="một số"),
    Problem(file="bao-cao.xlsx", sheet="Thu NSNN", row=15, column="Lũy kế từ đầu năm", letter="G",
            found="abc", expected="a number", expected_vi="một số"),
    Problem(file="bao-cao.xlsx", sheet="Thu NSNN", row=7, column="Mã mục", letter="C", found="Mã mục",
            expected="each column once", expected_vi="mỗi cột một lần"),
]
LINES = [
    ("tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 13, cột F 'Thực hiện tháng': gặp 'khoảng 1.380', cần một số",
     "file bao-cao.xlsx, sheet 'Thu NSNN', row 13, column 'Thực hiện tháng' (F): found 'khoảng 1.380', "
     "expected a number"),
    ("tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 15, cột G 'Lũy kế từ đầu năm': gặp 'abc', cần một số",
     "file bao-cao.xlsx, sheet 'Thu NSNN', row 15, column 'Lũy kế từ đầu năm' (G): found 'abc', expected a number"),
    ("tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 7, cột C 'Mã mục': gặp 'Mã mục', cần mỗi cột một lần",
     "file bao-cao.xlsx, sheet 'Thu NSNN', row 7, column 'Mã mục' (C): found 'Mã mục', expected each column once"),
]


def test_a_rejection_keeps_every_problem_and_a_one_line_message():
    rejection = _reject(BadInputError(problems=PROBLEMS))
    assert rejection.is_bad_input and len(rejection.problems) == 3
    assert rejection.lines() == LINES
    assert "\n" not in rejection.message
    assert rejection.message == "3 problems: " + "; ".join(en for _, en in LINES)


def test_a_long_refusal_lists_50_problems_and_counts_the_rest():
    many = [Problem(file="f.xlsx", row=n, column="Thực hiện tháng", found="x", expected="a number")
            for n in range(10, 70)]
    lines = _reject(BadInputError(problems=many)).lines()
    assert len(lines) == 51 and lines[-1] == ("… và 10 lỗi khác", "… and 10 more problems")


def test_the_alert_of_a_refused_file_tells_every_problem_in_both_languages():
    validation = rejection_validation("tax", "10549", "2025-10", _reject(BadInputError(problems=PROBLEMS)))
    [failure] = validation["failed"]
    assert failure["rule_id"] == "file.fits_layout" and failure["unexpected_count"] == 3
    message = AlertMessage("validation_failed", "open", "10549", "Phường Chu Văn An", "tax", "Thu NSNN", "2025-10",
                           "Tệp bị từ chối.", "The file is refused.", _failures_for_message(validation))
    text = format_text(message)
    for vi, en in LINES:
        assert f"    - {vi}\n      {en}\n" in text


def test_alerts_list_the_blocking_rules_first_then_the_warnings():
    validation = {"failed": [{"rule_id": "read.warnings", "severity": "warning", "samples": []},
                             {"rule_id": "tax.parent_equals_children", "severity": "error", "samples": []}]}
    assert [f["rule_id"] for f in _failures_for_message(validation)] == ["tax.parent_equals_children",
                                                                         "read.warnings"]


def test_the_command_line_prints_every_problem_of_a_refusal():
    app = typer.Typer()

    @app.command()
    @friendly
    def read():
        raise BadInputError(problems=PROBLEMS)

    result = CliRunner().invoke(app, [])
    assert result.exit_code == 2
    out = result.output.splitlines()
    assert out[0] == "error: 3 lỗi / problems:"
    assert out[1:] == [line for vi, en in LINES for line in (f"  - {vi}", f"    {en}")]


def test_the_dry_run_names_the_columns_it_used_and_those_it_ignored():
    attrs = {"columns_used": [{"name": "luy_ke_vnd", "header": "Lũy kế từ đầu năm", "letter": "G"},
                              {"name": "stt", "header": "STT", "letter": "A"}],
             "columns_ignored": [{"header": "Ghi chú 2", "letter": "L", "known": False},
                                 {"header": "Ghi chú", "letter": "K", "known": True}]}
    assert column_lines(attrs) == [
        "Cột đã dùng / Columns used:", "  A 'STT' -> stt", "  G 'Lũy kế từ đầu năm' -> luy_ke_vnd",
        "Cột bỏ qua / Columns ignored:", "  K 'Ghi chú' (cột tùy chọn, không cần / optional, not needed)",
        "  L 'Ghi chú 2' (không dùng / not used)"]
