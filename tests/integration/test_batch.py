#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mtkflash batch (issue 13 item 3): many phones, each mtkemu on its own pty.

- Mixed chips: two MT6737 and two MT6572 phones, one package for each chip,
  --count 5; when the first phone is done its port gets a new phone (the old
  mtkemu ends, a new one takes the same link).  All five verified, each
  package judged once, every phone's audit log verifies, every phone's
  storage holds the package's bytes (sparse images expanded here), the JSON
  stream has port and stage on every event and a result on each phone's last.
- Faults on three ports (a persistent corrupt write in boot, a cable pulled
  mid-write, a DA that never answers) while two clean phones flash: exactly
  the three fail or roll back, the two verify, exit 5 (the worst: boot is not
  as before).
- Ctrl-C: one phone done, one held by the emulator at a write into system:
  the first SIGINT ends the intake ("stopping" event), the second rolls the
  held phone back; exit 130, summary interrupted, the phone's storage as
  before.
- A phone no package is for: refused, nothing written, exit 6.
- --max 2 with three phones (plain lines): never more than two at once.
- The live view on a terminal: lines redrawn in place, in SP Flash Tool's
  colours; --ports auto with no phone waits until SIGTERM (exit 143).
- Usage: no package, an emu: port, service mode.
Each scenario runs on its own thread in its own folder; every wait is on an
event (a JSON line, the emulator's stop), never on time."""
import hashlib
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import (AREA_FILES, MTKEMU, MTKFLASH, check, environment, in_tmpdir, read_line, run,  # noqa: E402
                     start_emu, stop_emu)
import mtkutil  # noqa: E402
import txnutil as T  # noqa: E402

RESULTS = ("verified", "failed", "rolled-back", "refused")
EVENT_TIMEOUT = 120.0


# ---------------------------------------------------------------- phones

class Phone:
    """An mtkemu serving a provisioned phone on the pty link `link`."""

    def __init__(self, tmp, env, chip, tag, link, faults=None):
        self.chip, self.link, self.tag = chip, link, tag
        self.state = T.provision(tmp, chip, tag)
        args = ["--chip", chip, "--state", self.state, "--link", link] + (["--faults", faults] if faults else [])
        self.proc = start_emu(args, env=env)
        line = read_line(self.proc)
        if line != "ready " + link:
            raise AssertionError("%s: mtkemu said %r" % (tag, line))

    def stop(self):
        stop_emu(self.proc)


class Batch:
    """mtkflash --json batch ...; its events, read as they come."""

    def __init__(self, env, args):
        self.proc = subprocess.Popen([MTKFLASH, "--json", "batch"] + list(args), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.events, self.buf = [], b""

    def _line(self):
        fd = self.proc.stdout.fileno()
        end = time.monotonic() + EVENT_TIMEOUT
        while b"\n" not in self.buf:
            r, _, _ = select.select([fd], [], [], max(end - time.monotonic(), 0))
            if not r:
                raise AssertionError("no batch event within %.0f s" % EVENT_TIMEOUT)
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def wait_for(self, pred, what):
        """Reads events up to the first for which pred holds; returns it."""
        while True:
            e = self._line()
            if e is None:
                raise AssertionError("batch ended before %s (stderr %r)" % (what, self.proc.stderr.read()[-600:]))
            self.events.append(e)
            if pred(e):
                return e

    def finish(self):
        """Every remaining event; the exit status and the summary."""
        while True:
            e = self._line()
            if e is None:
                break
            self.events.append(e)
        self.err = self.proc.stderr.read().decode()
        rc = self.proc.wait(timeout=EVENT_TIMEOUT)
        summary = [e for e in self.events if e.get("event") == "summary"]
        return rc, summary[-1] if summary else {}


def results(events):
    """port -> [result events, in order]."""
    out = {}
    for e in events:
        if e.get("event") == "result":
            out.setdefault(e["port"], []).append(e)
    return out


def check_stream(tag, events, phones):
    check(all("port" in e and "stage" in e for e in events), "%s: every event has port and stage" % tag)
    per_port = {}
    for e in events:
        if e["port"] != "all":
            per_port.setdefault(e["port"], []).append(e)
    n = 0
    for port, evs in per_port.items():
        check(evs[-1].get("event") == "result", "%s: %s's last event is its result" % (tag, port))
        # each phone's events end with its result: no event of a phone after it but the next phone's
        for i, e in enumerate(evs):
            if e.get("event") == "result":
                n += 1
                check(e.get("result") in RESULTS, "%s: %s result %r is one of %s" % (tag, port, e.get("result"),
                                                                                     RESULTS))
                nxt = evs[i + 1] if i + 1 < len(evs) else None
                check(nxt is None or nxt["stage"] == "connect", "%s: %s: after a result the next phone connects"
                      % (tag, port))
    check(n == phones, "%s: %d results for %d phones" % (tag, n, phones))


# ---------------------------------------------------------------- storage

def sparse_segments(path):
    """(offset, bytes) of what an Android sparse image sets (raw and fill
    chunks); a plain image is one segment."""
    data = open(path, "rb").read()
    if data[:4] != b"\x3a\xff\x26\xed":
        return [(0, data)]
    hdr_sz, chunk_hdr_sz, blk, _, chunks = struct.unpack_from("<HHIII", data, 8)
    pos, off, out = hdr_sz, 0, []
    for _ in range(chunks):
        kind, _, nblk, total = struct.unpack_from("<HHII", data, pos)
        body = data[pos + chunk_hdr_sz:pos + total]
        if kind == 0xCAC1:
            out.append((off, body))
        elif kind == 0xCAC2:
            out.append((off, body[:4] * (nblk * blk // 4)))
        if kind != 0xCAC4:
            off += nblk * blk
        pos += total
    return out


def storage_holds_package(tag, phone, entries):
    with_image = [e for e in entries if e["image"]]
    check(with_image, "%s: the plan writes images" % tag)
    for e in with_image:
        with open(os.path.join(phone.state, AREA_FILES[e["region"]]), "rb") as f:
            for off, want in sparse_segments(e["image"]):
                f.seek(e["offset"] + off)
                got = f.read(len(want))
                if got != want:
                    check(False, "%s: %s: %s at +%#x differs from the package" % (tag, phone.tag, e["partition"],
                                                                                  off))
                    return


def plan_of(tmp, env, chip, scatter):
    ref = T.provision(tmp, chip, "plan-reference")
    return T.written(env, chip, ref, scatter)


def audit_logs_verify(tag, env, events):
    for e in events:
        if e.get("event") == "result" and e.get("audit_log"):
            T.log_events(env, e["audit_log"], "%s %s" % (tag, e["port"]))


# ---------------------------------------------------------------- scenarios

class Bench:
    """Packages for both chips (with each plan's written entries) and
    phones on links tmp/ttyN as `spec` says: [(chip, faults or None)]."""

    def __init__(self, tmp, env, tag, spec_fn):
        self.tmp, self.env = tmp, env
        self.pkgs = {c: T.package(tmp, env, c) for c in ("mt6737", "mt6572")}
        self.entries = {c: plan_of(tmp, env, c, self.pkgs[c]) for c in self.pkgs}
        self.spec = spec_fn(self.entries)
        self.links = [os.path.join(tmp, "tty%d" % i) for i in range(len(self.spec))]
        self.phones = []
        for i, (chip, fault) in enumerate(self.spec):
            self.phones.append(Phone(tmp, env, chip, "%s%d" % (tag, i), self.links[i], fault))

    def batch(self, *args):
        return Batch(self.env, ["--package", self.pkgs["mt6737"], "--package", self.pkgs["mt6572"], "--ports",
                                ",".join(self.links), "--yes"] + list(args))

    def stop(self):
        for ph in self.phones:
            ph.stop()


def mixed(tmp):
    tag = "mixed"
    env = environment(tmp)
    bench = Bench(tmp, env, "p", lambda _: [("mt6737", None), ("mt6737", None), ("mt6572", None), ("mt6572", None)])
    links, phones, entries = bench.links, bench.phones, bench.entries
    try:
        b = bench.batch("--count", "5")
        first = b.wait_for(lambda e: e.get("event") == "result" and e["port"] == links[0], "the first phone's result")
        check(first["result"] == "verified", "%s: the first phone on %s verified: %s" % (tag, links[0], first))
        phones[0].stop()
        phones.append(Phone(tmp, env, "mt6737", "p4-same-port", links[0]))
        rc, summary = b.finish()
        check(rc == 0, "%s: exit 0 (got %d: %s)" % (tag, rc, b.err[-600:]))
        check(summary.get("verified") == 5 and summary.get("phones") == 5, "%s: 5 verified: %s" % (tag, summary))
        check(summary.get("package_checks") == 2, "%s: each package judged once for the batch: %s"
              % (tag, summary.get("package_checks")))
        per_port = {p["port"]: p["phones"] for p in summary.get("ports", [])}
        check(per_port.get(links[0]) == 2, "%s: two phones on the re-used port: %s" % (tag, per_port))
        check_stream(tag, b.events, 5)
        audit_logs_verify(tag, env, b.events)
        devices = {e["device"] for e in b.events if e.get("event") == "result"}
        check(len(devices) == 5, "%s: five different devices: %s" % (tag, devices))
        for ph in phones:
            storage_holds_package(tag, ph, entries[ph.chip])
    finally:
        bench.stop()


def fault_spec(entries):
    boot = T.entry(entries["mt6737"], "boot")
    return [("mt6737", None), ("mt6572", None),
            ("mt6737", "corrupt-write=user:%#x:16" % (boot["offset"] + 0x3000)),
            ("mt6737", "unplug-at=6M"),
            ("mt6572", "da-silent")]


def faults(tmp):
    tag = "faults"
    env = environment(tmp)
    bench = Bench(tmp, env, "f", fault_spec)
    links, spec = bench.links, bench.spec
    try:
        b = bench.batch("--count", str(len(spec)))
        rc, summary = b.finish()
        got = {port: r[-1]["result"] for port, r in results(b.events).items()}
        for i, (chip, fault) in enumerate(spec):
            if fault:
                check(got.get(links[i]) in ("failed", "rolled-back"), "%s: %s (%s) failed or rolled back: %s"
                      % (tag, links[i], fault, got.get(links[i])))
            else:
                check(got.get(links[i]) == "verified", "%s: clean %s verified beside the faults: %s"
                      % (tag, links[i], got.get(links[i])))
                storage_holds_package(tag, bench.phones[i], bench.entries[chip])
        check(summary.get("verified") == 2, "%s: 2 verified: %s" % (tag, summary))
        check(rc == 5, "%s: exit 5, the worst (boot not as before) (got %d)" % (tag, rc))
        check_stream(tag, b.events, len(spec))
        audit_logs_verify(tag, env, [e for e in b.events if e.get("result") == "verified"])
    finally:
        bench.stop()


def ctrl_c(tmp):
    tag = "Ctrl-C"
    env = environment(tmp)
    scatter = T.package(tmp, env, "mt6737")
    entries = plan_of(tmp, env, "mt6737", scatter)
    system = T.entry(entries, "system")
    links = [os.path.join(tmp, "tty%d" % i) for i in range(2)]
    phones = [Phone(tmp, env, "mt6737", "c0", links[0]),
              Phone(tmp, env, "mt6737", "c1-held", links[1], T.pause_fault(system, skip=1 << 20))]
    before = T.snapshot(phones[1].state, entries)
    try:
        b = Batch(env, ["--package", scatter, "--ports", ",".join(links), "--yes"])
        first = b.wait_for(lambda e: e.get("event") == "result", "the free phone's result")
        check(first["port"] == links[0] and first["result"] == "verified", "%s: the free phone verified: %s"
              % (tag, first))
        T.wait_paused(phones[1].proc)
        b.proc.send_signal(signal.SIGINT)
        stopping = b.wait_for(lambda e: e.get("event") == "stopping", "the stopping event")
        check(stopping.get("in_progress") == 1, "%s: one phone in progress at the first Ctrl-C: %s" % (tag, stopping))
        b.proc.send_signal(signal.SIGINT)
        os.kill(phones[1].proc.pid, signal.SIGCONT)
        rc, summary = b.finish()
        got = results(b.events).get(links[1], [{}])[-1].get("result")
        check(got == "rolled-back", "%s: the held phone rolled back (got %s)" % (tag, got))
        check(rc == 130, "%s: exit 130 (got %d: %s)" % (tag, rc, b.err[-400:]))
        check(summary.get("interrupted") is True and summary.get("rolled-back") == 1,
              "%s: summary says interrupted, 1 rolled back: %s" % (tag, summary))
        check(T.snapshot(phones[1].state, entries) == before, "%s: the held phone's storage as before" % tag)
        check_stream(tag, b.events, 2)
    finally:
        for ph in phones:
            ph.stop()


def live_view(tmp):
    """On a terminal: one line per port, redrawn in place (cursor up), the
    stage in SP Flash Tool's colour (red while connecting), the result."""
    tag = "live view"
    env = environment(tmp)
    scatter = T.package(tmp, env, "mt6572")
    links = [os.path.join(tmp, "tty%d" % i) for i in range(2)]
    phones = [Phone(tmp, env, "mt6572", "l%d" % i, links[i]) for i in range(2)]
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen([MTKFLASH, "batch", "--package", scatter, "--ports", ",".join(links), "--count", "2",
                                 "--yes"], stdout=slave, stderr=subprocess.PIPE, env=env)
        os.close(slave)
        out = b""
        while True:
            r, _, _ = select.select([master], [], [], EVENT_TIMEOUT)
            if not r:
                raise AssertionError("%s: no output within %.0f s" % (tag, EVENT_TIMEOUT))
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the batch closed the terminal's last fd
                break
            if not chunk:
                break
            out += chunk
        rc = proc.wait(timeout=EVENT_TIMEOUT)
        text = out.decode(errors="replace")
        check(rc == 0, "%s: exit 0 (got %d)" % (tag, rc))
        check("\x1b[2A" in text, "%s: the two port lines are redrawn in place" % tag)
        check("\x1b[38;2;188;89;70mconnect" in text, "%s: connect in SP Flash Tool's red" % tag)
        final = text.rsplit("\x1b[2A", 1)[-1].split("2 phones:")[0]
        check(final.count("verified") == 2, "%s: the last drawing shows both phones verified" % tag)
        check("2 phones: 2 verified" in text, "%s: the summary follows the view" % tag)
    finally:
        os.close(master)
        for ph in phones:
            ph.stop()


def slots(tmp):
    """--max 2 with three phones waiting, plain output (no terminal, no
    --json): never more than two between their connect and their result
    lines; the third takes the first free slot."""
    tag = "--max 2"
    env = environment(tmp)
    scatter = T.package(tmp, env, "mt6572")
    links = [os.path.join(tmp, "tty%d" % i) for i in range(3)]
    phones = [Phone(tmp, env, "mt6572", "s%d" % i, links[i]) for i in range(3)]
    try:
        p = run([MTKFLASH, "batch", "--package", scatter, "--ports", ",".join(links), "--max", "2", "--count", "3",
                 "--yes"], expect=None, env=env)
        active, most, verified = set(), 0, 0
        for line in p.stdout.splitlines():
            port, _, what = line.partition(": ")
            if what.startswith("connect"):
                active.add(port)
            elif what.split(" ")[0] in RESULTS:
                active.discard(port)
                verified += what.startswith("verified mt6572-")
            most = max(most, len(active))
        check(most <= 2, "%s: at most two phones at once (saw %d)" % (tag, most))
        check(p.returncode == 0 and verified == 3, "%s: three plain 'verified DEVICE' lines, exit 0 (exit %d: %s)"
              % (tag, p.returncode, p.stdout[-600:]))
        check("3 phones: 3 verified, 0 failed, 0 rolled back, 0 refused" in p.stdout, "%s: the summary" % tag)
    finally:
        for ph in phones:
            ph.stop()


def refused(tmp):
    """A phone no package of the batch is for: refused, nothing written, exit 6."""
    tag = "refused"
    env = environment(tmp)
    scatter = T.package(tmp, env, "mt6737")
    link = os.path.join(tmp, "tty0")
    phone = Phone(tmp, env, "mt6572", "r0", link)
    before = mtkutil.content(phone.state, "user", 0, 64 << 20)
    try:
        b = Batch(env, ["--package", scatter, "--ports", link, "--count", "1", "--yes"])
        rc, summary = b.finish()
        last = results(b.events).get(link, [{}])[-1]
        check(last.get("result") == "refused" and "MT6737" in last.get("message", ""),
              "%s: refused, naming the package's chip: %s" % (tag, last))
        check(rc == 6 and summary.get("refused") == 1, "%s: exit 6, 1 refused (exit %d, %s)" % (tag, rc, summary))
        check(mtkutil.content(phone.state, "user", 0, 64 << 20) == before, "%s: nothing written" % tag)
    finally:
        phone.stop()


def no_phone(tmp):
    """--ports auto with no phone plugged in: the batch waits until SIGTERM,
    then its summary: no phone, interrupted, exit 143."""
    tag = "auto, no phone"
    env = environment(tmp)
    scatter = T.package(tmp, env, "mt6737")
    b = Batch(env, ["--package", scatter, "--ports", "auto", "--yes"])
    start = b.wait_for(lambda e: e.get("event") == "start", "the start event")
    check(start.get("max") == 16 and start.get("stage") == "wait", "%s: start event, 16 at a time: %s" % (tag, start))
    b.proc.send_signal(signal.SIGTERM)
    rc, summary = b.finish()
    check(rc == 143, "%s: exit 143 (got %d: %s)" % (tag, rc, b.err[-300:]))
    check(summary.get("phones") == 0 and summary.get("interrupted") is True, "%s: summary %s" % (tag, summary))


def batch_policy(tmp, env, name, sign_key=None, **rules):
    """`policy init` with `rules` changed and the mt6737 sample package approved."""
    path = os.path.join(tmp, name)
    run([MTKFLASH, "policy", "init", "--out", path], env=env)
    with open(path) as f:
        doc = json.load(f)
    sums = os.path.join(os.path.dirname(T.package(tmp, env, "mt6737")), "SHA256SUMS")
    with open(sums, "rb") as f:
        doc["packages"] = [hashlib.sha256(f.read()).hexdigest()]
    doc.update(rules)
    with open(path, "w") as f:
        json.dump(doc, f)
    if sign_key:
        run([MTKFLASH, "policy", "sign", path, "--key", sign_key + ".key"], env=env)
    return path


def policy(tmp):
    """A station that requires signed policies: an unsigned one stops the
    batch before any phone is taken; a signed one that forbids a partition
    the package writes refuses each phone naming the rule, nothing written;
    a signed one that allows the package verifies the phone, and its audit
    log records the operator role and the policy's hash."""
    tag = "policy"
    env = environment(tmp)
    scatter = T.package(tmp, env, "mt6737")
    key = os.path.join(tmp, "engineer")
    run([MTKFLASH, "keygen", "--out", key], env=env)
    with open(key + ".pub") as f:
        station = {"station": 1, "require_signed_policy": True, "policy_keys": [f.read().splitlines()[1]]}
    os.makedirs(os.path.join(env["XDG_CONFIG_HOME"], "mtkflash"), exist_ok=True)
    with open(os.path.join(env["XDG_CONFIG_HOME"], "mtkflash", "station.json"), "w") as f:
        json.dump(station, f)
    link = os.path.join(tmp, "tty0")
    phone = Phone(tmp, env, "mt6737", "pol0", link)
    before = mtkutil.content(phone.state, "user", 0, 64 << 20)
    try:
        unsigned = batch_policy(tmp, env, "unsigned.json")
        p = run([MTKFLASH, "batch", "--package", scatter, "--ports", link, "--count", "1", "--yes",
                 "--policy", unsigned], expect=None, env=env)
        check(p.returncode == 6 and "require_signed_policy" in p.stderr,
              "%s: unsigned policy stops the batch, naming the rule (exit %d: %s)"
              % (tag, p.returncode, p.stderr.strip()[-300:]))
        deny = batch_policy(tmp, env, "deny.json", key, never_write=["boot"])
        b = Batch(env, ["--package", scatter, "--ports", link, "--count", "1", "--yes", "--policy", deny])
        rc, summary = b.finish()
        last = results(b.events).get(link, [{}])[-1]
        check(rc == 6 and last.get("result") == "refused" and "never_write" in last.get("message", ""),
              "%s: never_write refuses the phone naming the rule (exit %d, %s)" % (tag, rc, last))
        check(mtkutil.content(phone.state, "user", 0, 64 << 20) == before, "%s: refused, nothing written" % tag)
        allow = batch_policy(tmp, env, "allow.json", key)
        b = Batch(env, ["--package", scatter, "--ports", link, "--count", "1", "--yes", "--policy", allow])
        rc, summary = b.finish()
        last = results(b.events).get(link, [{}])[-1]
        check(rc == 0 and last.get("result") == "verified", "%s: allowed: verified (exit %d, %s)" % (tag, rc, last))
        if check(last.get("audit_log"), "%s: the phone's result names its audit log: %s" % (tag, last)):
            events = T.log_events(env, last["audit_log"], tag)
            pol = [e for e in events if e.get("event") == "policy" or e.get("type") == "policy"]
            with open(allow, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            check(pol and digest in json.dumps(pol) and "operator" in json.dumps(pol),
                  "%s: the audit log records the policy's hash and the operator role: %s" % (tag, pol))
    finally:
        phone.stop()


def usage(tmp):
    env = environment(tmp)
    for args, what in ((["--ports", "/dev/null"], "no package"),
                       (["--package", "x.txt", "--ports", "emu:mt6737"], "an emu: port"),
                       (["--package", "x.txt", "--ports", "/a,/a"], "a port twice"),
                       (["--package", "x.txt", "--mode", "service"], "service mode"),
                       (["--package", "x.txt", "--max", "0"], "--max 0"),
                       (["--package", "x.txt", "--after", "reboot"], "--after reboot")):
        p = run([MTKFLASH, "batch"] + args, expect=None, env=env)
        check(p.returncode == 2, "usage: %s: exit 2 (got %d: %s)" % (what, p.returncode, p.stderr.strip()))
    p = run([MTKFLASH, "batch", "--help"], env=env)
    check("--count" in p.stdout and "rolled-back" in p.stdout, "batch --help describes --count and the results")


def run_scenarios(tmp, scenarios):
    """Each scenario on its own thread in its own folder tmp/NAME; an
    AssertionError ends that scenario alone and counts as a failure."""
    threads, errors = [], []

    def guard(fn, sub):
        os.makedirs(sub)
        try:
            fn(sub)
        except AssertionError as e:
            errors.append("%s: %s" % (fn.__name__, e))
    for fn in scenarios:
        t = threading.Thread(target=guard, args=(fn, os.path.join(tmp, fn.__name__)))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for e in errors:
        check(False, e)


def main(tmp):
    run_scenarios(tmp, (mixed, faults, ctrl_c, live_view, slots, refused, policy, no_phone, usage))


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-batch-", main))
