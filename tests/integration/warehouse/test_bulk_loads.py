"""load_deliveries on both engines: a batch in one transaction gives exactly what one load_delivery per
delivery gives; reruns change nothing; a bad delivery leaves nothing of its batch; dossiers live and die
with their load."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from connectors.public_service import dossier_facts, read_dossier_export
from warehouse import load, models
from warehouse.errors import LoadError

NAN = float("nan")
U1, U2 = "10549", "90001"


def figures(source: str, unit: str, *rows) -> pd.DataFrame:
    """Observations for August 2025: (indicator, member, value) triples, lineage filled in."""
    return pd.DataFrame([{"indicator_code": indicator, "unit_code": unit, "period": "2025-08", "member_code": member,
                          "value": value, "numerator": NAN, "denominator": NAN, "text_value": None,
                          "source_file": f"{source}-2025-08.xlsx", "sheet": "Sheet", "row_number": 10 + i,
                          "column_name": "Thực hiện tháng", "raw_text": None if value != value else f"{value:g}"}
                         for i, (indicator, member, value) in enumerate(rows)])


def dossier_rows(unit: str, *codes: str) -> pd.DataFrame:
    return pd.DataFrame({"dossier_code": list(codes), "unit_code": unit, "period": "2025-08",
                         "procedure_code": "2.000815", "channel": [2] * len(codes),
                         "received_at": pd.Timestamp("2025-08-04 07:39:57"), "is_paid_online": False,
                         "fee_vnd": 18000.0})


def delivery(source: str, unit: str, fingerprint: str, observations: pd.DataFrame, **kw) -> load.DeliveryToLoad:
    return load.DeliveryToLoad(source_code=source, unit_code=unit, period="2025-08", fingerprint=fingerprint * 64,
                               file_name=f"{source}-2025-08.xlsx", flow_run_id="run-1",
                               rows_read=len(observations), observations=observations, **kw)


def validation(source: str, unit: str) -> dict:
    return {"suite_name": f"{source}:{unit}:2025-08", "success": True, "evaluated_count": 7, "failed_count": 0}


# What is in force before the batch: tax and health of U1.
BASE = [delivery("tax", U1, "a", figures("tax", U1, ("REV_YTD", "TONG", 110e9), ("REV_YTD", "I.1", NAN))),
        delivery("health", U1, "b", figures("health", U1, ("HEALTH_STATION", "TYT10549", 1.0)))]
# The batch: tax of U1 again (same file), health of U1 corrected, tax of U2 and the dossiers of U1 new.
BATCH = [BASE[0],
         delivery("health", U1, "c", figures("health", U1, ("HEALTH_STATION", "TYT10549", 0.0)),
                  validation=validation("health", U1)),
         delivery("tax", U2, "d", figures("tax", U2, ("REV_YTD", "TONG", 5e9), ("REV_PRIOR_YTD", "TONG", 4e9)),
                  validation=validation("tax", U2)),
         delivery("public_service", U1, "e", figures("public_service", U1, ("DOSSIER_ONLINE", "", 50.0)),
                  dossiers=dossier_rows(U1, "HS-1", "HS-2"))]


def load_one_by_one(engine, deliveries) -> list[load.LoadResult]:
    return [load.load_delivery(engine, source_code=d.source_code, unit_code=d.unit_code, period=d.period,
                               fingerprint=d.fingerprint, file_name=d.file_name, flow_run_id=d.flow_run_id,
                               rows_read=d.rows_read, observations=d.observations, validation=d.validation,
                               dossiers=d.dossiers) for d in deliveries]


def scalar(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every stored row, with load ids replaced by the load's (source, unit, period, fingerprint, status)."""
    key = "l.source_code, l.unit_code, l.period, l.fingerprint, l.status"
    queries = {
        "loads": "SELECT l.source_code, l.unit_code, l.period, l.fingerprint, l.file_name, l.flow_run_id, "
                 "l.rows_read, l.rows_loaded, l.status, l.message, s.fingerprint, l.finished_at IS NULL "
                 "FROM loads l LEFT JOIN loads s ON s.load_id = l.superseded_by_load_id",
        "observations": f"SELECT {key}, o.indicator_code, o.unit_code, o.period, o.member_code, o.value, "
                        "o.numerator, o.denominator, o.text_value, o.source_file, o.sheet, o.row_number, "
                        "o.column_name, o.raw_text FROM observations o JOIN loads l ON l.load_id = o.load_id",
        "validation_results": f"SELECT {key}, v.suite_name, v.is_success, v.evaluated_count, v.failed_count, "
                              "v.result_json FROM validation_results v JOIN loads l ON l.load_id = v.load_id",
        "dossiers": f"SELECT {key}, d.dossier_code, d.unit_code, d.period, d.procedure_code, d.field_code, "
                    "d.service_level, d.channel, d.received_at, d.due_at, d.finished_at, d.returned_at, "
                    "d.rejected_at, d.status_code, d.is_paid_online, d.fee_vnd "
                    "FROM dossiers d JOIN loads l ON l.load_id = d.load_id",
    }
    with engine.connect() as conn:
        return {name: sorted((tuple(r) for r in conn.execute(sa.text(sql))), key=repr)
                for name, sql in queries.items()}


