"""What a `thidua` command prints on its terminal besides its own lines.

The command itself says how a run ended: one sentence for a user's or operator's mistake or an unreachable
service, a traceback for a bug (`flows.cli.friendly`). Prefect would print the same failure again, with
the flow's and task's traceback, through the console handler of its logging; and at interpreter exit its
background services (the events and API-log workers) may log what they could not send to the temporary
server, which stops at that moment, or find their event loop closed. So, for a `thidua` command only:

- records of the run loggers (``prefect.flow_runs``, ``prefect.task_runs``) at ERROR and above do not reach
  the console (they still reach the run's logs in the Prefect API, for the UI);
- once the command has returned, Prefect's shutdown is silent on the console: the records Prefect's own
  loggers emit while the process exits, and the tracebacks its service threads would print.

The hook is installed when Prefect configures its logging (nothing is imported before: ``thidua --help``
stays fast) and again each time Prefect configures it. Workers and tests are untouched.
"""

from __future__ import annotations

import logging
import sys
import threading

from flows.import_hook import when_imported

CONFIG_MODULE = "prefect.logging.configuration"
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
_state = {"exiting": False}


class ConsoleFilter(logging.Filter):
    """Drops, on the console only, run failures the command reports itself, and everything at exit."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _state["exiting"]:
            return False
        return not (record.levelno >= logging.ERROR and record.name.startswith(RUN_LOGGERS))


_FILTER = ConsoleFilter()


def quiet_prefect_console() -> None:
    """Install the filter on Prefect's console handlers now, or when Prefect sets its logging up (idempotent)."""
    already = CONFIG_MODULE in sys.modules
    when_imported(CONFIG_MODULE, _wrap)
    if already:
        _attach()


def command_finished() -> None:
    """The command has said how it ended: what Prefect logs or prints while the process exits is noise.

    Service threads that fail at exit report through `threading.excepthook`; those of Prefect's services are
    silenced too (a thread of ours still reports)."""
    _state["exiting"] = True
    # Prefect's API-log worker writes "--- Error logging to API ---" (and, at DEBUG, a traceback) straight to
    # stderr when the temporary server is gone, but only while logging.raiseExceptions is set: the stdlib's
    # switch for errors inside logging, off once there is nothing left to report.
    logging.raiseExceptions = False
    previous = threading.excepthook

    def hook(args):
        if _from_prefect(args.exc_traceback):
            return
        previous(args)

    threading.excepthook = hook
    previous_unraisable = sys.unraisablehook

    def unraisable(args):  # "Exception ignored in <coroutine …>" of Prefect's loops being torn down
        if not _from_prefect(args.exc_traceback):
            previous_unraisable(args)

    sys.unraisablehook = unraisable


NOISY_MODULES = ("prefect", "anyio", "asyncio", "httpx", "httpcore", "websockets", "concurrent")


def _from_prefect(tb) -> bool:
    """Whether a traceback passes through Prefect (or the libraries its services run on)."""
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(NOISY_MODULES):
            return True
        tb = tb.tb_next
    return False


def _attach() -> None:
    """The filter on the terminal's handlers: the root's console handler and the one of Prefect's internal
    logger (it does not propagate; its services report their failures there)."""
    for name in ("", "prefect._internal"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def _wrap(module) -> None:
    setup = module.setup_logging
    if getattr(setup, "_thidua_quiet", False):
        return

    def setup_logging(*args, **kwargs):
        result = setup(*args, **kwargs)
        _attach()
        return result

    setup_logging._thidua_quiet = True
    module.setup_logging = setup_logging
