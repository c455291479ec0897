#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Backups and History views: a backup made with `mtkflash backup
create` on an emulated MT6737 is listed and "Verify backup" says it
verifies; after the sample package is flashed in the window, History lists
that job as verified with the phone's device id, and its detail pane shows
the result and the audit log."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guiutil import Window, check, mkfirmware, provision, run_test, wait_for  # noqa: E402
from mtkutil import flash  # noqa: E402


def body(tmp, env):
    pkg = mkfirmware(tmp)
    port = "emu:mt6737,state=" + provision(tmp)
    bid = flash(port, "backup", "create", json_out=True, env=env)["backup"]["id"]
    device = bid.split("/")[0]
    with Window(env, port, pkg) as w:
        w.need("Backups", "list")
        w.need(bid, "label", prefix=True)
        w.click("Verify backup")
        verdict = wait_for(lambda: next((n.name for n in [w.find("Backup check: Backup ", "label", prefix=True)]
                                         if n and "verif" in n.name), None), "the backup check")
        check("Backup %s verifies" % bid in verdict, "Verify backup says it verifies: %r" % verdict)
        w.need("History", "list")
        w.wait_flash_sensitive(True)
        w.click("Flash")
        res = w.wait_result("Verified", "Failed", "Refused", "rolled back")
        check(res.startswith("✓ Verified"), "the flash is verified: %r" % res)
        row = wait_for(lambda: next((t for t in w.labels() if device in t and "  flash  verified  " in t), None),
                       "a History row of the flash")
        check(os.path.basename(pkg) in row, "the row names the package: %r" % row)
        job = w.need("Job result: ", "label", prefix=True).name
        check("verified" in job, "the newest job is selected and verified: %r" % job)
        audit = w.need("Audit log: ", "label", prefix=True).name
        check(audit != "Audit log: none", "the job's audit log is named: %r" % audit)
        check(w.need("Open the job's audit log", "push button").sensitive, "and can be opened")
        w.screenshot("history")


if __name__ == "__main__":
    sys.exit(run_test("gui-history-", body))
