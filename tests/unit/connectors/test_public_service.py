"""Public-service dossiers: newest-state de-dup, paging, fingerprint, exports, observations (by hand)."""

from __future__ import annotations

import json
import math

import pytest

from connectors.errors import BadInputError, SchemaDriftError
from connectors.public_service import (
    PublicServiceClient,
    newest_states,
    observations_from_public_service,
    read_dossier_export,
)

from .test_rest import FakeResponse, FakeSession


def dossier(code, *, received, due="20/08/2025 17:00:00", finished=None, returned=None, rejected=None,
            channel=2, paid=False, fees=(), status=10):
    return {"MaHoSo": code, "MaTTHC": "1.001022", "TenTTHC": "Xác nhận tình trạng hôn nhân",
            "MaLinhVuc": "HT", "TenLinhVuc": "Hộ tịch", "MucDo": 4, "KenhThucHien": channel,
            "NgayTiepNhan": received, "NgayHenTra": due, "NgayKetThucXuLy": finished, "NgayTra": returned,
            "NgayTuChoi": rejected, "TrangThaiHoSo": status, "DonViXuLy": "UBND phường Chu Văn An",
            "DuocThanhToanTrucTuyen": paid,
            "DanhSachLePhi": [{"MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí", "Gia": g, "HinhThucThu": "x"}
                              for g in fees]}


# August 2025, by hand:
#  A received 01/08 online, fee 15000 paid online, finished 05/08 (due 20/08) -> on time
#  B received 02/08 in person, fee 6000 not paid, finished 20/08 23:00 (due 20/08 17:00) -> same date: on time
#  C received 03/08 online, no fee (a 0 entry), finished 21/08 (due 20/08) -> late
#  D received 04/08 online, rejected 06/08 -> received, never resolved
#  E received 28/07 online, finished 04/08 (due 05/08) -> finished in August, received in July
#  F received 30/08 by post, not finished
# received in Aug: A B C D F = 5; online (channel 2): A C D = 3
# finished in Aug (not rejected): A B C E = 4; on time: A B E = 3
# fee > 0 received in Aug: A B = 2; paid online: A = 1
AUGUST = [
    dossier("A", received="01/08/2025 08:00:00", finished="05/08/2025 10:00:00", paid=True, fees=[15000]),
    dossier("B", received="02/08/2025 08:00:00", finished="20/08/2025 23:00:00", channel=1, fees=[6000]),
    dossier("C", received="03/08/2025 08:00:00", finished="21/08/2025 09:00:00", fees=[0]),
    dossier("D", received="04/08/2025 08:00:00", rejected="06/08/2025 08:00:00"),
    dossier("E", received="28/07/2025 08:00:00", due="05/08/2025 17:00:00", finished="04/08/2025 09:00:00"),
    dossier("F", received="30/08/2025 08:00:00", channel=3),
]


