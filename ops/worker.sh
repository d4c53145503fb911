#!/usr/bin/env bash
# Start a worker of the thidua-process pool. Run one per machine (or more); all share the server.
# The worker's environment is the flows' environment: set THIDUA_* (warehouse URL, inbox, API) here
# or in the systemd unit (docs/operations.md). The flow runs it starts log at INFO to the server whatever
# PREFECT_LOGGING_LEVEL this worker has (prefect.yaml sets it in the work pool's job_variables).
set -euo pipefail
cd "$(dirname "$0")/.."
export PREFECT_API_URL="${PREFECT_API_URL:-http://127.0.0.1:4200/api}"
export THIDUA_HOME="${THIDUA_HOME:-$PWD}"
exec .venv/bin/prefect worker start --pool thidua-process "$@"
