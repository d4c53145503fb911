"""Session fixtures of the metamorphic corpus: every variant file written once, every LibreOffice
conversion of the session in one `soffice` call per format, and each base delivery read once."""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.metamorphic import base
from tests.metamorphic.model import Export, write_book, write_export, write_xlsx
from tests.metamorphic.transforms import CORPORA, Variant, build, plan


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "metamorphic: the metamorphic corpus of issue 15 (harmless / harmful variants of every source)")


#: corpus -> its variants, fixed at import (the test ids)
PLANS: dict[str, list[Variant]] = {corpus: plan(corpus) for corpus in CORPORA}


@dataclass
class Built:
    variant: Variant
    path: Path | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def read_observations(corpus: str, path: Path):
    """The product's entry points, as the flows call them: SOURCES[source].read, then .to_observations."""
    from connectors import SOURCES

    source = base.BASES[corpus][0]
    records = SOURCES[source].read(path)
    return SOURCES[source].to_observations(records, base.UNIT, base.PERIOD)


@pytest.fixture(scope="session")
def corpus_files(tmp_path_factory) -> dict[str, Built]:
    """Every harmless variant of every corpus written to disk; .xls/.ods converted by LibreOffice in one
    call per format (session-wide), in a thread while the other variants are written."""
    from tests.metamorphic.model import convert_with_libreoffice

    root = tmp_path_factory.mktemp("metamorphic")
    staging = root / "staging"
    staging.mkdir()
    built: dict[str, Built] = {}
    jobs: list[tuple[Path, str]] = []
    pending: dict[Path, Built] = {}

    def write(variant: Variant) -> None:
        item = Built(variant)
        built[variant.id] = item
        stem = f"{variant.corpus}-{variant.index:03d}"
        try:
            delivery, item.notes = build(variant)
            if isinstance(delivery, Export):
                item.path = root / f"{stem}{delivery.suffix}"
                write_export(delivery, item.path)
            elif delivery.fmt in ("xls", "ods"):
                source = staging / f"{stem}.xlsx"
                write_xlsx(delivery, source)
                jobs.append((source, delivery.fmt))
                pending[source] = item
            else:
                item.path = root / f"{stem}{delivery.suffix}"
                write_book(delivery, item.path)
        except Exception:  # a generator bug shows on its own variant, not on the session
            item.error = "the generator failed:\n" + traceback.format_exc(limit=6)

    variants = [v for corpus in CORPORA for v in PLANS[corpus]]
    for variant in variants:  # first the ones LibreOffice converts …
        if variant.fmt in ("xls", "ods"):
            write(variant)
    outcome: dict = {}

    def convert() -> None:
        try:
            outcome["converted"] = convert_with_libreoffice(jobs, root)
        except Exception as exc:  # noqa: BLE001 - reported on every variant that needed it
            outcome["error"] = exc

    worker = threading.Thread(target=convert, name="soffice")
    worker.start()
    for variant in variants:  # … and, while it runs, all the others
        if variant.fmt not in ("xls", "ods"):
            write(variant)
    worker.join()
    for source, item in pending.items():
        if "error" in outcome:
            item.error = f"LibreOffice conversion failed: {outcome['error']}"
        elif source in outcome["converted"]:
            item.path = outcome["converted"][source]
        else:
            item.error = "LibreOffice wrote nothing for this file"
    return built


@dataclass
class BaseReading:
    expected: dict            # from the parameters
    observed: dict | None     # the product's reading of the base, or None when it refused / failed
    error: str | None
    path: Path


@pytest.fixture(scope="session")
def base_readings(tmp_path_factory) -> dict[str, BaseReading]:
    root = tmp_path_factory.mktemp("metamorphic-base")
    out = {}
    for corpus, (_source, builder, expected) in base.BASES.items():
        delivery = builder()
        path = root / f"{corpus}-base{delivery.suffix}"
        if isinstance(delivery, Export):
            write_export(delivery, path)
        else:
            write_book(delivery, path)
        try:
            observed, error = base.observed(read_observations(corpus, path)), None
        except Exception as exc:  # noqa: BLE001
            observed, error = None, f"{type(exc).__name__}: {exc}"
        out[corpus] = BaseReading(expected(), observed, error, path)
    return out
