#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The journal and `mtkflash recover` (issue 10 item 3), on MT6737 and MT6572.

- mtkflash is SIGKILLed while system is being written (at its second chunk); any
  DA command then warns and names `mtkflash recover`; `recover --yes`
  (safe mode: roll back) leaves every written partition exactly old (boot,
  lk and recovery among them), exit 7, the journal closed, an audit log
  that verifies and tells the journal, the in-doubt steps, the decision and
  each restore.
- The same kill, then `recover --finish`: every partition exactly new.
- A cable pull mid-flash (disconnect-after=N): the rollback cannot reach
  the device, the flash names what is not as before, and `recover --yes`
  then rolls it back.
- Without a terminal, --yes or a choice, recover refuses (exit 6) and
  writes nothing."""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKFLASH, check, in_tmpdir, run  # noqa: E402
import txnutil as T  # noqa: E402


def recover(env, chip, state, *args, expect):
    p = run([MTKFLASH, "--json", "--port", T.port(chip, state), "recover"] + list(args), expect=expect, env=env)
    return json.loads(p.stdout), p


def killed_in_system(tmp, env, chip, scatter, entries, tag):
    state = T.provision(tmp, chip, tag)
    rc, _, err, jdir = T.kill_at(env, chip, state, scatter, T.entry(entries, T.NAMES[chip]["system"]), skip=1 << 20)
    check(rc == -signal.SIGKILL, "%s %s: killed mid-write of system (%d)" % (chip, tag, rc))
    recs = T.journal_records(jdir)
    sysname = T.NAMES[chip]["system"]
    starts = [r["partition"] for r in recs if r["rec"] == "start"]
    ends = [r["partition"] for r in recs if r["rec"] == "end"]
    check(starts[-1] == sysname and sysname not in ends, "%s %s: journal has system started, not ended" % (chip, tag))
    return state, jdir


def check_all(kinds, want, tag):
    check(all(v == want for v in kinds.values()), "%s: every partition %s: %s" % (tag, want, kinds))


def rollback_after_kill(tmp, env, chip, scatter, entries, old, new):
    tag = "%s kill+recover" % chip
    state, jdir = killed_in_system(tmp, env, chip, scatter, entries, "kill-rollback")
    p = run([MTKFLASH, "--port", T.port(chip, state), "printgpt"], env=env)
    check("mtkflash recover" in p.stderr, "%s: printgpt warns about the unfinished flash" % tag)
    refused(env, chip, state, tag)
    doc, p = recover(env, chip, state, "--yes", expect=7)
    check("rolled back, device as before" in p.stdout, "%s: says rolled back" % tag)
    kinds = T.classify(state, entries, old, new)
    check_all(kinds, "old", tag)
    n = T.NAMES[chip]
    check({kinds[n["boot"]], kinds[n["lk"]], kinds[n["recovery"]]} == {"old"}, "%s: boot, lk, recovery old" % tag)
    check(T.journal_records(jdir)[-1] == {"rec": "close", "result": "rolled-back"}, "%s: journal closed" % tag)
    events = T.log_events(env, doc["audit_log"], tag)
    kinds_ev = [e["event"] for e in events]
    for want in ("journal", "in_doubt", "decision", "restore", "end"):
        check(want in kinds_ev, "%s: audit log has %s" % (tag, want))
    doubt = [e for e in events if e["event"] == "in_doubt"][0]["partitions"]
    check([d["partition"] for d in doubt] == [n["system"]], "%s: system was the step in doubt: %s" % (tag, doubt))
    check(doubt[0]["device"] == "mixed", "%s: system read back as neither old nor new" % tag)
    run([MTKFLASH, "--port", T.port(chip, state), "recover", "--yes"], env=env)  # nothing left: exit 0


def refused(env, chip, state, tag):
    p = run([MTKFLASH, "--port", T.port(chip, state), "recover"], expect=6, env=env)
    check("--rollback or --finish" in p.stderr, "%s: no terminal, no choice: refused (%s)" % (tag, p.stderr[-200:]))


def finish_after_kill(tmp, env, chip, scatter, entries, old, new):
    tag = "%s kill+finish" % chip
    state, jdir = killed_in_system(tmp, env, chip, scatter, entries, "kill-finish")
    doc, p = recover(env, chip, state, "--finish", expect=0)
    check_all(T.classify(state, entries, old, new), "new", tag)
    check(T.journal_records(jdir)[-1] == {"rec": "close", "result": "verified"}, "%s: journal closed" % tag)
    check(all(a["ok"] for a in doc["actions"]), "%s: every action verified" % tag)


def cable_pull(tmp, env, chip, scatter, entries, old, new):
    tag = "%s disconnect" % chip
    state = T.provision(tmp, chip, "pull")
    # past the DA upload and secro, inside the system write
    p = run([MTKFLASH, "-q", "--json", "--port", T.port(chip, state, "disconnect-after=12000000"), "flash", scatter,
             "--yes"], expect=None, env=env)
    check(p.returncode not in (0, 7), "%s: the flash fails (exit %d)" % (tag, p.returncode))
    doc = json.loads(p.stdout)
    check(doc["flash"].get("not_as_before"), "%s: names what is not as before" % tag)
    check("mtkflash recover" in p.stderr, "%s: says to run recover: %s" % (tag, p.stderr[-300:]))
    recover(env, chip, state, "--yes", expect=7)
    check_all(T.classify(state, entries, old, new), "old", tag)


def body(tmp):
    env = T.environment(tmp)
    for chip in ("mt6737", "mt6572"):
        scatter = T.package(tmp, env, chip)
        entries, old, new = T.old_and_new(tmp, env, chip, scatter)
        rollback_after_kill(tmp, env, chip, scatter, entries, old, new)
        finish_after_kill(tmp, env, chip, scatter, entries, old, new)
        cable_pull(tmp, env, chip, scatter, entries, old, new)


sys.exit(in_tmpdir("mtk-recover-", body))
