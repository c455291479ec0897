#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""No phone at the port: the window says it cannot plan, shows what
`mtkflash doctor` finds on this host (each problem with its fix), and Flash
stays disabled."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guiutil import Window, check, mkfirmware, run_test  # noqa: E402


def body(tmp, env):
    pkg = mkfirmware(tmp)
    with Window(env, "serial:" + os.path.join(tmp, "no-such-tty"), pkg) as w:
        said = w.text_with("Cannot plan")
        check("no-such-tty" in said, "the port is named: %r" % said)
        doctor = w.text_with("What this computer")
        check("\n" in doctor, "the host's findings are listed: %r" % doctor)
        check(not w.flash_button().sensitive, "no phone: Flash disabled")
        w.screenshot("no-phone")


if __name__ == "__main__":
    sys.exit(run_test("gui-nophone-", body))
