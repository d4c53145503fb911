#!/usr/bin/env bash
# Create the process work pool (once) and deploy every deployment of prefect.yaml to the server.
#   PREFECT_API_URL  default http://127.0.0.1:4200/api
set -euo pipefail
cd "$(dirname "$0")/.."
export PREFECT_API_URL="${PREFECT_API_URL:-http://127.0.0.1:4200/api}"
export THIDUA_HOME="${THIDUA_HOME:-$PWD}"
.venv/bin/prefect work-pool inspect thidua-process >/dev/null 2>&1 \
  || .venv/bin/prefect work-pool create thidua-process --type process
.venv/bin/prefect --no-prompt deploy --all
