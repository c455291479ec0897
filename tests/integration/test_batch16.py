#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Issue 13's "Done when": 16 phones in one batch from ONE `mtkemu bench`.

- Clean: `mtkemu bench --count 16 --chip mt6737,mt6572 --mode
  brom,brom,preloader,preloader` (every chip in every mode: phone 1 MT6737
  from its BootROM, 2 MT6572 from its BootROM, 3 MT6737 from its preloader,
  4 MT6572 from its preloader, ...) and `mtkflash batch --policy P --package
  S6737 --package S6572 --ports <16 ptys> --count 16` under a policy made by
  `policy init` that approves the two packages: the summary says 16
  verified, each port served one phone, every BROM-mode phone re-enumerated
  at its port (the DA's speed switch: it really started from the BootROM),
  every audit log verifies and records the policy's hash and the operator
  role, each phone's storage holds its package's bytes.
- Faults on 3 of 16 ports of another bench (a persistent corrupt write in
  boot, a cable pulled mid-flash, a DA that never answers, planted with
  `--faults K:SPEC`): exactly those 3 fail or roll back, the 13 others
  verify with the package's bytes in storage, exit 5 (the worst: boot is not
  as before).
The two batches run side by side, each on its own thread and folder; every
wait is on an event (a bench line, a batch JSON line), never on time."""
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKEMU, MTKFLASH, check, environment, in_tmpdir, run  # noqa: E402
import txnutil as T  # noqa: E402
from test_batch import (Batch, audit_logs_verify, check_stream, plan_of, results, run_scenarios,  # noqa: E402
                        storage_holds_package)
from test_emu_bench import Lines  # noqa: E402

COUNT = 16
CHIPS = ("mt6737", "mt6572")
MODES = ("brom", "brom", "preloader", "preloader")
BENCH_TIMEOUT = 120  # provisioning 16 phones on a loaded 2-core machine


def chip_of(k):
    return CHIPS[(k - 1) % len(CHIPS)]


def mode_of(k):
    return MODES[(k - 1) % len(MODES)]


class BenchPhone:
    """What test_batch's storage check needs of a phone: its state folder."""

    def __init__(self, bench_dir, k):
        self.k, self.chip, self.mode = k, chip_of(k), mode_of(k)
        self.state = os.path.join(bench_dir, "phone-%02d" % k)
        self.link = os.path.join(self.state, "tty")
        self.tag = "phone %02d (%s, %s)" % (k, self.chip, self.mode)


class Bench16:
    """One `mtkemu bench` serving COUNT phones; faults {phone: spec}."""

    def __init__(self, tmp, faults):
        self.dir = os.path.join(tmp, "bench")
        args = ["bench", "--count", str(COUNT), "--chip", ",".join(CHIPS), "--mode", ",".join(MODES),
                "--state", self.dir]
        for k, spec in sorted(faults.items()):
            args += ["--faults", "%d:%s" % (k, spec)]
        self.err = open(os.path.join(tmp, "bench.stderr"), "wb")  # a file: 16 phones never block on a pipe
        self.proc = subprocess.Popen([MTKEMU] + args, stdout=subprocess.PIPE, stderr=self.err)
        self.lines = Lines(self.proc)
        self.phones = [BenchPhone(self.dir, k) for k in range(1, COUNT + 1)]
        last = "ready %s phone=%02d chip=%s" % (self.phones[-1].link, COUNT, chip_of(COUNT))
        self.lines.wait(lambda line: line == last, timeout=BENCH_TIMEOUT)

    def readies(self, phone):
        want = "ready %s phone=%02d " % (phone.link, phone.k)
        with self.lines.cond:
            return sum(1 for line in self.lines.lines if line.startswith(want))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()
        return self.proc.returncode


def approving_policy(tmp, env, scatters):
    """`policy init`, the packages of `scatters` approved by their SHA256SUMS."""
    path = os.path.join(tmp, "line.json")
    run([MTKFLASH, "policy", "init", "--out", path], env=env)
    with open(path) as f:
        doc = json.load(f)
    doc["packages"] = []
    for s in scatters:
        with open(os.path.join(os.path.dirname(s), "SHA256SUMS"), "rb") as f:
            doc["packages"].append(hashlib.sha256(f.read()).hexdigest())
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


