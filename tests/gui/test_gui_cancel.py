#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cancel in the middle of writing: the phone is mtkemu on a pty, whose
pause-at-write fault stops the emulator (not the window) at the first block
of `system`, so the window stays responsive with its write held there: it
shows the write running, the test presses Cancel, then lets the emulator go
on.  The result says "rolled back" and every partition the package touches
is as before.  No link-speed model: the write waits on the stopped phone,
not on a race with a slow link."""
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guiutil import (MTKEMU, Window, check, mkfirmware, partitions, provision, run_test,  # noqa: E402
                     user_snapshot)
from mtkutil import read_line, stop_emu  # noqa: E402

TOUCHED = ("lk", "boot", "recovery", "logo", "secro", "tee1", "tee2", "system", "cache", "userdata")


def start_phone(tmp, state, faults):
    """mtkemu serving `state` on a pty with `faults`; (process, port)."""
    link = os.path.join(tmp, "tty")
    log = open(os.path.join(tmp, "mtkemu.log"), "wb")
    emu = subprocess.Popen([MTKEMU, "--chip", "mt6737", "--state", state, "--link", link, "--faults", faults],
                           stdout=subprocess.PIPE, stderr=log)
    log.close()
    check(read_line(emu) == "ready " + link, "mtkemu ready on %s" % link)
    return emu, "serial:" + link


def wait_stopped(emu):
    """Blocks until mtkemu has stopped itself at the planted write; whether it did."""
    _, status = os.waitpid(emu.pid, os.WUNTRACED)
    if os.WIFSTOPPED(status):
        return True
    emu.returncode = os.waitstatus_to_exitcode(status)
    return check(False, "mtkemu stopped at the planted write (it ended: %d)" % emu.returncode)


def body(tmp, env):
    pkg = mkfirmware(tmp)
    state = provision(tmp)
    parts = partitions(env, "emu:mt6737,state=" + state)
    before = user_snapshot(state, parts, TOUCHED)
    # The first block of system always holds data (a sparse image's holes are never sent).
    emu, port = start_phone(tmp, state, "pause-at-write=user:%#x:1" % parts["system"]["start"])
    try:
        with Window(env, port, pkg) as w:
            w.wait_flash_sensitive(True)
            w.click("Flash")
            if not wait_stopped(emu):
                return
            w.need("write: running", "label")
            w.screenshot("writing")
            w.click("Cancel")
            os.kill(emu.pid, signal.SIGCONT)
            res = w.wait_result("rolled back", "Verified", "Failed", "Refused")
            check("rolled back" in res, "Cancel ends with 'rolled back': %r" % res)
            w.screenshot("rolled-back")
    finally:
        if emu.returncode is None:  # a failed test must not leave it stopped
            os.kill(emu.pid, signal.SIGCONT)
        check(stop_emu(emu) == 0, "mtkemu exits 0 on SIGTERM")
    after = user_snapshot(state, parts, TOUCHED)
    for n in TOUCHED:
        check(before[n] == after[n], "after Cancel, %s is as before" % n)


if __name__ == "__main__":
    sys.exit(run_test("gui-cancel-", body))
