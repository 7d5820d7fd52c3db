"""SIGTERM unwinds like Ctrl-C: what ``kill``, ``timeout`` and ``docker stop`` send cleans up the same way.

:func:`exit_on_sigterm` (the CLI and its launcher call it first) makes SIGTERM raise
:class:`Terminated`, a :class:`KeyboardInterrupt`, in the main thread, so every
``finally`` and ``except BaseException`` that cleans up after Ctrl-C (xelatex process
groups killed, job folders removed, no partial PDF) runs for SIGTERM too. A second
SIGTERM during that cleanup is ignored; SIGKILL still stops the process at once.
"""

from __future__ import annotations

import signal
from types import FrameType

__all__ = ["EXIT_TERMINATED", "Terminated", "exit_on_sigterm"]

EXIT_TERMINATED = 128 + signal.SIGTERM  # what a shell reports for a process SIGTERM stopped


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM; handled wherever KeyboardInterrupt is."""


def exit_on_sigterm() -> None:
    """Make SIGTERM raise :class:`Terminated` in the main thread (call from the main thread)."""
    signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the cleanup the exception starts is not cut short
    raise Terminated()