class Line:
    """Packages for both chips, their plans and a policy approving both."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.env = environment(tmp)
        self.pkgs = {c: T.package(tmp, self.env, c) for c in CHIPS}
        self.entries = {c: plan_of(tmp, self.env, c, self.pkgs[c]) for c in CHIPS}
        self.policy = approving_policy(tmp, self.env, [self.pkgs[c] for c in CHIPS])

    def batch(self, bench):
        args = ["--policy", self.policy, "--yes", "--count", str(COUNT),
                "--ports", ",".join(ph.link for ph in bench.phones)]
        for c in CHIPS:
            args += ["--package", self.pkgs[c]]
        return Batch(self.env, args)


def clean(tmp):
    tag = "16 clean"
    line = Line(tmp)
    bench = Bench16(tmp, {})
    try:
        b = line.batch(bench)
        rc, summary = b.finish()
        check(rc == 0, "%s: exit 0 (got %d: %s)" % (tag, rc, b.err[-600:]))
        check(summary.get("verified") == COUNT and summary.get("phones") == COUNT,
              "%s: the summary says %d verified: %s" % (tag, COUNT, {k: summary.get(k) for k in
                                                                      ("verified", "failed", "rolled-back",
                                                                       "refused", "phones")}))
        per_port = {p["port"]: p["phones"] for p in summary.get("ports", [])}
        check(per_port == {ph.link: 1 for ph in bench.phones}, "%s: one phone on each port: %s" % (tag, per_port))
        check(summary.get("package_checks") == 2, "%s: each package judged once: %s"
              % (tag, summary.get("package_checks")))
        check_stream(tag, b.events, COUNT)
        got = {port: r[-1] for port, r in results(b.events).items()}
        for ph in bench.phones:
            r = got.get(ph.link, {})
            check(r.get("result") == "verified", "%s: %s verified: %s (%s)" % (tag, ph.tag, r.get("result"),
                                                                             r.get("message")))
            check(r.get("chip", "").lower() == ph.chip, "%s: %s flashed as %s" % (tag, ph.tag, r.get("chip")))
            storage_holds_package(tag, ph, line.entries[ph.chip])
            if ph.mode == "brom":
                check(bench.readies(ph) >= 2, "%s: %s re-enumerated after its BROM start (ready lines: %d)"
                      % (tag, ph.tag, bench.readies(ph)))
        logs = [e for e in b.events if e.get("event") == "result" and e.get("audit_log")]
        check(len(logs) == COUNT, "%s: %d audit logs named" % (tag, len(logs)))
        check(len({e["device"] for e in logs}) == COUNT, "%s: 16 different devices" % tag)
        policy_in_logs(tag, line, logs)
    finally:
        check(bench.stop() == 0, "%s: the bench stops with exit 0" % tag)


def policy_in_logs(tag, line, results):
    """Every phone's audit log verifies and records the policy's SHA-256 and
    the operator role."""
    with open(line.policy, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    for r in results:
        events = T.log_events(line.env, r["audit_log"], "%s %s" % (tag, r["port"]))
        pol = json.dumps([e for e in events if "policy" in (e.get("event"), e.get("type"))])
        check(digest in pol and "operator" in pol, "%s: %s's audit log records the policy %s as operator: %s"
              % (tag, r["port"], digest[:12], pol[:300]))


# Phone -> fault: MT6737 from its preloader, MT6737 from its BootROM, MT6572
# from its BootROM (see MODES).
def fault_plan(entries):
    boot = T.entry(entries["mt6737"], "boot")
    return {3: "corrupt-write=user:%#x:16" % (boot["offset"] + 0x3000), 9: "unplug-at=6M", 14: "da-silent"}


def faults(tmp):
    tag = "16 with 3 faults"
    line = Line(tmp)
    planted = fault_plan(line.entries)
    bench = Bench16(tmp, planted)
    try:
        b = line.batch(bench)
        rc, summary = b.finish()
        last = {port: r[-1] for port, r in results(b.events).items()}
        for ph in bench.phones:
            r = last.get(ph.link, {}).get("result")
            if ph.k in planted:
                check(r in ("failed", "rolled-back"), "%s: %s (%s) failed or rolled back: %s"
                      % (tag, ph.tag, planted[ph.k], r))
            else:
                check(r == "verified", "%s: clean %s verified beside the faults: %s (%s)"
                      % (tag, ph.tag, r, last.get(ph.link, {}).get("message")))
                storage_holds_package(tag, ph, line.entries[ph.chip])
        check(summary.get("verified") == COUNT - 3 and summary.get("phones") == COUNT,
              "%s: 13 verified of 16: %s" % (tag, {k: summary.get(k) for k in ("verified", "failed", "rolled-back",
                                                                               "phones")}))
        check(rc == 5, "%s: exit 5, the worst (boot not as before) (got %d: %s)" % (tag, rc, b.err[-300:]))
        check_stream(tag, b.events, COUNT)
        audit_logs_verify(tag, line.env, [e for e in b.events if e.get("result") == "verified"])
    finally:
        bench.stop()


def main(tmp):
    run_scenarios(tmp, (clean, faults))


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-batch16-", main))
