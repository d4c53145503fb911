"""Fan a month's close out over many wards: one `monthly-close` deployment run per ward.

Each ward's close is an independent flow run that any worker of the pool can pick up, so adding
workers (on this machine or others pointed at the same Prefect server) closes a city faster. The
per-ward lock (`flows.locks`) still guarantees one close per ward at a time.
"""

from __future__ import annotations

import time

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.runtime import flow_run

from flows.monthly_close import previous_period
from flows.params import unit_codes_text

MONTHLY_CLOSE_DEPLOYMENT = "monthly-close/monthly-close"


@flow(name="close-units")
def close_units(unit_codes: list[str | int], period: str | None = None,
                deployment: str = MONTHLY_CLOSE_DEPLOYMENT, timeout_seconds: float = 3600) -> dict:
    """Trigger the monthly close of every unit as its own deployment run and wait for all of them.

    Returns:
        ``{"period", "runs": {unit_code: final state name}}``.
    """
    period = period or previous_period(flow_run.scheduled_start_time)
    runs = {code: run_deployment(deployment, parameters={"period": period, "unit_code": code},
                                 timeout=0, as_subflow=True)
            for code in unit_codes_text(unit_codes)}
    finished = {code: run_deployment_wait(run.id, timeout_seconds) for code, run in runs.items()}
    return {"period": period, "runs": finished}


def run_deployment_wait(flow_run_id, timeout_seconds: float, poll_seconds: float = 2.0) -> str:
    """Wait for a flow run to reach a final state; return the state's name ("Timeout" if it did not)."""
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + timeout_seconds
        while True:
            run = client.read_flow_run(flow_run_id)
            if run.state and run.state.is_final():
                return run.state.name
            if time.monotonic() > deadline:
                return "Timeout"
            time.sleep(poll_seconds)