def delete_every_load(engine) -> None:
    with engine.begin() as conn:
        conn.execute(models.dossiers.delete())  # no foreign key to cascade from (migration 0005)
        conn.execute(models.loads.update().values(superseded_by_load_id=None))
        conn.execute(models.loads.delete())


def outcome(results: list[load.LoadResult]) -> list[tuple]:
    return [(r.status, r.rows_loaded, r.replaced_load_id is not None) for r in results]


def test_a_batch_equals_one_load_per_delivery_row_for_row(engine):
    load_one_by_one(engine, BASE)
    one_by_one = load_one_by_one(engine, BATCH)
    expected = snapshot(engine)

    delete_every_load(engine)  # observations and validation results go with their loads
    assert [scalar(engine, f"SELECT count(*) FROM {t}")
            for t in ("observations", "validation_results", "dossiers")] == [0, 0, 0]

    load_one_by_one(engine, BASE)
    batched = load.load_deliveries(engine, BATCH)
    assert snapshot(engine) == expected
    assert outcome(batched) == outcome(one_by_one) == [
        ("unchanged", 2, False), ("replaced", 1, True), ("loaded", 2, False), ("loaded", 1, False)]
    assert batched[0].load_id == scalar(engine, "SELECT load_id FROM loads WHERE fingerprint = '" + "a" * 64 + "'")
    assert len(expected["dossiers"]) == 2 and len(expected["validation_results"]) == 2
    assert len(expected["observations"]) == 2 + 1 + 1 + 2 + 1  # the superseded health load's row stays


def test_a_batch_delivered_again_is_unchanged_and_writes_nothing(engine):
    first = load.load_deliveries(engine, BATCH)
    before = snapshot(engine)
    again = load.load_deliveries(engine, BATCH)
    assert [r.status for r in again] == ["unchanged"] * 4
    assert [r.load_id for r in again] == [r.load_id for r in first]
    assert [r.rows_loaded for r in again] == [2, 1, 2, 1]
    assert snapshot(engine) == before


def test_a_replaced_delivery_supersedes_and_keeps_its_dossiers_for_history(engine):
    (first,) = load.load_deliveries(engine, [BATCH[3]])
    corrected = delivery("public_service", U1, "f", figures("public_service", U1, ("DOSSIER_ONLINE", "", 66.7)),
                         dossiers=dossier_rows(U1, "HS-1", "HS-2", "HS-3"))
    (second,) = load.load_deliveries(engine, [corrected])
    assert (second.status, second.replaced_load_id) == ("replaced", first.load_id)
    with engine.connect() as conn:
        per_load = dict(conn.execute(sa.text("SELECT load_id, count(*) FROM dossiers GROUP BY load_id")).all())
        states = conn.execute(sa.text("SELECT load_id, status, superseded_by_load_id FROM loads ORDER BY load_id"))
        assert [tuple(r) for r in states] == [(first.load_id, "superseded", second.load_id),
                                              (second.load_id, "loaded", None)]
    assert per_load == {first.load_id: 2, second.load_id: 3}
    # every dossier names a load that exists (no foreign key checks it since migration 0005: the loader does)
    assert scalar(engine, "SELECT count(*) FROM dossiers d LEFT JOIN loads l ON l.load_id = d.load_id "
                          "WHERE l.load_id IS NULL") == 0


