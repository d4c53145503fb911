"""The stand-in public-service API on loopback, driven with `requests` like a real client.

Expected counts come from reading dossiers.json directly in the test.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

from standin.public_service import serve

TOKEN = "test-token-123"
TS = "%d/%m/%Y %H:%M:%S"


@pytest.fixture(scope="module")
def api(samples_dir):
    server, thread = serve(samples_dir / "public_service" / "dossiers.json", host="127.0.0.1", port=0,
                           token=TOKEN)
    host, port = server.server_address[:2]
    yield server, f"http://{host}:{port}/api/v1/ho-so"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def dossiers(samples_dir):
    return json.loads((samples_dir / "public_service" / "dossiers.json").read_text("utf-8"))["du_lieu"]


@pytest.fixture(autouse=True)
def clean_misbehaviour(api):
    api[0].misbehave.reset()
    yield
    api[0].misbehave.reset()


def in_month(ts: str | None, year: int, month: int) -> bool:
    if ts is None:
        return False
    t = dt.datetime.strptime(ts, TS)
    return (t.year, t.month) == (year, month)


def get(url, token=TOKEN, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url, params=params, headers=headers, timeout=10)


def month_params(year, month, **extra):
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dict(ma_don_vi="10549", tu_ngay=f"01/{month:02d}/{year}", den_ngay=f"{last:02d}/{month:02d}/{year}",
                **extra)


def fetch_all(url, page_size, **params) -> tuple[list[dict], int]:
    records, page, pages = [], 1, 0
    while True:
        body = get(url, trang=page, so_ban_ghi=page_size, **params).json()
        records += body["du_lieu"]
        pages += 1
        if page * page_size >= body["tong_so"]:
            return records, pages
        page += 1


@pytest.mark.parametrize("year,month", [(2025, 10), (2024, 2)])
def test_paging_covers_every_record_of_the_month_exactly_once(api, dossiers, year, month):
    _, url = api
    want = {d["MaHoSo"] for d in dossiers if in_month(d["NgayTiepNhan"], year, month)}
    got, pages = fetch_all(url, 300, **month_params(year, month, loc_theo="tiep_nhan"))
    ids = [d["MaHoSo"] for d in got]
    assert len(ids) == len(set(ids)) == len(want)
    assert set(ids) == want
    assert pages == -(-len(want) // 300) > 1
    first = get(url, trang=1, so_ban_ghi=300, **month_params(year, month)).json()
    assert first["tong_so"] == len(want) and first["trang"] == 1 and first["so_ban_ghi"] == 300


def test_ket_thuc_filters_on_the_processing_end(api, dossiers):
    _, url = api
    want = {d["MaHoSo"] for d in dossiers if in_month(d["NgayKetThucXuLy"], 2025, 9)}
    received_elsewhere = {d["MaHoSo"] for d in dossiers
                          if in_month(d["NgayKetThucXuLy"], 2025, 9) and not in_month(d["NgayTiepNhan"], 2025, 9)}
    assert received_elsewhere, "the sample must have dossiers received in August and finished in September"
    got, _ = fetch_all(url, 1000, **month_params(2025, 9, loc_theo="ket_thuc"))
    assert {d["MaHoSo"] for d in got} == want
    assert all(in_month(d["NgayKetThucXuLy"], 2025, 9) for d in got)


def test_records_carry_the_sync_field_names(api):
    _, url = api
    rec = get(url, trang=1, so_ban_ghi=1, **month_params(2025, 3)).json()["du_lieu"][0]
    assert {"MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "MucDo", "KenhThucHien", "NgayTiepNhan",
            "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "TrangThaiHoSo", "DonViXuLy",
            "DuocThanhToanTrucTuyen", "DanhSachLePhi"} == set(rec)


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x"])
def test_missing_or_wrong_token_is_401_json(api, token):
    _, url = api
    resp = get(url, token=token, **month_params(2025, 10))
    assert resp.status_code == 401
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert "loi" in body and TOKEN not in resp.text


def test_empty_month_is_valid(api):
    _, url = api
    body = get(url, trang=1, so_ban_ghi=500, **month_params(2023, 6)).json()
    assert body == {"tong_so": 0, "trang": 1, "so_ban_ghi": 500, "du_lieu": []}
    other_unit = get(url, **{**month_params(2025, 6), "ma_don_vi": "10546"}).json()
    assert other_unit["tong_so"] == 0


@pytest.mark.parametrize("bad", [
    {"tu_ngay": "2025-10-01"}, {"den_ngay": ""}, {"trang": "0"}, {"so_ban_ghi": "5000"},
    {"loc_theo": "ngay_tra"}, {"ma_don_vi": ""}, {"trang": "x"},
])
def test_bad_parameters_are_400(api, bad):
    _, url = api
    resp = get(url, **{**month_params(2025, 10), **bad})
    assert resp.status_code == 400
    assert "loi" in resp.json()


def test_misbehave_429_with_retry_after_then_recovers(api):
    server, url = api
    server.misbehave.retry_after = 2
    server.misbehave.fail_next(1, 429)
    server.misbehave.fail_next(1, 500)
    first = get(url, **month_params(2025, 10))
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert get(url, **month_params(2025, 10)).status_code == 500
    assert get(url, **month_params(2025, 10)).status_code == 200


def test_misbehave_duplicates_a_record_across_pages(api):
    server, url = api
    server.misbehave.duplicate_across_pages = True
    got, _ = fetch_all(url, 500, **month_params(2025, 10))
    ids = [d["MaHoSo"] for d in got]
    assert len(ids) > len(set(ids))
