#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`mtkflash recover` after a cut on an xflash chip (issue 11: MT6765, the
sample package of `mtkemu mkfirmware --chip mt6765`, in-process, no link
model):

- the cable is pulled while system is being written (unplug-at): the flash
  fails naming `mtkflash recover`, the journal has system started and not
  ended; `recover --yes` rolls back (exit 7): every written partition is
  exactly old, the journal closed rolled-back, and the phone boots
  (`mtkemu boot-check`);
- the power goes while boot is being written (power-loss-at): boot is not
  the new image; `recover --finish` writes what was left (exit 0):
  every partition exactly new, the journal closed verified, the phone boots.

The cut points are link byte counts of this package's safe-mode flash; a
change of the DA protocol or of the package moves them, and the journal
checks below then say where the cut fell."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKEMU, MTKFLASH, check, in_tmpdir, run  # noqa: E402
import txnutil as T  # noqa: E402

CHIP = "mt6765"
UNPLUG_IN_SYSTEM = 16000000
POWER_LOSS_IN_BOOT = 37000000


def cut_flash(env, state, scatter, fault, part, tag):
    """A safe-mode flash cut by `fault`; the journal folder it named."""
    p = run([MTKFLASH, "--port", T.port(CHIP, state, fault), "flash", scatter, "--yes"], expect=None, env=env)
    check(p.returncode not in (0, 7), "%s: the flash fails (exit %d)" % (tag, p.returncode))
    check("mtkflash recover" in p.stderr, "%s: says to run recover: %s" % (tag, p.stderr[-300:]))
    jdir = [line.split(" ", 1)[1] for line in p.stderr.splitlines() if line.startswith("[journal] /")]
    if not check(jdir, "%s: the flash names its journal" % tag):
        return None
    recs = T.journal_records(jdir[0])
    started = [r["partition"] for r in recs if r["rec"] == "start"]
    ended = [r["partition"] for r in recs if r["rec"] == "end"]
    check(started and started[-1] == part and part not in ended,
          "%s: the cut fell inside %s (started %s, ended %s)" % (tag, part, started, ended))
    return jdir[0]


def boots(state, tag):
    p = run([MTKEMU, "boot-check", "--state", state, "--json"], expect=None)
    v = json.loads(p.stdout) if p.stdout.strip() else {}
    check(p.returncode == 0 and v.get("boots") and v.get("mode") == "preloader",
          "%s: the phone boots after recover: exit %d, %s" % (tag, p.returncode, p.stdout.strip()))


def unplug_then_rollback(tmp, env, scatter, entries, old, new):
    tag = "%s unplug in system" % CHIP
    state = T.provision(tmp, CHIP, "unplug")
    jdir = cut_flash(env, state, scatter, "unplug-at=%d" % UNPLUG_IN_SYSTEM, "system", tag)
    p = run([MTKFLASH, "--port", T.port(CHIP, state), "recover", "--yes"], expect=7, env=env)
    check("rolled back, device as before" in p.stdout, "%s: says rolled back: %s" % (tag, p.stdout[-300:]))
    kinds = T.classify(state, entries, old, new)
    check(all(v == "old" for v in kinds.values()), "%s: every partition old: %s" % (tag, kinds))
    if jdir:
        check(T.journal_records(jdir)[-1] == {"rec": "close", "result": "rolled-back"}, "%s: journal closed" % tag)
    boots(state, tag)


def power_loss_then_finish(tmp, env, scatter, entries, old, new):
    tag = "%s power loss in boot" % CHIP
    state = T.provision(tmp, CHIP, "power")
    jdir = cut_flash(env, state, scatter, "power-loss-at=%d" % POWER_LOSS_IN_BOOT, "boot", tag)
    cut = T.classify(state, entries, old, new)["boot"]
    # A chunk cut short is not stored (the eMMC model): boot is old or torn
    check(cut != "new", "%s: boot not complete after the cut: %s" % (tag, cut))
    p = run([MTKFLASH, "--json", "--port", T.port(CHIP, state), "recover", "--finish"], expect=0, env=env)
    doc = json.loads(p.stdout)
    check(all(a["ok"] for a in doc["actions"]), "%s: every action verified" % tag)
    kinds = T.classify(state, entries, old, new)
    check(all(v == "new" for v in kinds.values()), "%s: every partition new: %s" % (tag, kinds))
    if jdir:
        check(T.journal_records(jdir)[-1] == {"rec": "close", "result": "verified"}, "%s: journal closed" % tag)
    boots(state, tag)


def body(tmp):
    env = T.environment(tmp)
    scatter = T.package(tmp, env, CHIP)
    entries, old, new = T.old_and_new(tmp, env, CHIP, scatter)
    unplug_then_rollback(tmp, env, scatter, entries, old, new)
    power_loss_then_finish(tmp, env, scatter, entries, old, new)


sys.exit(in_tmpdir("mtk-recover-xflash-", body))
