#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keyboard only: started with --port and the package, Tab reaches Flash
and Enter flashes; the result says "Verified" and the phone holds the package."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dogtail import rawinput  # noqa: E402
from guiutil import Window, check, holds_package, mkfirmware, partitions, provision, run_test  # noqa: E402


def body(tmp, env):
    pkg = mkfirmware(tmp)
    state = provision(tmp)
    port = "emu:mt6737,state=" + state
    parts = partitions(env, port)
    with Window(env, port, pkg) as w:
        w.wait_flash_sensitive(True)
        w.tab_to(w.flash_button())
        rawinput.pressKey("Return")
        res = w.wait_result("Verified", "Failed", "Refused", "rolled back")
        check(res.startswith("✓ Verified"), "keyboard only: Verified: %r" % res)
    holds_package(state, parts, pkg)


if __name__ == "__main__":
    sys.exit(run_test("gui-keys-", body))