def test_a_bad_period_in_the_middle_leaves_nothing_of_the_batch(engine):
    load_one_by_one(engine, BASE)
    before = snapshot(engine)
    bad = figures("tax", U2, ("REV_YTD", "TONG", 5e9), ("REV_PRIOR_YTD", "TONG", 4e9))
    bad.loc[1, "period"] = "2025-8"
    batch = [BATCH[0], BATCH[1], delivery("tax", U2, "d", bad), BATCH[3]]
    with pytest.raises(load.BatchLoadError) as info:
        load.load_deliveries(engine, batch)
    error = info.value
    assert error.culprit_keys == [("tax", U2, "2025-08")]
    assert error.batch_keys == [d.key for d in batch]
    assert str(error).startswith("tax 90001 2025-08: load failed, nothing written: observation REV_PRIOR_YTD: "
                                 "period '2025-8' is not YYYY-MM")
    after = snapshot(engine)
    for table in ("observations", "validation_results", "dossiers"):
        assert after[table] == before[table]
    # the loads in force are untouched; every delivery that needed writing has a `failed` trace
    failed = [r for r in after["loads"] if r[8] == "failed"]
    assert [r for r in after["loads"] if r[8] != "failed"] == before["loads"]
    assert sorted((r[0], r[1], r[3][0]) for r in failed) == [
        ("health", U1, "c"), ("public_service", U1, "e"), ("tax", U2, "d")]
    messages = {r[0]: r[9] for r in failed}
    assert "is not YYYY-MM" in messages["tax"]
    assert messages["health"].startswith("health 10549 2025-08: load failed, nothing written: the batch was "
                                         "rolled back because of tax 90001 2025-08")


def test_a_row_the_database_refuses_leaves_nothing_of_the_batch(engine):
    twice = figures("tax", U2, ("REV_YTD", "TONG", 1.0), ("REV_YTD", "TONG", 2.0))  # same natural key
    with pytest.raises(load.BatchLoadError, match="nothing written") as info:
        load.load_deliveries(engine, [BATCH[1], delivery("tax", U2, "d", twice)])
    assert info.value.culprit_keys == []  # the database does not say whose row it was
    assert [scalar(engine, f"SELECT count(*) FROM {t}") for t in ("observations", "validation_results")] == [0, 0]
    assert scalar(engine, "SELECT count(*) FROM loads WHERE status = 'failed'") == 2
    assert scalar(engine, "SELECT count(*) FROM loads WHERE status = 'loaded'") == 0


def test_a_batch_holds_each_delivery_once(engine):
    with pytest.raises(LoadError, match="repeated: \\['tax 10549 2025-08'\\]"):
        load.load_deliveries(engine, [BATCH[0], BATCH[1], BATCH[0]])
    assert scalar(engine, "SELECT count(*) FROM loads") == 0
    assert load.load_deliveries(engine, []) == []


# ------------------------------------------------------------------ dossier facts from a real export

EXPORT = {"tong_so": 3, "du_lieu": [
    {"MaHoSo": "000.00.10549-250804-0001", "MaTTHC": "2.000815", "TenTTHC": "Chứng thực bản sao",
     "MaLinhVuc": "CT", "TenLinhVuc": "Chứng thực", "MucDo": 3, "KenhThucHien": 1,
     "NgayTiepNhan": "04/08/2025 07:39:57", "NgayHenTra": "04/08/2025 17:00:00",
     "NgayKetThucXuLy": "04/08/2025 09:43:57", "NgayTra": "06/08/2025 11:18:24", "NgayTuChoi": None,
     "TrangThaiHoSo": 10, "DonViXuLy": "UBND phường Chu Văn An", "DuocThanhToanTrucTuyen": False,
     "DanhSachLePhi": [{"MaPhiLePhi": "LP.1", "TenPhiLePhi": "Phí", "Gia": 18000, "HinhThucThu": "tien-mat"}]},
    {"MaHoSo": "000.00.10549-250805-0002", "MaTTHC": "1.001612", "TenTTHC": "Đăng ký khai sinh",
     "MaLinhVuc": "HT", "TenLinhVuc": "Hộ tịch", "MucDo": 4, "KenhThucHien": 2,
     "NgayTiepNhan": "05/08/2025 08:00:00", "NgayHenTra": "06/08/2025 17:00:00",
     "NgayKetThucXuLy": "07/08/2025 10:00:00", "NgayTra": None, "NgayTuChoi": "07/08/2025 10:00:00",
     "TrangThaiHoSo": 6, "DonViXuLy": "UBND phường Chu Văn An", "DuocThanhToanTrucTuyen": True,
     "DanhSachLePhi": [{"MaPhiLePhi": "LP.2", "TenPhiLePhi": "Lệ phí", "Gia": 8000, "HinhThucThu": "truc-tuyen"}]},
    {"MaHoSo": "000.00.10549-250831-0003", "MaTTHC": "1.001612", "TenTTHC": "Đăng ký khai sinh",
     "MaLinhVuc": "HT", "TenLinhVuc": "Hộ tịch", "MucDo": 4, "KenhThucHien": 2,
     "NgayTiepNhan": "31/08/2025 16:59:59", "NgayHenTra": "03/09/2025 17:00:00",
     "NgayKetThucXuLy": None, "NgayTra": None, "NgayTuChoi": None,
     "TrangThaiHoSo": 4, "DonViXuLy": "UBND phường Chu Văn An", "DuocThanhToanTrucTuyen": False,
     "DanhSachLePhi": []},
]}


