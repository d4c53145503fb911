"""Generated inputs, cached under ``data/bench/`` keyed by generator, seed and parameters.

A cache folder is complete when its ``.complete.json`` (the parameters it was made with) exists; a folder
without it (an interrupted run) is regenerated from scratch.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from bench.common import BENCH_DATA, ROOT

WARD_CATALOGUE = ROOT / "catalogue" / "ke-hoach-2025-10549.yaml"


def cached(key: str, params: dict, make: Callable[[Path], object]) -> Path:
    """The folder ``data/bench/<key>``, made by ``make(folder)`` unless a complete copy exists."""
    folder = BENCH_DATA / key
    marker = folder / ".complete.json"
    if marker.exists() and json.loads(marker.read_text()) == params:
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    make(folder)
    marker.write_text(json.dumps(params))
    return folder


def ward_samples(seed: int = 2025) -> Path:
    """The single-ward sample set (``samples.generate``): 10549, 2024-01 … 2025-12, files and dossiers.json."""
    from samples.generate import generate

    return cached(f"ward-s{seed}", {"generator": "samples.generate", "seed": seed},
                  lambda out: generate(out, seed=seed))


def city(n_units: int, periods: list[str], seed: int = 2025, sources: tuple[str, ...] | None = None) -> Path:
    """A synthetic city (``samples.city.generate_city``): inbox, dossiers.sqlite, one plan per ward."""
    from samples import city as city_gen

    params = {"generator": "samples.city", "n_units": n_units, "seed": seed, "periods": periods}
    kwargs = {}
    if sources:
        params["sources"] = list(sources)
        kwargs["sources"] = tuple(sources)
    key = f"city-u{n_units}-s{seed}-{periods[0]}-{periods[-1]}" + (f"-{'-'.join(sources)}" if sources else "")
    return cached(key, params, lambda out: city_gen.generate_city(out, n_units=n_units, seed=seed,
                                                                  periods=periods, workers=os.cpu_count() or 1,
                                                                  **kwargs))


def city_units(folder: Path) -> list[str]:
    """The ward codes of a generated city, in the manifest's order."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [u["unit_code"] for u in manifest["units"]]


def city_plans(folder: Path) -> list[Path]:
    """The plan YAMLs of a generated city."""
    return sorted((folder / "catalogue").glob("ke-hoach-*.yaml"))


def dossier_store(folder: Path) -> Path:
    """What the stand-in serves for a sample folder: dossiers.sqlite (city) or dossiers.json (ward)."""
    for name in ("dossiers.sqlite", "dossiers.json"):
        if (folder / "public_service" / name).exists():
            return folder / "public_service" / name
    raise FileNotFoundError(f"no dossier store under {folder / 'public_service'}")
