#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The CI fault matrix (issue 10, Tests): every fault kind (cable pull, power
loss, persistent and one-time corrupt writes, DA hang, SIGKILL and Ctrl-C of
mtkflash) at five points of a flash (inside the stash read before the first
write, inside system, between system and the next partition, inside boot,
inside the preloader step) on one chip, given as the argument (meson runs
MT6737 and MT6572 as two tests: 70 scenarios).

Each scenario flashes a copy of one provisioned phone with the smallest
selection that has every point (system, cache, lk, boot, recovery and the
preloader; in-process emulator, unlimited link speed, usb2-hs for signals),
runs `mtkflash recover --yes` when a journal is left open, and checks the
invariant (faultlib.py): each partition exactly old or new as the result
says, protected partitions unchanged, the phone boots, the audit logs verify
and tell what happened.  Besides, each fault must have hit: the flash's exit
status is the one its kind gives, the journal shows an emulator fault stopped
it at its point, and after a DA hang the rollback tried one restore, not one
per partition (each would wait out the reply timeout).  Byte points come from a -vvv calibration flash (faultlib.Rig).

DA hangs wait out the DA's reply timeout (up to 16 s): they run alongside the
others, which keep the CPU busy."""
import concurrent.futures
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import check, in_tmpdir  # noqa: E402
import faultlib as F  # noqa: E402

# The flash's exit status each kind gives (SIGKILL: the signal's own).
EXIT = {"unplug": 3, "power-loss": 3, "da-hang": 3, "corrupt": 5, "corrupt-once": 0, "sigkill": -signal.SIGKILL,
        "sigint": 7}
# Where the journal says the flash stopped, per point.
LANDING = {"pre-write": "before any write", "data": "in %(first)s", "between": "after %(first)s",
           "boot": "in %(boot)s", "preloader": "in %(preloader)s"}
CPU_WORKERS = 2


def expected_landing(rig, sc):
    """Where the journal must say an emulator fault stopped the flash (a
    signal lands a moment after its line: not checked)."""
    names = {"first": rig.step("first"), "boot": rig.step("boot"), "preloader": rig.step("preloader")}
    if sc.kind == "corrupt-once" or sc.kind in F.SIGNALS:
        return None  # corrupt-once: the rewrite heals it, the flash ends verified
    if sc.kind == "corrupt" and sc.point in ("pre-write", "between"):
        # a corruption only shows in what is written: the first or the second partition
        return "in %s" % (names["first"] if sc.point == "pre-write" else rig.order[1])
    return LANDING[sc.point] % names


def hung_rollback(tag, res):
    """After a DA hang the first restore times out; the others are not tried
    (each would wait out the same timeout)."""
    rb = [e for e in res.flash_events if e.get("event") == "rollback"]
    check(len(rb) > 1 and not any(e["restored"] for e in rb), "%s: every restore failed: %s" % (tag, rb))
    check(all("not tried" in e.get("error", "") for e in rb[1:]) and "not tried" not in rb[0].get("error", ""),
          "%s: one restore tried, the rest not: %s" % (tag, [e.get("error") for e in rb]))


def one(rig, sc):
    res = F.run_scenario(rig, sc)
    if sc.kind in F.SIGNALS and res.flash_rc == 0:
        # the flash ended before the signal landed (a loaded machine): once more
        print("%s %s: the flash finished before the signal; again" % (rig.chip, sc.tag))
        sc.tag += "-again"
        res = F.run_scenario(rig, sc)
    for p in res.problems:
        check(False, p)
    tag = "%s %s" % (rig.chip, sc.tag)
    want_rc = 130 if sc.kind == "sigint" and sc.point == "pre-write" else EXIT[sc.kind]  # nothing to roll back
    if res.flash_rc is not None:
        check(res.flash_rc == want_rc, "%s: flash exit %s, wanted %s (%s)" % (tag, res.flash_rc, want_rc,
                                                                                   res.flash_err[-300:]))
    if sc.kind == "da-hang" and sc.point in ("boot", "preloader"):
        hung_rollback(tag, res)
    want = expected_landing(rig, sc)
    if want:
        check(res.landing == want, "%s: stopped %s, wanted %s" % (tag, res.landing, want))
    return res


def body(tmp, chip):
    t0 = time.monotonic()
    rig = F.Rig(tmp, chip)
    scs = [F.scenario(rig, k, p) for k in F.KINDS for p in F.POINTS]
    check(all(scs), "%s: every point exists in the package" % chip)
    scs = [s for s in scs if s]
    check(len(scs) == len(F.KINDS) * len(F.POINTS), "%s: %d scenarios" % (chip, len(scs)))
    hangs = [s for s in scs if s.kind == "da-hang"]
    rest = [s for s in scs if s.kind != "da-hang"]
    with concurrent.futures.ThreadPoolExecutor(len(hangs) + CPU_WORKERS) as pool:
        futs = [pool.submit(one, rig, s) for s in hangs + rest]
        results = [f.result() for f in futs]
    for r in results:
        print("%-7s %-24s flash %4s recover %4s  %-22s %s" % (chip, r.sc.tag, r.flash_rc, r.recover_rc, r.landing,
                                                              "ok" if not r.problems else "BROKEN"))
    broken = [r for r in results if r.problems]
    print("%s: %d scenarios, %d broke the invariant, %.1f s" % (chip, len(results), len(broken),
                                                                 time.monotonic() - t0))


if __name__ == "__main__":
    chips = sys.argv[1:] or list(F.CHIPS)
    sys.exit(in_tmpdir("mtk-faultmx-", lambda tmp: [body(tmp, c) for c in chips]))
