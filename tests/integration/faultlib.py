# SPDX-License-Identifier: MIT
"""Fault scenarios and the Verified Mode invariant (issue 10), shared by the
CI matrix (test_fault_matrix.py) and the randomized run (tests/fault_random.py).

A Rig is one chip and one package variant: the firmware made once, a phone
provisioned once (each scenario flashes a sparse copy of it), the plan, every
written partition's old and new content, and a calibration flash run with
-vvv whose transfer dump maps each moment of the flash to the link byte
count the emulator's faults are given in.

A scenario is a fault (KINDS) at a point of the flash; run_scenario() flashes,
runs `mtkflash recover --yes` when a journal is left open, and returns the
list of ways the invariant broke (empty: it held):
  - each written partition (and the preloader's boot2 copy) is exactly its
    old or its new content, all old when the result was a rollback, all new
    when the flash was verified;
  - the protected partitions (nvram, proinfo, ...) are unchanged;
  - `mtkemu boot-check` says the phone boots;
  - every audit log verifies (a SIGKILLed flash's only as a valid truncated
    prefix) and tells what happened: the rollback or the recover decision;
  - no journal is left unfinished."""
import json
import os
import re
import shutil
import signal
import subprocess
import threading

import txnutil as T
from mtkutil import AREA_FILES, MTKEMU, MTKFLASH, checker_env, environment, run

KINDS = ("unplug", "power-loss", "corrupt", "corrupt-once", "da-hang", "sigkill", "sigint")
POINTS = ("pre-write", "data", "between", "boot", "preloader")
CHIPS = ("mt6737", "mt6572")
BYTE_FAULTS = {"unplug": "unplug-at", "power-loss": "power-loss-at", "da-hang": "da-hang-at"}
SIGNALS = {"sigkill": signal.SIGKILL, "sigint": signal.SIGINT}
# Signals synchronise on progress lines: a modelled link slow enough that the
# flash is still inside the step when the signal lands, fast enough for CI.
SIGNAL_SPEED = "usb2-hs"
CORRUPT_LEN = 16
BIG = 4096  # a transfer larger than this is partition data, not a command
EXIT_OK, EXIT_ROLLEDBACK = 0, 7

PRELOADER = {"mt6737": "preloader", "mt6572": "PRELOADER"}
# The smallest selection with every point: the data partitions (system has
# progress lines), lk, boot, recovery and the preloader.
SUBSET = ("system", "cache", "lk", "boot", "recovery")
# Package variants: how the flash selects and what the phone holds before it.
VARIANTS = ("download", "upgrade", "reflash-changed", "quick-unsigned")
PACKAGES = threading.Lock()  # rigs of one chip share its package folder


def sparse_copy(src, dst):
    """copytree's copy_function: the emulator's 8 GiB user area stays sparse."""
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        size = os.fstat(fi.fileno()).st_size
        pos = 0
        while pos < size:
            try:
                pos = os.lseek(fi.fileno(), pos, os.SEEK_DATA)
            except OSError:
                break
            end = os.lseek(fi.fileno(), pos, os.SEEK_HOLE)
            while pos < end:
                n = os.copy_file_range(fi.fileno(), fo.fileno(), end - pos, pos, pos)
                if n <= 0:
                    raise OSError("copy_file_range stopped at %d of %s" % (pos, src))
                pos += n
        fo.truncate(size)
    shutil.copymode(src, dst)


def copy_state(base, dst):
    """A copy of the phone, just plugged in (no DA running: power.ini dropped)."""
    shutil.copytree(base, dst, copy_function=sparse_copy)
    pw = os.path.join(dst, "power.ini")
    if os.path.exists(pw):
        os.unlink(pw)
    return dst


# ------------------------------------------------------------ calibration

# the lines a signal may wait for: progress ("write system: 30%") and steps
STEP_LINE = re.compile(r"^(\[(write|backup|restore)\] \S+:|[a-z ]+ \S+: \d+% \()")
SPEW = re.compile(r"^spew: (H->D|D->H) \[(\d+)\]")


def timeline(stderr):
    """-vvv stderr as events: ("x", dir, n, link bytes before) for each
    transfer, ("l", text, link bytes so far) for each other line."""
    out, cum = [], 0
    for line in stderr.splitlines():
        m = SPEW.match(line)
        if m:
            n = int(m.group(2))
            out.append(("x", m.group(1), n, cum))
            cum += n
        elif line and not line.startswith(" "):
            out.append(("l", line, cum))
    return out


