#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A spoiled package (one byte flipped after Checksum.ini and SHA256SUMS were
made) is refused in safe mode: the window names the risk factor and Flash
stays disabled.  Service mode without the passphrase keeps it disabled and
says why; a wrong passphrase is refused by the library (nothing written);
with the right one and the factor overridden, the flash is Verified."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dogtail import rawinput  # noqa: E402
from guiutil import Window, check, mkfirmware, provision, run_test, set_passphrase, wait_for  # noqa: E402

PASS = "bench passphrase"


def type_passphrase(w, text):
    entry = w.need("Service passphrase")
    w.tab_to(entry)
    rawinput.keyCombo("<Control>a")
    rawinput.typeText(text)


def body(tmp, env):
    set_passphrase(env, PASS)
    pkg = mkfirmware(tmp, variant="flipped-byte")
    state = provision(tmp)
    w = Window(env, "emu:mt6737,state=" + state, pkg)
    try:
        factor = w.text_with('"checksum_mismatch"')
        check("Risk" in factor, "the factor is shown in words: %r" % factor)
        w.text_with("Refused")
        check(not w.flash_button().sensitive, "safe mode: Flash stays disabled")
        w.screenshot("refused")
        w.click("Service", "radio button")
        w.text_with("needs the service passphrase")
        w.wait_flash_sensitive(False)
        w.click('Take "checksum_mismatch" out of the score (override)', "check box")
        type_passphrase(w, "wrong one")
        w.wait_flash_sensitive(True)
        w.click("Flash")
        res = w.wait_result("Refused", "Verified", "Failed", "rolled back")
        check(res.startswith("✗ Refused") and "E_DENIED" in res, "a wrong passphrase is refused: %r" % res)
        w.click("Next phone")
        type_passphrase(w, PASS)
        w.wait_flash_sensitive(True)
        w.click("Flash")
        res = w.wait_result("Refused", "Verified", "Failed", "rolled back")
        check(res.startswith("✓ Verified"), "service mode with the override: Verified: %r" % res)
    finally:
        w.close()


if __name__ == "__main__":
    sys.exit(run_test("gui-refused-", body))
