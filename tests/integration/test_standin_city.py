"""The stand-in API over the many-unit SQLite store of samples.city, driven over loopback HTTP.

Expected: the JSON store's answers for 10549 (same seed, same parameters) and the manifest's counts,
which the generator computes from the parameters, not from the store.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests

from connectors.public_service import PublicServiceClient, observations_from_public_service
from samples.city import generate_city
from standin.public_service import API_PATH, serve

PERIODS = ["2025-01", "2025-02"]
TS = "%d/%m/%Y %H:%M:%S"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("city-dossiers")
    return out, generate_city(out, n_units=3, seed=2025, periods=PERIODS, sources=("public_service",))


def _start(path):
    token = uuid.uuid4().hex
    server, thread = serve(path, host="127.0.0.1", port=0, token=token)
    return server, thread, token


@pytest.fixture(scope="module")
def servers(city, samples_dir):
    out, _ = city
    started = [_start(out / "public_service" / "dossiers.sqlite"),
               _start(samples_dir / "public_service" / "dossiers.json")]
    yield [(s, f"{s.base_url}{API_PATH}", token) for s, _, token in started]
    for server, thread, _ in started:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def behave(servers):
    for server, _, _ in servers:
        server.misbehave.reset()


def month(period: str) -> tuple[str, str]:
    y, m = int(period[:4]), int(period[5:])
    last = dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)
    return f"01/{m:02d}/{y}", last.strftime("%d/%m/%Y")


def get_page(api, unit, period, by="tiep_nhan", page=1, size=1000) -> dict:
    _, url, token = api
    start, end = month(period)
    r = requests.get(url, params={"ma_don_vi": unit, "tu_ngay": start, "den_ngay": end, "trang": page,
                                  "so_ban_ghi": size, "loc_theo": by},
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def get_all(api, unit, period, by="tiep_nhan", size=1000) -> tuple[int, list[dict]]:
    first = get_page(api, unit, period, by, 1, size)
    records = list(first["du_lieu"])
    for page in range(2, -(-first["tong_so"] // size) + 1):
        records += get_page(api, unit, period, by, page, size)["du_lieu"]
    return first["tong_so"], records


@pytest.mark.parametrize("by", ["tiep_nhan", "ket_thuc"])
@pytest.mark.parametrize("period", PERIODS)
def test_the_real_ward_is_served_as_from_the_json_store(servers, period, by):
    sqlite_api, json_api = servers
    assert get_all(sqlite_api, "10549", period, by) == get_all(json_api, "10549", period, by)


def test_every_unit_month_holds_the_manifest_counts_sorted_by_date_then_code(servers, city):
    _, manifest = city
    for u in manifest["units"]:
        for period, n in zip(PERIODS, u["dossiers_per_month"], strict=True):
            total, records = get_all(servers[0], u["unit_code"], period)
            assert total == len(records) == n
            keys = [(dt.datetime.strptime(r["NgayTiepNhan"], TS).date(), r["MaHoSo"]) for r in records]
            assert keys == sorted(keys)
            assert all(r["MaHoSo"].startswith(f"000.00.{u['unit_code']}-") for r in records)


def test_pages_put_together_are_the_whole_month(servers, city):
    _, manifest = city
    unit = manifest["units"][1]["unit_code"]
    whole = get_all(servers[0], unit, "2025-02", "ket_thuc")
    assert whole[0] > 250
    assert get_all(servers[0], unit, "2025-02", "ket_thuc", size=97) == whole
    beyond = get_page(servers[0], unit, "2025-02", "ket_thuc", page=whole[0] // 97 + 2, size=97)
    assert beyond["tong_so"] == whole[0] and beyond["du_lieu"] == []


def test_misbehaviour_switches_work_on_the_sqlite_store(servers, city):
    _, manifest = city
    server = servers[0][0]
    unit = manifest["units"][2]["unit_code"]
    _, whole = get_all(servers[0], unit, "2025-01")
    server.misbehave.duplicate_across_pages = True
    page2 = get_page(servers[0], unit, "2025-01", page=2, size=100)["du_lieu"]
    assert page2[0] == whole[99] and page2[1:] == whole[100:200]
    server.misbehave.reset()
    server.misbehave.short_page = True
    assert get_page(servers[0], unit, "2025-01", page=1, size=100)["du_lieu"] == whole[:99]
    assert get_page(servers[0], unit, "2025-01", page=2, size=100)["du_lieu"] == whole[99:199]


def test_an_unknown_unit_is_empty_and_a_wrong_token_is_refused(servers):
    assert get_page(servers[0], "99999", "2025-01") == {"tong_so": 0, "trang": 1, "so_ban_ghi": 1000, "du_lieu": []}
    start, end = month("2025-01")
    r = requests.get(servers[0][1], params={"ma_don_vi": "10549", "tu_ngay": start, "den_ngay": end},
                     headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert r.status_code == 401


def test_the_connector_pulls_each_ward_to_the_intended_year_to_date(servers, city):
    """Two months pulled like monthly-close does; their sums are the manifest's CT08 at 2025-02."""
    _, manifest = city
    server, _, token = servers[0]
    client = PublicServiceClient(server.base_url, token, page_size=400)
    for u in manifest["units"]:
        code = u["unit_code"]
        sums = {}
        for period in PERIODS:
            records, _ = client.fetch_month(code, period)
            obs = observations_from_public_service(records, code, period)
            for _, row in obs.iterrows():
                num, den = sums.get(row["indicator_code"], (0.0, 0.0))
                sums[row["indicator_code"]] = (num + row["numerator"], den + row["denominator"])
        intended = manifest["intended"][code]
        for target, indicator in (("CT08a", "DOSSIER_ONLINE"), ("CT08b", "DOSSIER_ON_TIME"),
                                  ("CT08c", "DOSSIER_FEE_ONLINE")):
            assert sums[indicator] == (intended[target]["numerator"], intended[target]["denominator"]), (code, target)
