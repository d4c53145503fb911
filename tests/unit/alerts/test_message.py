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
                 "tệp/file bao-cao.xlsx, trang/sheet Thu NSNN, dòng/row 10, cột/column Thực hiện tháng, "
                 "giá trị/found '21569'", "file:///data/reports/validation/x.html",
                 "Dữ liệu giao nộp không đạt kiểm tra", "Delivery failed validation"):
        assert part in text


def test_resolved_notice_says_so_in_both_languages():
    msg = message(status="resolved", failures=[])
    assert subject(msg).startswith("[thidua] Phường Chu Văn An – tax 2025-10: Đã khắc phục")
    assert "Resolved:" in format_text(msg)


def test_sample_rows_are_capped_at_20():
    samples = [{"source_file": "f", "row_number": i} for i in range(30)]
    msg = message(failures=[{"rule_id": "r", "severity": "error", "samples": samples}])
    payload = webhook_payload(msg)
    assert [r["row_number"] for r in payload["alert"]["sample_rows"]] == list(range(20))
    assert format_text(msg).count("dòng/row") == 20


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
