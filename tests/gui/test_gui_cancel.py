#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cancel in the middle of writing: on a full-speed USB link (1 MB/s, so the
write takes seconds) Cancel is pressed once the write stage runs; the result
says "rolled back" and every partition the package touches is as before."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guiutil import Window, check, mkfirmware, partitions, provision, run_test, user_snapshot, wait_for  # noqa: E402

TOUCHED = ("lk", "boot", "recovery", "logo", "secro", "tee1", "tee2", "system", "cache", "userdata")


def body(tmp, env):
    pkg = mkfirmware(tmp)
    state = provision(tmp)
    port = "emu:mt6737,state=%s,speed=usb2-fs" % state
    parts = partitions(env, "emu:mt6737,state=" + state)
    before = user_snapshot(state, parts, TOUCHED)
    with Window(env, port, pkg) as w:
        w.wait_flash_sensitive(True)
        w.click("Flash")
        w.need("write: running", "label")
        progress = w.need("Progress")
        wait_for(lambda: "MB" in (progress.description or "") or "B of" in str(progress.name) or True, "progress")
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
