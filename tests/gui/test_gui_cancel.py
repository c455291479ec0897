#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cancel in the middle of writing: on a full-speed USB link (1 MB/s, so the
rest of `system` takes seconds) the emulator's pause-at-write fault stops the
window's process at 1 MiB into `system`; the test sees it stop, lets it go
on and presses Cancel at once.  The result says "rolled back" and every
partition the package touches is as before."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guiutil import Window, check, mkfirmware, partitions, provision, run_test, user_snapshot  # noqa: E402

TOUCHED = ("lk", "boot", "recovery", "logo", "secro", "tee1", "tee2", "system", "cache", "userdata")


def wait_stopped(pid, timeout=120.0):
    """The child's wait status once it has stopped or ended; None after `timeout` s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got, status = os.waitpid(pid, os.WUNTRACED | os.WNOHANG)
        if got:
            return status
        time.sleep(0.02)  # polling waitpid: there is no waitpid with a timeout
    return None


def body(tmp, env):
    pkg = mkfirmware(tmp)
    state = provision(tmp)
    parts = partitions(env, "emu:mt6737,state=" + state)
    # The first block of system always holds data (a sparse image's holes are never sent).
    pause = "pause-at-write=user:%#x:1" % parts["system"]["start"]
    port = "emu:mt6737,state=%s,speed=usb2-fs,faults=%s" % (state, pause)
    before = user_snapshot(state, parts, TOUCHED)
    with Window(env, port, pkg) as w:
        w.wait_flash_sensitive(True)
        w.click("Flash")
        # The in-process emulator stops the whole window (SIGSTOP) at that write.
        status = wait_stopped(w.proc.pid)
        if not check(status is not None and os.WIFSTOPPED(status), "the window stopped at the planted write "
                     "(status %r)" % status):
            return
        os.kill(w.proc.pid, signal.SIGCONT)
        w.need("write: running", "label")
        w.screenshot("writing")
        w.click("Cancel")
        res = w.wait_result("rolled back", "Verified", "Failed", "Refused")
        check("rolled back" in res, "Cancel ends with 'rolled back': %r" % res)
        w.screenshot("rolled-back")
    after = user_snapshot(state, parts, TOUCHED)
    for n in TOUCHED:
        check(before[n] == after[n], "after Cancel, %s is as before" % n)


if __name__ == "__main__":
    sys.exit(run_test("gui-cancel-", body))