def step_segments(events, names):
    """Per written partition (plan order), the transfers from the end of the
    previous step (or the journal line) to its own `[write] NAME:` line."""
    idx = [i for i, e in enumerate(events) if e[0] == "l" and e[1].startswith("[journal] ")]
    if not idx:
        raise AssertionError("calibration: no [journal] line")
    start, segs = idx[0], {}
    for name in names:
        tag = "[write] %s:" % name
        end = next((i for i in range(start, len(events)) if events[i][0] == "l" and events[i][1].startswith(tag)),
                   None)
        if end is None:
            raise AssertionError("calibration: no %r line" % tag)
        segs[name] = (events[start + 1:end], events[end][2])
        start = end
    return segs


def mid(x):
    return x[3] + x[2] // 2


class Rig:
    """One chip and package variant, ready for scenarios (see the module doc)."""

    def __init__(self, tmp, chip, variant="download"):
        self.tmp, self.chip, self.variant = tmp, chip, variant
        self.root = os.path.join(tmp, "rig-%s-%s" % (chip, variant))
        os.makedirs(self.root)
        self.env = environment(self.root)
        with PACKAGES:
            self.scatter = T.package(tmp, self.env, chip) if variant != "quick-unsigned" else self._unsigned()
        self.args = self._args()
        self.base = self._base_phone()
        plan = T.plan_entries(self.env, chip, copy_state(self.base, self._dir("plan")), self.scatter, *self.args)
        self.entries = [e for e in plan if e["action"] == "write" and e["size"]]
        pre = [e for e in self.entries if e["region"] == "boot1"]
        # the preloader's backup copy: a staged preloader writes boot2 too
        self.checked = self.entries + [dict(e, partition=e["partition"] + "@boot2", region="boot2") for e in pre]
        self.protected = [e for e in plan if e["class"] == "protected"]
        self.old = T.snapshot(self.base, self.checked)
        self.protected_old = T.snapshot(self.base, self.protected)
        self._calibrate()

    def _dir(self, tag):
        return os.path.join(self.root, tag)

    def _unsigned(self):
        out = os.path.join(self.tmp, "pkg-%s-unsigned" % self.chip)
        if not os.path.isdir(out):
            run([MTKEMU, "mkfirmware", "--chip", self.chip, "--variant", "unsigned", "--out", out])
        return os.path.join(out, T.SCATTER[self.chip])

    def _args(self):
        names = [T.NAMES[self.chip][k] for k in SUBSET] + [PRELOADER[self.chip]]
        if self.variant == "upgrade":
            return ["--scene", "upgrade"]
        if self.variant == "quick-unsigned":
            return ["--mode", "quick", "--only", ",".join(names)]
        return ["--only", ",".join(names)]

    def _base_phone(self):
        base = T.provision(self.root, self.chip, "base")
        if self.variant == "reflash-changed":
            # the phone holds this package already, but for a few blocks of
            # system, boot and the preloader: only their chunks are written
            run([MTKFLASH, "-q", "--port", T.port(self.chip, base), "flash", self.scatter, "--yes"] + self.args,
                env=self.env)
            entries = T.written(self.env, self.chip, base, self.scatter, *self.args)
            for e in entries:
                if e["partition"] in (T.NAMES[self.chip]["system"], T.NAMES[self.chip]["boot"], PRELOADER[self.chip]):
                    with open(os.path.join(base, AREA_FILES[e["region"]]), "r+b") as f:
                        f.seek(e["offset"] + 0x1200)
                        f.write(b"\x5a" * 4096)
            os.unlink(os.path.join(base, "power.ini"))
        return base

    def _calibrate(self):
        """A clean flash with -vvv: the new content, the link byte count at each
        step and transfer, the stash ranges, the lines signals wait for."""
        ref = copy_state(self.base, self._dir("reference"))
        p = run([MTKFLASH, "-vvv", "--port", T.port(self.chip, ref), "flash", self.scatter, "--yes"] + self.args,
                env=self.env)
        self.new = T.snapshot(ref, self.checked)
        self.events = timeline(p.stderr)
        jdir = [ln.split(" ", 1)[1] for ln in p.stderr.splitlines() if ln.startswith("[journal] /")][0]
        recs = T.journal_records(jdir)
        self.ranges = {r["partition"]: r["ranges"] for r in recs if r["rec"] == "stash"}
        names = [r["partition"] for r in recs if r["rec"] == "start"]
        self.order = names  # the partitions a flash really writes (skipped ones have no start)
        self.segments = step_segments(self.events, names)
        self.total = self.events[-1][2] if self.events else 0
        # what a signal waits for: each line up to its first varying part (rates, times)
        found = [STEP_LINE.match(e[1]) for e in self.events if e[0] == "l"]
        self.lines = list(dict.fromkeys(m.group(1).rstrip(" (") for m in found if m))

    # ----------------------------------------------------------- points

    def step(self, key):
        """The plan name of a point's partition: the first written partition,
        boot or the preloader."""
        if key == "first":
            return self.order[0]
        name = PRELOADER[self.chip] if key == "preloader" else T.NAMES[self.chip][key]
        return name if name in self.segments else None

    def byte_point(self, point):
        """The link byte count for a cable/power/hang fault at `point`."""
        first = self.step("first")
        seg, _ = self.segments[first]
        writes = [x for x in seg if x[0] == "x" and x[1] == "H->D" and x[2] > BIG]
        if point == "pre-write":
            return mid(next(x for x in seg if x[0] == "x" and x[1] == "D->H" and x[2] > BIG))
        if point == "data":
            return mid(writes[len(writes) // 2])
        if point == "between":
            # inside the next step's stash read: system done, nothing of the next
            # written (its exact end would move with the READY banners the host
            # happened to read before the handshake)
            nxt, _ = self.segments[self.order[1]]
            return mid(next(x for x in nxt if x[0] == "x" and x[1] == "D->H" and x[2] > BIG))
        name = self.step("boot" if point == "boot" else "preloader")
        if name is None:
            return None
        seg, _ = self.segments[name]
        writes = [i for i, x in enumerate(seg) if x[0] == "x" and x[1] == "H->D" and x[2] > BIG]
        if point == "boot":
            return mid(seg[writes[1] if len(writes) > 1 else writes[0]])
        # the preloader written, inside its read-back
        back = [x for x in seg[writes[-1]:] if x[0] == "x" and x[1] == "D->H" and x[2] > BIG]
        return mid(back[0] if back else seg[writes[-1]])

    def corrupt_range(self, point):
        """REGION:OFFSET:LEN of a corrupt-write at `point`; None when the point
        has no partition in this variant."""
        keys = {"pre-write": "first", "data": "first", "between": None, "boot": "boot", "preloader": "preloader"}
        name = self.order[1] if point == "between" and len(self.order) > 1 else self.step(keys[point] or "first")
        if name is None:
            return None
        e = next(x for x in self.entries if x["partition"] == name)
        rs = self.ranges[name]
        if point == "data":
            big = max(rs, key=lambda r: r[1])  # a small range may already hold the new bytes (skipped)
            off = big[0] + big[1] // 2
        elif point in ("boot", "preloader"):
            off = rs[0][0] + min(0x3000 if point == "boot" else 0x800, rs[0][1] - CORRUPT_LEN)
        else:
            off = rs[0][0]
        return "%s:%#x:%d" % (e["region"], e["offset"] + off, CORRUPT_LEN)

    def signal_line(self, point):
        """The stderr line a signal at `point` waits for."""
        first = self.step("first")
        if point == "pre-write":
            return "read %s: 30%%" % first
        if point == "data":
            return "write %s: 30%%" % first
        if point == "between":
            return "[write] %s:" % first
        name = self.step("boot" if point == "boot" else "preloader")
        if name is None:
            return None
        k = self.order.index(name)
        return "[write] %s:" % self.order[k - 1] if k else "[journal] "


# ------------------------------------------------------------ scenarios

class Scenario:
    def __init__(self, kind, point, fault=None, line=None, tag=None):
        self.kind, self.point, self.fault, self.line = kind, point, fault, line
        self.tag = tag or "%s@%s" % (kind, point)


def scenario(rig, kind, point):
    """The scenario of the matrix for `kind` at `point`; None when the variant
    has no such point."""
    if kind in BYTE_FAULTS:
        n = rig.byte_point(point)
        return Scenario(kind, point, fault="%s=%d" % (BYTE_FAULTS[kind], n)) if n is not None else None
    if kind in ("corrupt", "corrupt-once"):
        r = rig.corrupt_range(point)
        name = "corrupt-write" if kind == "corrupt" else "corrupt-write-once"
        return Scenario(kind, point, fault="%s=%s" % (name, r)) if r else None
    line = rig.signal_line(point)
    return Scenario(kind, point, line=line) if line else None


def random_scenario(rig, kind, rnd):
    """A scenario of `kind` at a point drawn with `rnd` (random.Random)."""
    if kind in BYTE_FAULTS:
        n = rnd.randrange(0, rig.total + 1)
        return Scenario(kind, "byte %d" % n, fault="%s=%d" % (BYTE_FAULTS[kind], n))
    if kind in ("corrupt", "corrupt-once"):
        name = rnd.choice([n for n in rig.order if n in rig.ranges])  # quick mode journals no ranges for cache
        e = next(x for x in rig.entries if x["partition"] == name)
        off, length = rnd.choice(rig.ranges[name])
        at = e["offset"] + off + rnd.randrange(0, max(length - CORRUPT_LEN, 1))
        fault = "%s=%s:%#x:%d" % ("corrupt-write" if kind == "corrupt" else "corrupt-write-once", e["region"], at,
                                  CORRUPT_LEN)
        return Scenario(kind, "%s+%#x" % (name, at - e["offset"]), fault=fault)
    line = rnd.choice(rig.lines)  # any progress or step line of the calibration flash
    return Scenario(kind, "line %r" % line, line=line)


def run_scenario(rig, sc):
    """Runs one scenario on a fresh copy of the rig's phone: its Outcome, whose
    `problems` lists how the invariant broke."""
    wd = os.path.join(rig.root, re.sub(r"[^a-z0-9@-]+", "_", sc.tag.lower())[:60])  # tags are unique per rig
    env = environment(wd)  # its own journals, session records and station key
    state = copy_state(rig.base, os.path.join(wd, "state"))
    problems = []
    res = Outcome(sc)
    flash_once(rig, sc, env, state, wd, res)
    if res.flash_rc is None:
        res.problems = ["%s: %s" % (sc.tag, res.error)]
        return res
    if unfinished(env):
        spec = T.port(rig.chip, state) + (",plug=replug" if sc.kind == "da-hang" else "")
        p = run([MTKFLASH, "--json", "--port", spec, "recover", "--yes", "--audit", os.path.join(wd, "recover.log")],
                expect=None, env=env)
        res.recover_rc, res.recover_log = p.returncode, os.path.join(wd, "recover.log")
        res.recover_err = p.stderr[-600:]
    res.landing = landing(env)
    problems += invariant(rig, env, state, res)
    res.problems = ["%s (%s): %s" % (sc.tag, res.describe(), x) for x in problems]
    if not res.problems:
        shutil.rmtree(wd, ignore_errors=True)  # a broken one stays for a look
    return res


class Outcome:
    def __init__(self, sc):
        self.sc = sc
        self.flash_rc = self.recover_rc = None
        self.flash_log = self.recover_log = None
        self.flash_err = self.recover_err = self.error = ""
        self.landing, self.problems, self.flash_events = "", [], []

    def expected(self, closed):
        """What every partition should hold by the journal's close record
        (`closed`; recover closes the flash's journal too): "new" when
        verified, "old" when rolled back or unchanged, and "old" without a
        journal (the flash stopped before its plan was journaled).  The exit
        statuses must say the same."""
        want = {"verified": "new", "rolled-back": "old", "unchanged": "old", None: "old"}.get(closed)
        last = self.recover_rc if self.recover_rc is not None else self.flash_rc
        said = {EXIT_OK: "new", EXIT_ROLLEDBACK: "old"}.get(last)
        if closed is None and self.flash_rc == EXIT_OK:
            return want, "the flash succeeded without a journal"
        if said and said != want:
            return want, "exit %s, but the journal closed %s" % (last, closed)
        return want, None

    def describe(self):
        return "flash exit %s%s" % (self.flash_rc, "" if self.recover_rc is None else
                                    ", recover exit %s" % self.recover_rc)


def flash_once(rig, sc, env, state, wd, res):
    res.flash_log = os.path.join(wd, "flash.log")
    args = list(rig.args) + ["--audit", res.flash_log]
    if sc.line is None:
        spec = T.port(rig.chip, state, sc.fault.replace(",", "+"))
        p = run([MTKFLASH, "--port", spec, "flash", rig.scatter, "--yes"] + args, expect=None, env=env)
        res.flash_rc, res.flash_err = p.returncode, p.stderr[-800:]
        return
    try:
        rc, _, err, _ = T.signal_at_line(env, rig.chip, state, rig.scatter, sc.line, SIGNALS[sc.kind], *args,
                                  speed=SIGNAL_SPEED)
    except (AssertionError, subprocess.TimeoutExpired) as e:
        res.error = "no signal sent: %s" % e
        return
    res.flash_rc, res.flash_err = rc, err[-800:]


def landing(env):
    """Where the flash stopped, from its journal: the step started and not
    ended, else the last one ended."""
    for j in T.journals(env)[:1]:
        recs = T.journal_records(j)
        ended = {r["partition"] for r in recs if r["rec"] == "end"}
        started = [r["partition"] for r in recs if r["rec"] == "start"]
        open_ = [p for p in started if p not in ended]
        return "in " + open_[-1] if open_ else "after " + started[-1] if started else "before any write"
    return "no journal"


def closed(env):
    """The flash journal's close result (None: no journal, or left open)."""
    for j in T.journals(env)[:1]:
        return next((r["result"] for r in T.journal_records(j) if r["rec"] == "close"), None)
    return None


def unfinished(env):
    return [j for j in T.journals(env) if not any(r["rec"] == "close" for r in T.journal_records(j))]


def invariant(rig, env, state, res):
    problems = []
    kinds = T.classify(state, rig.checked, rig.old, rig.new)
    # a partition the package leaves as it was (boot2 without a staged preloader) is both
    kinds = {k: "same" if v != "NEITHER" and rig.old[k] == rig.new[k] else v for k, v in kinds.items()}
    bad = {k: v for k, v in kinds.items() if v == "NEITHER"}
    if bad:
        problems.append("neither old nor new: %s" % ", ".join(sorted(bad)))
    want, wrong = res.expected(closed(env))
    if wrong:
        problems.append(wrong)
    if not bad and any(v not in (want, "same") for v in kinds.values()):
        problems.append("the result says all %s, the device holds %s" % (want, kinds))
    if res.recover_rc not in (None, EXIT_OK, EXIT_ROLLEDBACK):
        problems.append("recover failed (%s)" % res.recover_err.strip().splitlines()[-1:])
    if T.snapshot(state, rig.protected) != rig.protected_old:
        problems.append("a protected partition changed")
    problems += boots(state)
    problems += logs(env, res)
    if unfinished(env):
        problems.append("a journal is still unfinished")
    return problems


def boots(state):
    p = run([MTKEMU, "boot-check", "--state", state, "--json"], expect=None, env=checker_env())
    if p.returncode == 0:
        return []
    try:
        doc = json.loads(p.stdout)
        return ["does not boot: %s %s" % (doc.get("failed"), doc.get("why"))]
    except ValueError:
        return ["boot-check exit %d: %s" % (p.returncode, p.stderr[-200:])]


def verify_log(env, path, allow_truncated):
    """Problems with one audit log, and its events (dicts)."""
    if not os.path.exists(path):
        return ["no audit log %s" % os.path.basename(path)], []
    pub = os.path.join(env["XDG_DATA_HOME"], "mtkflash", "station.pub")
    p = run([MTKFLASH, "--json", "log", "verify", path, "--trust", pub], expect=None, env=checker_env(env))
    doc = json.loads(p.stdout)
    ok = doc["verified"] or (allow_truncated and doc["problem"] == "truncated")
    with open(path) as f:
        events = [json.loads(line) for line in f if line.endswith("\n")]
    return ([] if ok else ["%s: log verify: %s %s" % (os.path.basename(path), doc["problem"], doc["detail"])]), events


def logs(env, res):
    if not os.path.exists(res.flash_log) and not T.journals(env) and res.flash_rc != EXIT_OK:
        return []  # the connect failed: no device id to log under, and nothing planned or written
    killed = res.flash_rc == -signal.SIGKILL
    problems, res.flash_events = verify_log(env, res.flash_log, killed)
    fev = [e.get("event") for e in res.flash_events]
    if res.flash_rc == EXIT_ROLLEDBACK and "rollback" not in fev:
        problems.append("the flash rolled back but its log has no rollback event")
    if res.flash_rc == EXIT_OK and "end" not in fev:
        problems.append("the flash log has no end event")
    if res.flash_rc not in (EXIT_OK, -signal.SIGKILL) and not {"error", "interrupted"} & set(fev):
        problems.append("the flash failed (exit %s) but its log names no error: %s" % (res.flash_rc, fev))
    if res.recover_log:
        more, rev = verify_log(env, res.recover_log, False)
        rev = [e.get("event") for e in rev]
        problems += more
        if not {"journal", "decision", "end"} <= set(rev):
            problems.append("the recover log does not tell the journal, the decision and the end: %s" % rev)
    return problems
