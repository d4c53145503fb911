"""Alert messages: what they say (ward, source, period, rules in Vietnamese and English, sample rows,
report link) and that channel errors never carry a URL's token or a password."""

from __future__ import annotations

import pytest

from alerts import AlertDeliveryError, AlertMessage, EmailChannel, WebhookChannel, format_text, subject, webhook_payload


def message(**changes):
    base = dict(kind="validation_failed", status="open", unit_code="10549", unit_name="Phường Chu Văn An",
                source_code="tax", source_name="Báo cáo thu NSNN", period="2025-10",
                summary_vi="Tệp vi phạm 1 quy tắc.", summary_en="The file breaks 1 rule.",
                failures=[{"rule_id": "tax.parent_equals_children", "severity": "error",
                           "description_vi": "Dòng tổng bằng tổng các dòng chi tiết",
                           "description_en": "Parent rows equal the sum of their children", "unexpected_count": 1,
                           "samples": [{"source_file": "bao-cao.xlsx", "sheet": "Thu NSNN", "row_number": 10,
                                        "column_name": "Thực hiện tháng", "raw_text": "21569"}]}],
                report_url="file:///data/reports/validation/x.html", alert_key="k")
    base.update(changes)
    return AlertMessage(**base)


def test_text_names_ward_source_period_rule_row_and_report():
    text = format_text(message())
    for part in ("Phường Chu Văn An (10549)", "Báo cáo thu NSNN (tax)", "Kỳ / Period: 2025-10",
                 "Dòng tổng bằng tổng các dòng chi tiết", "Parent rows equal the sum of their children",
                 "file:///data/reports/validation/x.html",
                 "Dữ liệu giao nộp không đạt kiểm tra", "Delivery failed validation"):
        assert part in text
    # the cell: a Vietnamese line, then an English line (one language per line, no reprs)
    lines = text.splitlines()
    vi = lines.index("    - tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 10, cột 'Thực hiện tháng': gặp '21569'")
    assert lines[vi + 1] == "      file bao-cao.xlsx, sheet 'Thu NSNN', row 10, column 'Thực hiện tháng': found '21569'"


def test_each_cell_is_told_as_the_report_wrote_it_with_letter_and_expected_value():
    sample = {"source_file": "bao-cao.xlsx", "sheet": "Thu NSNN", "row_number": 11,
              "column_name": "Lũy kế từ đầu năm", "letter": "G", "raw_text": "18613.8",
              "expected": "the sum of its parts 18,600.0 (difference 13.8)",
              "expected_vi": "bằng tổng các dòng chi tiết 18.600,0 (chênh 13,8)"}
    text = format_text(message(failures=[{"rule_id": "tax.parent_equals_children", "severity": "error",
                                          "description_vi": "Dòng tổng", "description_en": "Totals",
                                          "unexpected_count": 1, "samples": [sample]}]))
    assert ("    - tệp bao-cao.xlsx, trang 'Thu NSNN', dòng 11, cột G 'Lũy kế từ đầu năm': gặp '18613.8', "
            "cần bằng tổng các dòng chi tiết 18.600,0 (chênh 13,8)\n"
            "      file bao-cao.xlsx, sheet 'Thu NSNN', row 11, column 'Lũy kế từ đầu năm' (G): found '18613.8', "
            "expected the sum of its parts 18,600.0 (difference 13.8)\n") in text
    assert "None" not in text and "{" not in text
    # lines the validation report wrote are told as they are
    told = format_text(message(failures=[{"rule_id": "r", "severity": "warning", "samples": [
        {"source_file": "f", "row_number": 7, "message_vi": "cột L 'Ghi chú 2' không dùng",
         "message_en": "column L 'Ghi chú 2' is not used"}]}]))
    assert "    - cột L 'Ghi chú 2' không dùng\n      column L 'Ghi chú 2' is not used\n" in told
    assert "[CẢNH BÁO]" in told and "[WARNING]" in told


def test_resolved_notice_says_so_in_both_languages():
    msg = message(status="resolved", failures=[])
    assert subject(msg).startswith("[thidua] Phường Chu Văn An – tax 2025-10: Đã khắc phục")
    assert "Resolved:" in format_text(msg)


def test_every_failing_row_of_every_rule_is_told_up_to_50_per_rule_then_counted():
    # rule r1: 60 failing rows, all of them in its samples; rule r2: 50 listed and 25 the report did not keep
    r1 = [{"source_file": "f", "row_number": i, "raw_text": str(i)} for i in range(1, 61)]
    r2 = [{"source_file": "g", "row_number": i} for i in range(100, 150)]
    msg = message(failures=[{"rule_id": "r1", "severity": "error", "samples": r1, "unexpected_count": 60},
                            {"rule_id": "r2", "severity": "error", "samples": r2, "unexpected_count": 75,
                             "not_shown": 25}])
    payload = webhook_payload(msg)
    rows = [(r["rule_id"], r["row_number"]) for r in payload["alert"]["sample_rows"]]
    assert rows == [("r1", i) for i in range(1, 51)] + [("r2", i) for i in range(100, 150)]
    assert [r["not_listed"] for r in payload["alert"]["failed_rules"]] == [10, 25]
    text = format_text(msg)
    assert text.count("    - tệp f, dòng ") == 50 and text.count("      file f, row ") == 50
    assert "    - tệp f, dòng 50: gặp '50'\n" in text and "dòng 51:" not in text
    assert "    … và 10 dòng khác\n      … and 10 more rows\n" in text
    assert text.count("    - tệp g, dòng ") == 50
    assert "    … và 25 dòng khác\n      … and 25 more rows\n" in text


def test_webhook_error_names_the_host_not_the_token():
    channel = WebhookChannel("http://127.0.0.1:9/hooks/T0KEN-secret", timeout_seconds=1)
    with pytest.raises(AlertDeliveryError) as info:
        channel.send(message())
    assert "T0KEN-secret" not in str(info.value) and "127.0.0.1:9" in str(info.value)
    assert "T0KEN-secret" not in repr(channel)


def test_email_error_and_repr_never_show_the_password():
    channel = EmailChannel("127.0.0.1", 9, "a@x", ("b@x",), "user", "pa55word", "none", timeout_seconds=1)
    with pytest.raises(AlertDeliveryError) as info:
        channel.send(message())
    assert "pa55word" not in str(info.value) and "pa55word" not in repr(channel)


def test_settings_hide_secrets_and_build_channels():
    from flows.settings import Settings

    settings = Settings.from_env({"THIDUA_ALERT_WEBHOOK_URL": "https://hooks.example/T0KEN",
                                  "THIDUA_SMTP_HOST": "smtp.example", "THIDUA_SMTP_PASSWORD": "pa55word",
                                  "THIDUA_SMTP_TO": "a@x, b@x"})
    assert "T0KEN" not in repr(settings) and "pa55word" not in repr(settings)
    assert [c.name for c in settings.alert_channels()] == ["webhook", "email"]
    assert settings.alert_channels()[1].recipients == ("a@x", "b@x")
    assert Settings.from_env({}).alert_channels() == []
