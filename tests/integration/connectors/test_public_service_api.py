"""The dossier connector against the real stand-in server on loopback, and on the sample exports.

Expected sets and counts come from the generated dossiers.json (read here with json) and from
samples/params.yaml, never from the connector.
"""

from __future__ import annotations

import json
import uuid

import pytest

from connectors.errors import FatalSourceError
from connectors.public_service import PublicServiceClient, observations_from_public_service, read_dossier_export

from . import expected as exp

UNIT = "10549"


@pytest.fixture(scope="module")
def dossiers(samples_dir):
    body = json.loads((samples_dir / "public_service" / "dossiers.json").read_text(encoding="utf-8"))
    return body["du_lieu"]


def in_month(stamp, period):
    return stamp is not None and stamp[3:10] == f"{period[5:]}/{period[:4]}"


def month_codes(dossiers, period):
    return {d["MaHoSo"] for d in dossiers
            if in_month(d["NgayTiepNhan"], period) or in_month(d["NgayKetThucXuLy"], period)}


@pytest.fixture(scope="module")
def _server(samples_dir):
    """A private stand-in for this module (tests here switch its misbehaviour on)."""
    from standin.public_service import serve

    token = f"tok-{uuid.uuid4().hex}"
    server, _ = serve(samples_dir / "public_service" / "dossiers.json", host="127.0.0.1", port=0, token=token)
    try:
        yield server, token
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def api(_server):
    server, _token = _server
    server.misbehave.reset()
    yield _server
    server.misbehave.reset()


def test_fetch_month_returns_exactly_the_months_dossiers(api, dossiers):
    server, token = api
    client = PublicServiceClient(server.base_url, token, page_size=500)
    records, fingerprint = client.fetch_month(UNIT, "2025-08")
    expected = month_codes(dossiers, "2025-08")
    assert len(records) == len(expected)
    assert set(records["ma_ho_so"]) == expected
    again, fingerprint_again = client.fetch_month(UNIT, "2025-08")
    assert fingerprint_again == fingerprint
    assert all(token not in s for s in records["source_file"])


def test_misbehaving_server_gives_the_same_data_and_fingerprint(api, dossiers):
    server, token = api
    sleeps = []
    client = PublicServiceClient(server.base_url, token, page_size=300, sleep=sleeps.append)
    _, clean = client.fetch_month(UNIT, "2025-10")
    server.misbehave.duplicate_across_pages = True
    server.misbehave.short_page = True
    server.misbehave.retry_after = 2
    server.misbehave.fail_next(1, 429)
    server.misbehave.fail_next(1, 503)
    records, fingerprint = client.fetch_month(UNIT, "2025-10")
    assert set(records["ma_ho_so"]) == month_codes(dossiers, "2025-10")
    assert records["ma_ho_so"].is_unique
    assert fingerprint == clean
    assert sleeps == [2.0, 2.0]  # Retry-After honoured on the 429 and the 503


def test_bad_token_is_fatal_and_not_shown(api):
    server, token = api
    wrong = f"wrong-{uuid.uuid4().hex}"
    with pytest.raises(FatalSourceError) as info:
        PublicServiceClient(server.base_url, wrong).fetch_month(UNIT, "2025-08")
    assert info.value.status_code == 401
    assert wrong not in str(info.value) and token not in str(info.value)
    assert "401" in str(info.value)


def test_wrong_path_is_fatal(api):
    server, token = api
    with pytest.raises(FatalSourceError) as info:
        PublicServiceClient(server.base_url + "/khong-co", token).fetch_month(UNIT, "2025-08")
    assert info.value.status_code == 404


def test_empty_month_is_valid(api):
    server, token = api
    records, fingerprint = PublicServiceClient(server.base_url, token).fetch_month(UNIT, "2023-06")
    assert len(records) == 0 and len(fingerprint) == 64
    obs = observations_from_public_service(records, UNIT, "2023-06")
    assert obs["denominator"].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("period", ["2024-01", "2025-01", "2025-06", "2025-12"])
def test_api_observations_match_the_parameters(api, period):
    server, token = api
    records, _ = PublicServiceClient(server.base_url, token).fetch_month(UNIT, period)
    obs = observations_from_public_service(records, UNIT, period).set_index("indicator_code")
    want = exp.dossier_month(int(period[:4]), int(period[5:]))
    assert obs.loc["DOSSIER_ONLINE", ["numerator", "denominator"]].tolist() == [want["online"], want["received"]]
    assert obs.loc["DOSSIER_ON_TIME", ["numerator", "denominator"]].tolist() == [want["on_time"], want["finished"]]
    assert obs.loc["DOSSIER_FEE_ONLINE", ["numerator", "denominator"]].tolist() == [want["fee_online"], want["fee"]]


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_exports_give_the_same_observations_as_the_parameters(samples_dir, dossiers, kind):
    for month in range(1, 13):
        period = f"2025-{month:02d}"
        path = samples_dir / "public_service" / "exports" / f"ho-so-{period}.{kind}"
        records = read_dossier_export(path)
        assert set(records["ma_ho_so"]) == month_codes(dossiers, period)
        obs = observations_from_public_service(records, UNIT, period).set_index("indicator_code")
        want = exp.dossier_month(2025, month)
        assert obs.loc["DOSSIER_ONLINE", ["numerator", "denominator"]].tolist() == [want["online"], want["received"]]
        assert obs.loc["DOSSIER_ON_TIME", ["numerator", "denominator"]].tolist() == [want["on_time"],
                                                                                     want["finished"]]
        assert obs.loc["DOSSIER_FEE_ONLINE", ["numerator", "denominator"]].tolist() == [want["fee_online"],
                                                                                        want["fee"]]
        assert set(obs["source_file"]) == {path.name}


