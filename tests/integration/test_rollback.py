#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Stash and rollback (issue 10 item 1), on MT6737 and MT6572.

- A persistent corrupt-write in boot: the flash fails at boot and every
  partition written before it (secro, system, cache, userdata, lk) is
  rolled back from its stash, byte-identical to before; boot itself cannot
  be restored through the fault and is named as not as before (exit 5).
- Ctrl-C while system is being written (the emulator holds the flash at its
  second system chunk until the signal is pending): system and what came before are
  rolled back, "rolled back, device as before", exit 7, every partition old.
- Re-flashing the package a device already holds writes 0 bytes and says
  how many it skipped; with 16 bytes of system changed, only their 1 MiB
  chunk is written.
- The stash of an all-zero partition costs no disk (st_blocks 0).
- Quick mode writes cache and userdata without a stash, and says so in the
  journal and the audit log; with --expendable all, no partition is stashed."""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import AREA_FILES, MTKFLASH, check, in_tmpdir, run  # noqa: E402
import txnutil as T  # noqa: E402


def corrupt_boot(tmp, env, chip, scatter, entries, old):
    state = T.provision(tmp, chip, "corrupt")
    name = T.NAMES[chip]["boot"]
    boot = [e for e in entries if e["partition"] == name][0]
    fault = "corrupt-write=user:%#x:16" % (boot["offset"] + 0x3000)
    p = run([MTKFLASH, "-q", "--json", "--port", T.port(chip, state, fault), "flash", scatter, "--yes"],
            expect=5, env=env)
    doc = json.loads(p.stdout)
    tag = "%s corrupt boot" % chip
    check(T.NAMES[chip]["boot"] in doc["flash"].get("not_as_before", ""), "%s: boot named as not as before (%s)"
          % (tag, doc["flash"].get("not_as_before")))
    check("mtkflash recover" in p.stderr, "%s: says what to do next: %s" % (tag, p.stderr.strip()[-300:]))
    now = T.snapshot(state, entries)
    order = [s["partition"] for s in doc["flash"]["steps"] if s["stage"] == "write"]
    before_boot = order[:order.index(name)]
    check(before_boot, "%s: partitions were written before boot" % tag)
    for part in before_boot:
        check(now[part] == old[part], "%s: %s rolled back, byte-identical to before" % (tag, part))
    steps = {s["partition"]: s for s in doc["flash"]["steps"]}
    check(all(steps[n].get("rollback") == "restored" for n in before_boot), "%s: each restore verified" % tag)
    events = T.log_events(env, doc["audit_log"], tag)
    rb = [e["partition"] for e in events if e["event"] == "rollback"]
    check(rb == list(reversed(order[:order.index(name) + 1])), "%s: rolled back in reverse order: %s" % (tag, rb))


def ctrl_c(tmp, env, chip, scatter, entries, old, new):
    state = T.provision(tmp, chip, "sigint")
    sysent = T.entry(entries, T.NAMES[chip]["system"])
    rc, out, err, jdir = T.kill_at(env, chip, state, scatter, sysent, skip=1 << 20, sig=signal.SIGINT)
    tag = "%s Ctrl-C in system" % chip
    check(rc == 7, "%s: exit 7 (got %d: %s)" % (tag, rc, err[-400:]))
    check("rolled back, device as before" in out + err, "%s: says rolled back, device as before" % tag)
    kinds = T.classify(state, entries, old, new)
    check(all(v == "old" for v in kinds.values()), "%s: every partition as before: %s" % (tag, kinds))
    recs = T.journal_records(jdir)
    check(recs[-1] == {"rec": "close", "result": "rolled-back"}, "%s: journal closed rolled-back" % tag)


def reflash(tmp, env, chip, scatter, entries, new):
    state = T.provision(tmp, chip, "reflash")
    run([MTKFLASH, "-q", "--port", T.port(chip, state), "flash", scatter, "--yes"], env=env)
    p = run([MTKFLASH, "--json", "--port", T.port(chip, state), "flash", scatter, "--yes"], env=env)
    doc = json.loads(p.stdout)
    tag = "%s re-flash" % chip
    check(doc["result"] == "verified", "%s: verified" % tag)
    check(doc["flash"]["bytes_written"] == 0, "%s: 0 bytes written (%d)" % (tag, doc["flash"]["bytes_written"]))
    check(doc["flash"]["bytes_skipped"] == doc["flash"]["write_bytes"], "%s: every byte skipped" % tag)
    p = run([MTKFLASH, "--port", T.port(chip, state), "flash", scatter, "--yes"], env=env)
    check("skipped: %d bytes already on the device" % doc["flash"]["bytes_skipped"] in p.stdout,
          "%s: the skip is reported: %s" % (tag, p.stdout[-300:]))
    stash = [f for f in os.listdir(doc["journal"]) if f.endswith(".bin")]
    check(not stash, "%s: stashes dropped after success (%s)" % (tag, stash))
    # 16 bytes of system changed behind the tool's back: only their 1 MiB chunk is written again
    sysname = T.NAMES[chip]["system"]
    e = [x for x in entries if x["partition"] == sysname][0]
    with open(os.path.join(state, AREA_FILES[e["region"]]), "r+b") as f:
        f.seek(e["offset"] + 0x1000)
        f.write(bytes(16))
    doc = json.loads(run([MTKFLASH, "-q", "--json", "--port", T.port(chip, state), "flash", scatter, "--yes"],
                         env=env).stdout)
    step = [x for x in doc["flash"]["steps"] if x["partition"] == sysname][0]
    check(doc["flash"]["bytes_written"] == 1 << 20 and step["bytes_written"] == 1 << 20,
          "%s: one changed chunk: 1 MiB written (%d)" % (tag, doc["flash"]["bytes_written"]))
    check(T.snapshot(state, [e])[sysname] == new[sysname], "%s: system holds the new bytes again" % tag)


def empty_stash(tmp, env, chip, scatter, entries):
    """cache is erased first; the flash is stopped once cache is written (at
    the first write of the partition after it), so its stash is still there
    to look at."""
    state = T.provision(tmp, chip, "empty")
    cache = T.NAMES[chip]["cache"]
    run([MTKFLASH, "-q", "--port", T.port(chip, state), "erase", cache], env=env)
    rc, _, err, jdir = T.kill_at(env, chip, state, scatter, T.next_entry(entries, cache))
    check(rc == -signal.SIGKILL, "%s: killed (%d %s)" % (chip, rc, err[-300:]))
    stash = [r for r in T.journal_records(jdir) if r["rec"] == "stash" and r["partition"] == cache][0]
    st = os.stat(os.path.join(jdir, stash["file"]))
    check(st.st_size > 0 and st.st_blocks == 0, "%s: the stash of an erased cache is all hole (%d bytes, %d "
          "blocks)" % (chip, st.st_size, st.st_blocks))
    check(oct(st.st_mode & 0o777) == "0o600" and oct(os.stat(jdir).st_mode & 0o777) == "0o700",
          "%s: journal folder 0700, stash 0600" % chip)
    run([MTKFLASH, "-q", "--port", T.port(chip, state), "recover", "--yes"], expect=7, env=env)


def quick_policy(tmp, env, chip, scatter):
    state = T.provision(tmp, chip, "quick")
    p = run([MTKFLASH, "-q", "--json", "--port", T.port(chip, state), "flash", scatter, "--yes", "--mode", "quick"],
            env=env)
    doc = json.loads(p.stdout)
    tag = "%s quick" % chip
    recs = T.journal_records(doc["journal"])
    plan = {e["partition"]: e["stash"] for e in recs[0]["plan"]}
    expendable = {n for n in plan if n.lower() in ("cache", "userdata", "usrdata")}
    check(len(expendable) == 2 and not any(plan[n] for n in expendable), "%s: no stash for %s" % (tag, expendable))
    check(all(plan[n] for n in plan if n not in expendable), "%s: every other partition stashed" % tag)
    stashed = {r["partition"] for r in recs if r["rec"] == "stash"}
    check(not stashed & expendable, "%s: the journal has no stash of the expendable ones" % tag)
    events = T.log_events(env, doc["audit_log"], tag)
    j = [e for e in events if e["event"] == "journal"]
    check(j and "cache" in j[0]["no_stash"], "%s: the audit log names what is not stashed" % tag)


def expendable_all(tmp, env, chip, scatter, entries, new):
    """quick --expendable all: the plain verified flash (write and read-back, no
    read pass, no stash); --expendable outside quick mode is a usage error."""
    state = T.provision(tmp, chip, "expendable")
    p = run([MTKFLASH, "-q", "--json", "--port", T.port(chip, state), "flash", scatter, "--yes", "--mode", "quick",
             "--expendable", "all"], env=env)
    doc = json.loads(p.stdout)
    tag = "%s quick --expendable all" % chip
    recs = T.journal_records(doc["journal"])
    check(not any(e["stash"] for e in recs[0]["plan"]), "%s: no partition planned with a stash" % tag)
    check(not [r for r in recs if r["rec"] == "stash"], "%s: the journal has no stash" % tag)
    check(doc["flash"]["bytes_skipped"] == 0, "%s: no read pass, so nothing skipped" % tag)
    now = T.snapshot(state, entries)
    check(all(now[n] == new[n] for n in new), "%s: every partition holds the package" % tag)
    events = T.log_events(env, doc["audit_log"], tag)
    j = [e for e in events if e["event"] == "journal"]
    check(j and j[0]["no_stash"] == "every partition", "%s: the audit log says so: %s" % (tag, j))
    p = run([MTKFLASH, "--port", T.port(chip, state), "flash", scatter, "--yes", "--expendable", "all"],
            expect=2, env=env)
    check("--expendable needs --mode quick" in p.stderr, "%s: refused in safe mode: %s" % (tag, p.stderr))


def body(tmp):
    env = T.environment(tmp)
    for chip in ("mt6737", "mt6572"):
        scatter = T.package(tmp, env, chip)
        entries, old, new = T.old_and_new(tmp, env, chip, scatter)
        corrupt_boot(tmp, env, chip, scatter, entries, old)
        ctrl_c(tmp, env, chip, scatter, entries, old, new)
        reflash(tmp, env, chip, scatter, entries, new)
        empty_stash(tmp, env, chip, scatter, entries)
        quick_policy(tmp, env, chip, scatter)
        if chip == "mt6737":
            expendable_all(tmp, env, chip, scatter, entries, new)


sys.exit(in_tmpdir("mtk-rollback-", body))
