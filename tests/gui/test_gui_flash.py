#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mtkflash-gtk flashes the sample package onto an emulated MT6737 in safe
mode: the package view lists the images (preloader unticked, and why), the
plan names what will be written and the risk, Flash ends with "Verified",
and the phone's storage holds the package's images afterwards."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guiutil import Window, check, holds_package, mkfirmware, partitions, provision, run_test  # noqa: E402


def body(tmp, env):
    pkg = mkfirmware(tmp)
    state = provision(tmp)
    port = "emu:mt6737,state=" + state
    parts = partitions(env, port)
    with Window(env, port, pkg) as w:
        w.need("Open package", "push button")
        pre = w.need("preloader", "check box")
        check(not pre.checked, "the preloader is not ticked by default")
        check("stop the phone from starting" in (pre.description or ""), "the preloader says why: %r"
              % pre.description)
        check(w.need("boot", "check box").checked, "boot is ticked")
        w.wait_flash_sensitive(True)
        check(any("will be written" in t for t in w.labels()), "the plan is in words")
        check(w.need("Risk meter").roleName == "level bar", "the risk meter is a level bar")
        w.screenshot("plan")
        w.click("Flash")
        res = w.wait_result("Verified", "Failed", "Refused", "rolled back")
        check(res.startswith("✓ Verified"), "the result says Verified: %r" % res)
        w.screenshot("verified")
        check(w.need("Open audit log", "push button").sensitive, "the audit log can be opened")
        check(w.need("Save report", "push button").sensitive, "the report can be saved")
    holds_package(state, parts, pkg)
    with open(os.path.join(env["XDG_CONFIG_HOME"], "mtkflash", "gtk.ini")) as f:
        ini = f.read()
    check("last-folder=" + pkg in ini, "the window remembers the last folder: %r" % ini)
    check("width=1000" in ini, "and its size: %r" % ini)


if __name__ == "__main__":
    sys.exit(run_test("gui-flash-", body))