def test_connection_resets_are_retried_over_loopback(api, dossiers):
    server, token = api
    sleeps = []
    server.misbehave.reset_next(2)
    records, _ = PublicServiceClient(server.base_url, token, sleep=sleeps.append,
                                     backoff_seconds=0.5).fetch_month(UNIT, "2025-08")
    assert set(records["ma_ho_so"]) == month_codes(dossiers, "2025-08")
    assert sleeps == [0.5, 1.0]  # two resets, two backoffs, then the answer


def test_a_slow_answer_times_out_and_is_retried(api, dossiers):
    server, token = api
    sleeps = []
    server.misbehave.slow_next(1, seconds=3.0)
    client = PublicServiceClient(server.base_url, token, timeout=(2.0, 0.3), sleep=sleeps.append)
    records, _ = client.fetch_month(UNIT, "2025-08")
    assert set(records["ma_ho_so"]) == month_codes(dossiers, "2025-08")
    assert sleeps == [1.0]


def test_resets_that_never_stop_end_as_a_retriable_error(api):
    from connectors.errors import RetriableSourceError

    server, token = api
    server.misbehave.reset_next(3)
    with pytest.raises(RetriableSourceError) as info:
        PublicServiceClient(server.base_url, token, max_attempts=3, sleep=lambda s: None).fetch_month(UNIT, "2025-08")
    assert "could not connect" in str(info.value) and token not in str(info.value)


def test_a_short_page_and_duplicates_keep_every_dossier_once(api, dossiers):
    server, token = api
    server.misbehave.short_page = True
    server.misbehave.duplicate_across_pages = True
    records, _ = PublicServiceClient(server.base_url, token, page_size=100).fetch_month(UNIT, "2025-03")
    assert records["ma_ho_so"].is_unique
    assert set(records["ma_ho_so"]) == month_codes(dossiers, "2025-03")


# ------------------------------------------------------------------ every page checked (issue 16), over loopback
def received_codes(dossiers, period):
    return {d["MaHoSo"] for d in dossiers if in_month(d["NgayTiepNhan"], period)}


def test_a_total_that_shrinks_on_one_pull_is_pulled_again_and_gives_the_whole_month(api, dossiers):
    server, token = api
    server.misbehave.shrink_next(1)  # page 2 of the first pull reports half the total
    records, _ = PublicServiceClient(server.base_url, token, page_size=300).fetch_month(UNIT, "2025-04")
    assert set(records["ma_ho_so"]) == month_codes(dossiers, "2025-04")


def test_a_total_that_shrinks_on_every_pull_is_refused_after_one_re_pull(api, dossiers):
    server, token = api
    total = len(received_codes(dossiers, "2025-04"))
    assert total > 300  # several pages
    server.misbehave.shrink_next(1000)
    seen = server.misbehave.requests_seen
    with pytest.raises(FatalSourceError) as info:
        PublicServiceClient(server.base_url, token, page_size=300).fetch_month(UNIT, "2025-04")
    message = str(info.value)
    assert message.startswith("api:/api/v1/ho-so?ma_don_vi=10549&tu_ngay=01/04/2025&den_ngay=30/04/2025"
                              "&loc_theo=tiep_nhan&trang=2&so_ban_ghi=300: ")
    assert f"tong_so is {total // 2} on page 2 but was {total} on page 1" in message
    assert "second pull" in message and token not in message
    assert server.misbehave.requests_seen - seen == 4  # pages 1 and 2, twice; never retried as a transient error


def test_a_server_that_ignores_the_page_number_is_refused(api):
    server, token = api
    server.misbehave.ignore_page = True
    seen = server.misbehave.requests_seen
    with pytest.raises(FatalSourceError) as info:
        PublicServiceClient(server.base_url, token, page_size=300).fetch_month(UNIT, "2025-05")
    assert "&trang=2&so_ban_ghi=300: page 2 repeats 300 dossiers already received" in str(info.value)
    assert server.misbehave.requests_seen - seen == 2


@pytest.mark.parametrize("offset", [25, -25])
def test_a_total_that_does_not_count_the_records_is_refused(api, offset):
    server, token = api
    server.misbehave.total_offset = offset
    with pytest.raises(FatalSourceError, match="the same on a second pull"):
        PublicServiceClient(server.base_url, token, page_size=300).fetch_month(UNIT, "2025-05")


def test_a_gzip_bomb_is_refused_by_the_size_cap_without_inflating_in_memory(api):
    import tracemalloc

    server, token = api
    server.misbehave.bomb_next(1, inflated_mib=256)  # about 256 KiB on the wire
    client = PublicServiceClient(server.base_url, token, page_size=300, max_answer_bytes=4 << 20)
    seen = server.misbehave.requests_seen
    tracemalloc.start()
    try:
        with pytest.raises(FatalSourceError) as info:
            client.fetch_month(UNIT, "2025-05")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "larger than 4 MiB once decompressed (Content-Encoding: gzip" in str(info.value)
    assert "trang=1&so_ban_ghi=300" in str(info.value)
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MiB held while reading a 256 MiB bomb"
    assert server.misbehave.requests_seen - seen == 1  # a cap is final: not retried


def test_a_compressed_answer_under_the_cap_reads(api, dossiers):
    server, token = api
    server.misbehave.bomb_next(1, inflated_mib=1)  # page 1 gzip-compressed with 1 MiB of spaces: valid JSON
    records, _ = PublicServiceClient(server.base_url, token, page_size=300).fetch_month(UNIT, "2025-05")
    assert set(records["ma_ho_so"]) == month_codes(dossiers, "2025-05")
