"""Settings: the ONE place that reads the environment.

Every other package receives plain values (URLs, paths, tokens) from here. Variables (all optional; see
`.env.example`):

- ``THIDUA_DATA_DIR``: working folder (default ``./data``).
- ``THIDUA_WAREHOUSE_URL``: SQLAlchemy URL of the warehouse (default: SQLite file
  ``$THIDUA_DATA_DIR/warehouse.sqlite``; production: ``postgresql+psycopg://user@host/db``).
- ``THIDUA_INBOX``: deliveries folder, laid out ``<unit>/<source>/<YYYY-MM>/<file>`` (default
  ``$THIDUA_DATA_DIR/inbox``).
- ``THIDUA_CATALOGUE``: target catalogue YAML (default ``catalogue/ke-hoach-2025-10549.yaml``).
- ``THIDUA_UNIT``: default unit code (default ``10549``).
- ``THIDUA_PUBLIC_SERVICE_URL`` / ``THIDUA_PUBLIC_SERVICE_TOKEN``: the one-stop dossier API (secret token).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CATALOGUE = REPO_ROOT / "catalogue" / "ke-hoach-2025-10549.yaml"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one process (secrets excluded from repr)."""

    data_dir: Path
    warehouse_url: str
    inbox_dir: Path
    catalogue_path: Path
    unit_code: str
    public_service_url: str | None
    public_service_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("THIDUA_DATA_DIR") or "data").resolve()
        return cls(
            data_dir=data_dir,
            warehouse_url=env.get("THIDUA_WAREHOUSE_URL") or f"sqlite:///{data_dir / 'warehouse.sqlite'}",
            inbox_dir=Path(env.get("THIDUA_INBOX") or data_dir / "inbox").resolve(),
            catalogue_path=Path(env.get("THIDUA_CATALOGUE") or DEFAULT_CATALOGUE).resolve(),
            unit_code=env.get("THIDUA_UNIT") or "10549",
            public_service_url=env.get("THIDUA_PUBLIC_SERVICE_URL") or None,
            public_service_token=env.get("THIDUA_PUBLIC_SERVICE_TOKEN") or None,
        )

    def with_overrides(self, **changes) -> Settings:
        """A copy with some values replaced (used by tests and the demo)."""
        return replace(self, **changes)


def get_settings() -> Settings:
    """Settings read lazily from the environment at call time (never at import time)."""
    return Settings.from_env()
