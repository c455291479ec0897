#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A spoiled package (one byte flipped after Checksum.ini and SHA256SUMS were
made) is refused in safe mode: the window names the risk factor and Flash
stays disabled.  Service mode without the passphrase keeps it disabled and
says why; a wrong passphrase is refused by the library; with the right one
Flash stays disabled until the user takes the factor out (override), and
then the flash is Verified."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dogtail import rawinput  # noqa: E402
from guiutil import Window, check, mkfirmware, provision, run_test, set_passphrase, wait_for  # noqa: E402

PASS = "bench passphrase"


def unlock(w, text):
    """Type the passphrase and press Enter (which plans with it)."""
    entry = w.need("Service passphrase")
    w.tab_to(entry)
    rawinput.keyCombo("<Control>a")
    rawinput.typeText(text)
    rawinput.pressKey("Return")


def body(tmp, env):
    set_passphrase(env, PASS)
    pkg = mkfirmware(tmp, variant="flipped-byte")
    state = provision(tmp)
    with Window(env, "emu:mt6737,state=" + state, pkg) as w:
        factor = w.text_with('"checksum_mismatch"')
        check("Risk" in factor, "the factor is shown in words: %r" % factor)
        w.text_with("Refused")
        check(not w.flash_button().sensitive, "safe mode: Flash stays disabled")
        w.screenshot("refused")
        w.click("Service", "radio button")
        w.text_with("needs the service passphrase")
        check(not w.flash_button().sensitive, "service mode without the passphrase: Flash disabled")
        unlock(w, "wrong one")
        said = w.text_with("Cannot plan")
        check("passphrase" in said, "a wrong passphrase is refused: %r" % said)
        check(not w.flash_button().sensitive, "a wrong passphrase: Flash disabled")
        unlock(w, PASS)
        w.text_with("Refused")
        check(not w.flash_button().sensitive, "unlocked, factor not overridden: Flash disabled")
        w.click('Take "checksum_mismatch" out of the score (override)', "check box")
        w.wait_flash_sensitive(True)
        w.screenshot("service")
        w.click("Flash")
        res = w.wait_result("Refused", "Verified", "Failed", "rolled back")
        check(res.startswith("✓ Verified"), "service mode with the override: Verified: %r" % res)


if __name__ == "__main__":
    sys.exit(run_test("gui-refused-", body))
