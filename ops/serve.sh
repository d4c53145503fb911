#!/usr/bin/env bash
# Start a Prefect server backed by PostgreSQL (never SQLite: it falls behind under load).
#   PREFECT_PG_URL   server database, default postgresql+asyncpg://postgres@127.0.0.1:5432/prefect
#   PREFECT_PORT     default 4200 (loopback only; put a reverse proxy with auth in front to expose it)
#   PREFECT_UI_API_URL  the API address the UI (in the browser) calls; default http://127.0.0.1:$PREFECT_PORT/api
#                    (set it to the proxy's address when the UI is reached through one)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export PREFECT_API_DATABASE_CONNECTION_URL="${PREFECT_PG_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/prefect}"
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1
PORT="${PREFECT_PORT:-4200}"
export PREFECT_UI_API_URL="${PREFECT_UI_API_URL:-http://127.0.0.1:${PORT}/api}"
"$PY" - <<'PYEOF'
# Create the server's database when it does not exist yet (idempotent).
import os
import sqlalchemy as sa
url = sa.engine.make_url(os.environ["PREFECT_API_DATABASE_CONNECTION_URL"]).set(drivername="postgresql+psycopg")
admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
with admin.connect() as conn:
    if not conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).first():
        conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
        print(f"created database {url.database}")
PYEOF
exec .venv/bin/prefect server start --host 127.0.0.1 --port "$PORT"