def test_dossier_facts_of_an_export_are_stored_with_the_load(engine, tmp_path):
    import datetime as dt

    path = tmp_path / "ho-so-2025-08.json"
    path.write_text(json.dumps(EXPORT, ensure_ascii=False), encoding="utf-8")
    facts = dossier_facts(read_dossier_export(path), U1, "2025-08")
    assert list(facts.columns) == [c.name for c in models.dossiers.c if c.name != "load_id"]
    result = load.load_delivery(engine, source_code="public_service", unit_code=U1, period="2025-08",
                                fingerprint="e" * 64, file_name=path.name, flow_run_id=None, rows_read=3,
                                observations=figures("public_service", U1, ("DOSSIER_ONLINE", "", 66.7)),
                                dossiers=facts)
    t = dt.datetime
    with engine.connect() as conn:
        got = [tuple(r)[1:] for r in conn.execute(sa.select(models.dossiers).order_by(models.dossiers.c.dossier_code))]
        load_ids = set(conn.execute(sa.select(models.dossiers.c.load_id)).scalars())
    assert load_ids == {result.load_id}
    assert got == [
        ("000.00.10549-250804-0001", U1, "2025-08", "2.000815", "CT", 3, 1, t(2025, 8, 4, 7, 39, 57),
         t(2025, 8, 4, 17), t(2025, 8, 4, 9, 43, 57), t(2025, 8, 6, 11, 18, 24), None, "10", False, 18000.0),
        ("000.00.10549-250805-0002", U1, "2025-08", "1.001612", "HT", 4, 2, t(2025, 8, 5, 8), t(2025, 8, 6, 17),
         t(2025, 8, 7, 10), None, t(2025, 8, 7, 10), "6", True, 8000.0),
        ("000.00.10549-250831-0003", U1, "2025-08", "1.001612", "HT", 4, 2, t(2025, 8, 31, 16, 59, 59),
         t(2025, 9, 3, 17), None, None, None, "4", False, 0.0),
    ]


def test_a_bieu06_report_has_no_dossier_facts():
    summary = pd.DataFrame({"stt": ["1"], "linh_vuc": ["Tổng số"], "da_gq_tong": [10.0]})
    facts = dossier_facts(summary, U1, "2025-08")
    assert facts.empty and list(facts.columns) == [c.name for c in models.dossiers.c if c.name != "load_id"]


def test_the_monthly_close_stores_the_dossiers_of_a_public_service_delivery(engine, warehouse_url, tmp_path):
    from flows import tasks

    path = tmp_path / "ho-so-2025-08.json"
    path.write_text(json.dumps(EXPORT, ensure_ascii=False), encoding="utf-8")
    records = read_dossier_export(path)
    delivery_read = tasks.Delivery("public_service", U1, "2025-08", path.name, "e" * 64, len(records),
                                   figures("public_service", U1, ("DOSSIER_ONLINE", "", 66.7)), path=path,
                                   records=records)
    result = tasks.load_observations.fn(warehouse_url, delivery_read, None)
    assert scalar(engine, f"SELECT count(*) FROM dossiers WHERE load_id = {result.load_id}") == 3
    tax = tasks.Delivery("tax", U1, "2025-08", "tax-2025-08.xlsx", "a" * 64, 2,
                         figures("tax", U1, ("REV_YTD", "TONG", 1.0)), records=pd.DataFrame({"x": [1]}))
    assert tasks.delivery_dossiers(tax) is None
