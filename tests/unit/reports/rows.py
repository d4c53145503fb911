"""Attainment rows for the report tests, written by hand (the shape read_attainment returns)."""

from __future__ import annotations

NAN = float("nan")


def row(code, name, unit, comparison, low, high, value, status, *, num=NAN, den=NAN, outlook_value=NAN,
        outlook_status="on_track", gap_text="", restated=False):
    return {"target_code": code, "name_vi": name, "display_unit": unit, "comparison": comparison,
            "bound_low": low, "bound_high": high, "value": value, "numerator": num, "denominator": den,
            "status": status, "outlook_value": outlook_value, "outlook_status": outlook_status,
            "outlook_method": "seasonal", "gap_text": gap_text, "gap_value": NAN, "is_restatement": restated,
            "unit_code": "10549", "period": "2025-10"}


ROWS = [
    row("CT01a", "Thu ngân sách nhà nước trên địa bàn tăng từ 8% - 10%", "%", "band", 8, 10, 8.96, "met",
        outlook_value=8.96, gap_text="Cần thêm 38,0 tỷ đồng thu ngân sách đến hết tháng 12 để đạt mức tăng 8%"),
    row("CT04", "Tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều dưới 1%", "%", "strictly_below", NAN, 1, 0.6725, "met",
        num=105, den=15612, outlook_value=0.6725, gap_text="Đã đạt"),
    row("CT08b", "Tỷ lệ giải quyết thủ tục hành chính đúng hạn đạt 100%", "%", "all", NAN, NAN, 99.96, "behind",
        num=9996, den=10000, outlook_value=99.96, outlook_status="not_met",
        gap_text="Không còn khả năng đạt 100% trong năm: lũy kế đã có 4 hồ sơ trễ hạn"),
    row("CT09", "Thu hút khách du lịch đạt 100.000 lượt khách", "lượt", "at_least", 100000, NAN, 94000,
        "on_track", outlook_value=111828.4, gap_text="Cần thêm 6.000 lượt khách đến hết tháng 12"),
    row("CT12", "Giữ vững an ninh chính trị, trật tự an toàn xã hội", "", "qualitative", NAN, NAN, 1.0, "met",
        outlook_value=1.0),
    row("CT13", "=HYPERLINK(\"http://x\",\"bấm\")", "%", "all", NAN, NAN, NAN, "no_data", outlook_status="no_data",
        gap_text="@SUM(1)", restated=True),
]