def _json_export(tmp_path, records, name="ho-so-2025-08.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"tong_so": len(records), "du_lieu": records}, ensure_ascii=False), "utf-8")
    return path


def test_observations_by_hand(tmp_path):
    records = read_dossier_export(_json_export(tmp_path, AUGUST))
    obs = observations_from_public_service(records, "10549", "2025-08").set_index("indicator_code")
    assert obs.loc["DOSSIER_ONLINE", ["numerator", "denominator"]].tolist() == [3.0, 5.0]
    assert obs.loc["DOSSIER_ON_TIME", ["numerator", "denominator"]].tolist() == [3.0, 4.0]
    assert obs.loc["DOSSIER_FEE_ONLINE", ["numerator", "denominator"]].tolist() == [1.0, 2.0]
    assert obs.loc["DOSSIER_ONLINE", "value"] == pytest.approx(60.0)
    assert set(obs["member_code"]) == {""}
    assert set(obs["source_file"]) == {"ho-so-2025-08.json"}


def test_empty_month_is_zero_over_zero_without_value(tmp_path):
    records = read_dossier_export(_json_export(tmp_path, []))
    obs = observations_from_public_service(records, "10549", "2025-08")
    assert len(obs) == 3
    assert obs["numerator"].tolist() == [0.0] * 3 and obs["denominator"].tolist() == [0.0] * 3
    assert all(math.isnan(v) for v in obs["value"])


def test_newest_state_wins_whatever_the_order():
    old = {"ma_ho_so": "X", "ngay_tiep_nhan": _dt(1), "ngay_ket_thuc_xu_ly": None, "ngay_tra": None,
           "ngay_tu_choi": None}
    new = {**old, "ngay_ket_thuc_xu_ly": _dt(5)}
    other = {**old, "ma_ho_so": "Y"}
    for order in ([old, new, other], [new, old, other], [other, new, old]):
        kept = newest_states((r, {"n": i}) for i, r in enumerate(order))
        assert [c["ma_ho_so"] for c, _ in kept] == ["X", "Y"]
        assert kept[0][0]["ngay_ket_thuc_xu_ly"] == _dt(5)


def test_same_state_twice_keeps_the_later_answer():
    a = {"ma_ho_so": "X", "ngay_tiep_nhan": _dt(1), "ngay_ket_thuc_xu_ly": None, "ngay_tra": None,
         "ngay_tu_choi": None}
    kept = newest_states([(a, {"page": 1}), (dict(a), {"page": 2})])
    assert kept[0][1] == {"page": 2}


def _dt(day):
    from datetime import datetime
    return datetime(2025, 8, day, 8, 0)


def test_csv_export_with_bom_matches_json(tmp_path):
    header = ("MaHoSo,MaTTHC,TenTTHC,MaLinhVuc,TenLinhVuc,MucDo,KenhThucHien,NgayTiepNhan,NgayHenTra,"
              "NgayKetThucXuLy,NgayTra,NgayTuChoi,TrangThaiHoSo,DonViXuLy,DuocThanhToanTrucTuyen,TongPhiLePhi")
    lines = [header]
    for d in AUGUST:
        fee = sum(f["Gia"] for f in d["DanhSachLePhi"])
        values = [d["MaHoSo"], d["MaTTHC"], f'"{d["TenTTHC"]}"', d["MaLinhVuc"], d["TenLinhVuc"], str(d["MucDo"]),
                  str(d["KenhThucHien"]), d["NgayTiepNhan"], d["NgayHenTra"] or "", d["NgayKetThucXuLy"] or "",
                  d["NgayTra"] or "", d["NgayTuChoi"] or "", str(d["TrangThaiHoSo"]), d["DonViXuLy"],
                  "true" if d["DuocThanhToanTrucTuyen"] else "false", str(fee)]
        lines.append(",".join(values))
    path = tmp_path / "ho-so-2025-08.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    from_csv = read_dossier_export(path)
    from_json = read_dossier_export(_json_export(tmp_path, AUGUST))
    cols = ["ma_ho_so", "kenh_thuc_hien", "ngay_tiep_nhan", "ngay_ket_thuc_xu_ly", "ngay_tu_choi",
            "duoc_thanh_toan_truc_tuyen", "tong_phi_le_phi"]
    assert from_csv[cols].equals(from_json[cols])
    assert from_csv["row_number"].tolist() == [2, 3, 4, 5, 6, 7]  # CSV line numbers, header = line 1
    assert from_csv["ma_ho_so"].iloc[0] == "A"  # the BOM is not part of the first header


def test_csv_missing_column_is_reported(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("MaHoSo,NgayTiepNhan\r\nA,01/08/2025 08:00:00\r\n".encode("utf-8-sig"))
    with pytest.raises(BadInputError) as info:
        read_dossier_export(path)
    missing = {"KenhThucHien", "NgayHenTra", "NgayKetThucXuLy", "NgayTuChoi", "DuocThanhToanTrucTuyen",
               "TongPhiLePhi"}  # every required column the header lacks, each named once
    assert len(info.value.problems) == len(missing)
    for problem in info.value.problems:
        assert problem.file == "x.csv" and problem.row == 1
    assert {m for m in missing for p in info.value.problems if f"a column for {m} " in p.expected} == missing


def test_bad_timestamp_in_export_names_row_and_field(tmp_path):
    bad = dossier("A2", received="31/02/2025 08:00:00")
    with pytest.raises(BadInputError) as info:
        read_dossier_export(_json_export(tmp_path, [AUGUST[0], bad], name="h.json"))
    assert str(info.value).startswith("public_service file h.json, row 2, column 'NgayTiepNhan': "
                                      "found '31/02/2025 08:00:00', expected a date dd/mm/yyyy HH:mm:ss (or ")
    assert str(info.value).endswith("(MaHoSo 'A2')")  # a JSON record: its position and its dossier code


# ------------------------------------------------------------------------------------ the client

def _pages(records, size, total=None, short_first=False):
    """Pages as a server would answer them (optionally page 1 one short, the rest shifted)."""
    out, i, page = [], 0, 1
    while True:
        take = size - 1 if (short_first and page == 1) else size
        chunk = records[i:i + take]
        out.append(FakeResponse(200, {"tong_so": len(records) if total is None else total, "trang": page,
                                      "so_ban_ghi": size, "du_lieu": chunk}))
        i += take
        if page * size >= len(records) or not chunk:
            return out
        page += 1


def _client(answers, **kw):
    session = FakeSession(answers)
    return PublicServiceClient("http://h:1", "TOKEN-123", page_size=2, session=session, sleep=lambda s: None,
                               **kw), session


def test_fetch_month_pages_both_queries_and_deduplicates():
    received = AUGUST[:4] + [AUGUST[5]]            # A B C D F
    finished = [AUGUST[4], AUGUST[0], AUGUST[1], AUGUST[2]]  # E A B C
    client, session = _client(_pages(received, 2) + _pages(finished, 2))
    records, fingerprint = client.fetch_month("10549", "2025-08")
    assert sorted(records["ma_ho_so"]) == ["A", "B", "C", "D", "E", "F"]
    params = [c["params"] for c in session.calls]
    assert [p["loc_theo"] for p in params] == ["tiep_nhan"] * 3 + ["ket_thuc"] * 2
    assert [p["trang"] for p in params] == [1, 2, 3, 1, 2]
    assert params[0]["tu_ngay"] == "01/08/2025" and params[0]["den_ngay"] == "31/08/2025"
    assert all(c["headers"]["Authorization"] == "Bearer TOKEN-123" for c in session.calls)
    assert all("TOKEN-123" not in s for s in records["source_file"])
    assert records.set_index("ma_ho_so").loc["E", "source_file"].endswith("loc_theo=ket_thuc&trang=1&so_ban_ghi=2")
    assert len(fingerprint) == 64


def test_short_page_before_the_last_does_not_stop_paging():
    recs = AUGUST[:5]
    client, session = _client(_pages(recs, 2, short_first=True) + _pages([], 2))
    records, _ = client.fetch_month("10549", "2025-08")
    assert sorted(records["ma_ho_so"]) == ["A", "B", "C", "D", "E"]


def test_fingerprint_is_stable_and_order_independent_and_sees_changes():
    first, _ = _client(_pages(AUGUST, 2) + _pages([], 2))
    again, _ = _client(_pages(list(reversed(AUGUST)), 2) + _pages([], 2))
    changed_records = [dict(AUGUST[0], NgayTra="06/08/2025 10:00:00")] + AUGUST[1:]
    changed, _ = _client(_pages(changed_records, 2) + _pages([], 2))
    fp1 = first.fetch_month("10549", "2025-08")[1]
    fp2 = again.fetch_month("10549", "2025-08")[1]
    fp3 = changed.fetch_month("10549", "2025-08")[1]
    assert fp1 == fp2 != fp3
    other_token, _ = _client(_pages(AUGUST, 2) + _pages([], 2))
    other_token._http.headers["Authorization"] = "Bearer another"
    assert other_token.fetch_month("10549", "2025-08")[1] == fp1  # the token is not part of it


def test_empty_month_is_valid():
    client, session = _client(_pages([], 2) + _pages([], 2))
    records, fingerprint = client.fetch_month("10549", "2023-01")
    assert len(records) == 0 and len(session.calls) == 2 and len(fingerprint) == 64
    obs = observations_from_public_service(records, "10549", "2023-01")
    assert obs["denominator"].tolist() == [0.0, 0.0, 0.0]


def test_answer_without_du_lieu_is_schema_drift():
    client, _ = _client([FakeResponse(200, {"tong_so": 1, "items": []})])
    with pytest.raises(SchemaDriftError, match="du_lieu"):
        client.fetch_month("10549", "2025-08")


def test_record_without_required_field_is_schema_drift():
    broken = {k: v for k, v in AUGUST[0].items() if k != "KenhThucHien"}
    client, _ = _client(_pages([broken], 2))
    with pytest.raises(SchemaDriftError, match="record 1, field 'KenhThucHien'"):
        client.fetch_month("10549", "2025-08")


def test_repr_hides_the_token():
    client, _ = _client([])
    assert "TOKEN-123" not in repr(client)
