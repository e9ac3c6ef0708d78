"""A job worker takes only the CPU time the web server leaves (``web.worker_process.yield_cpu``).

Checked in real child processes, as the kernel reports them: the test process itself must keep
its own priority.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling policies")

REPORT = (
    "import os\n"
    "from web.worker_process import yield_cpu\n"
    "yield_cpu()\n"
    "print(os.sched_getscheduler(0) == os.SCHED_IDLE)\n"
    "print((open('/proc/self/autogroup').read().split() or ['root'])[-1])\n"
)
AUTOGROUP = Path("/proc/self/autogroup")


def _our_autogroup_nice() -> str:
    """The nice of this process's autogroup, or "root" for the kernel's default group.

    A process whose session began outside any autogroup (a service manager's, a container's
    init) reads an empty file: the root group has no nice of its own to report.
    """
    return (AUTOGROUP.read_text().split() or ["root"])[-1]


def _report(*, own_session: bool) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", REPORT],
        capture_output=True,
        text=True,
        check=True,
        start_new_session=own_session,
    )
    return done.stdout.split()


@pytest.mark.skipif(not AUTOGROUP.exists(), reason="the kernel has no autogroups")
def test_a_worker_leading_its_session_runs_idle_and_lowers_its_session_too() -> None:
    # hub serve's child worker leads a session of its own; Linux shares the CPU between sessions
    # first, so only the session's weight keeps it from taking half of the machine.
    assert _report(own_session=True) == ["True", "19"]


@pytest.mark.skipif(not AUTOGROUP.exists(), reason="the kernel has no autogroups")
def test_a_worker_inside_another_session_leaves_that_session_alone() -> None:
    ours = _our_autogroup_nice()
    assert _report(own_session=False) == ["True", ours]
    assert _our_autogroup_nice() == ours
