"""The temporary Prefect server of a `thidua` command lives and dies with that command.

Without ``PREFECT_API_URL``, Prefect 3.8 starts a temporary ("ephemeral") API server as a child process
(``python -m uvicorn … prefect.server.api.server:create_app``, in
``prefect.server.api.server.SubprocessASGIServer._run_uvicorn_command``) and stops it from an ``atexit``
handler. ``atexit`` does not run when the command is killed (SIGKILL) or terminated (SIGTERM's default
action), so each killed command used to leave a ~200 MB server behind.

`tie_ephemeral_server_to_this_process` makes Linux kill that child when its parent dies, however it dies:
the child sets ``PR_SET_PDEATHSIG`` (prctl) to SIGKILL before it executes the server. The kernel sends the
signal when the *thread* that forked the child ends, so the server is always forked by one long-lived
daemon thread of ours, never by a short-lived thread of Prefect's. The hook is installed when Prefect
imports its server module (nothing is imported before: ``thidua --help`` stays fast), and only changes the
``subprocess.Popen`` that module sees. The server's output goes to ``$PREFECT_HOME/ephemeral-server.log``,
not to the terminal (stopped at exit, it printed shutdown tracebacks after the command's answer).
Elsewhere than on Linux it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
import types
from pathlib import Path

from flows.import_hook import when_imported

SERVER_MODULE = "prefect.server.api.server"
PR_SET_PDEATHSIG = 1


def tie_ephemeral_server_to_this_process() -> None:
    """Make every temporary Prefect server started by this process die with it (Linux; idempotent)."""
    if not sys.platform.startswith("linux"):
        return
    when_imported(SERVER_MODULE, _patch)


def _patch(module: types.ModuleType) -> None:
    if not isinstance(getattr(module, "subprocess", None), _SubprocessOfOurs):
        module.subprocess = _SubprocessOfOurs("subprocess")


class _SubprocessOfOurs(types.ModuleType):
    """``subprocess`` as Prefect's server module sees it: the same, but for `_PopenDyingWithUs`."""

    def __getattr__(self, name: str):
        if name == "Popen":
            return _PopenDyingWithUs
        return getattr(subprocess, name)


class _PopenDyingWithUs(subprocess.Popen):
    """A Popen whose child gets SIGKILL when this process ends, forked by our long-lived owner thread."""

    def __init__(self, *args, **kwargs):
        if kwargs.get("preexec_fn") is None:
            kwargs["preexec_fn"] = _die_with_parent(os.getpid())
        log = None
        if kwargs.get("stdout") is None and kwargs.get("stderr") is None:
            # The server's own output is no business of the terminal: stopped at exit, it printed hundreds of
            # lines of shutdown tracebacks (CancelledError, aiosqlite) after the command's answer.
            log = open(_server_log(), "ab")  # the child keeps its copy; ours closes below
            kwargs["stdout"] = kwargs["stderr"] = log
        try:
            _OWNER.call(lambda: subprocess.Popen.__init__(self, *args, **kwargs))
        finally:
            if log is not None:
                log.close()


def _server_log() -> Path:
    """Where the temporary server writes: ``$PREFECT_HOME/ephemeral-server.log`` (Prefect's home folder)."""
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home / "ephemeral-server.log"


def _die_with_parent(parent_pid: int):
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before the fork

    def preexec() -> None:  # runs in the child, between fork and exec
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before the prctl: nobody would signal us
            os._exit(1)

    return preexec


class _OwnerThread:
    """One daemon thread that forks the servers, alive as long as the process (PDEATHSIG follows threads)."""

    def __init__(self):
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    def call(self, fn):
        with self._guard:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="thidua-ephemeral-server-owner",
                                                daemon=True)
                self._thread.start()
        done = threading.Event()
        box: list = []
        self._jobs.put((fn, box, done))
        done.wait()
        ok, value = box[0]
        if not ok:
            raise value
        return value

    def _serve(self) -> None:
        while True:
            fn, box, done = self._jobs.get()
            try:
                box.append((True, fn()))
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
                box.append((False, exc))
            done.set()


_OWNER = _OwnerThread()
