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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guiutil import Window, check, mkfirmware, partitions, provision, run_test, user_snapshot  # noqa: E402

TOUCHED = ("lk", "boot", "recovery", "logo", "secro", "tee1", "tee2", "system", "cache", "userdata")


def body(tmp, env):
    pkg = mkfirmware(tmp)
    state = provision(tmp)
    parts = partitions(env, "emu:mt6737,state=" + state)
    pause = "pause-at-write=user:%#x:1" % (parts["system"]["start"] + (1 << 20))
    port = "emu:mt6737,state=%s,speed=usb2-fs,faults=%s" % (state, pause)
    before = user_snapshot(state, parts, TOUCHED)
    with Window(env, port, pkg) as w:
        w.wait_flash_sensitive(True)
        w.click("Flash")
        # The in-process emulator stops the whole window (SIGSTOP) at that write.
        _, status = os.waitpid(w.proc.pid, os.WUNTRACED)
        check(os.WIFSTOPPED(status), "the window stopped at the planted write (status %#x)" % status)
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
