#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`mtkemu bench`: four emulated phones (MT6737 and MT6572 dealt in turn)
from one process, each on its own pty.  It prints one ready line per phone
in phone order; `mtkflash detect` and a quick-mode `flash` of the sample
package work on every port, two phones at a time; a write-protect fault
planted on phone 2 fails phone 2's flash only; a phone that reboots comes
back at the same path, and a replug queued for one phone replugs that one;
SIGTERM stops every phone with exit 0, removes the links and frees the
state folders, whose storage holds the package's bytes; a second bench on
the same folder provisions nothing."""
import ctypes
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import MTKEMU, MTKFLASH, check, environment, run, start_emu, state_bytes, stop_emu  # noqa: E402
mtkutil.EMU_LEAK_SCAN = True  # mtkemu's own commands are what this tests

CHIPS = ("mt6737", "mt6572")
COUNT = 4
FAULTY = 2


class Lines:
    """The bench's stdout lines as they come, read on a thread so that a
    test can wait for a line some phone prints later (a re-enumeration)."""

    def __init__(self, proc):
        self.lines, self.done = [], False
        self.cond = threading.Condition()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc):
        for raw in proc.stdout:
            with self.cond:
                self.lines.append(raw.decode().rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def wait(self, pred, start=0, timeout=30):
        """Index of the first line from `start` on for which pred holds."""
        with self.cond:
            found = []

            def ready():
                found[:] = [i for i in range(start, len(self.lines)) if pred(self.lines[i])][:1]
                return found or self.done
            self.cond.wait_for(ready, timeout)
            if not found:
                raise AssertionError("no such line from mtkemu bench (got %r)" % self.lines)
            return found[0]


def phone_dir(bench, k):
    return os.path.join(bench, "phone-%02d" % k)


def expected_ready(bench, k):
    return "ready %s/tty phone=%02d chip=%s" % (phone_dir(bench, k), k, CHIPS[(k - 1) % len(CHIPS)])


def mkfirmware(tmp, chip):
    out = os.path.join(tmp, "pkg-" + chip)
    run([MTKEMU, "mkfirmware", "--chip", chip, "--out", out])
    return os.path.join(out, [n for n in os.listdir(out) if n.endswith("_Android_scatter.txt")][0])


def both(cmds, env):
    """Runs the commands at the same time; their finished processes."""
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for c in cmds]
    return [(p, *p.communicate(timeout=300)) for p in procs]


def port(bench, k):
    return "serial:%s/tty" % phone_dir(bench, k)


def detect_all(bench, env):
    for pair in ((1, 2), (3, 4)):
        done = both([[MTKFLASH, "-q", "--json", "--port", port(bench, k), "detect"] for k in pair], env)
        for k, (p, out, err) in zip(pair, done):
            want = CHIPS[(k - 1) % len(CHIPS)].upper()
            ok = p.returncode == 0 and json.loads(out)["chip"] == want
            check(ok, "phone %d: detect says %s (exit %d, %s)" % (k, want, p.returncode, err[-300:]))


def flash_all(bench, scatters, env):
    """phone -> (exit status, document)."""
    res = {}
    for pair in ((1, 2), (3, 4)):
        cmds = [[MTKFLASH, "-q", "--json", "--port", port(bench, k), "flash", scatters[(k - 1) % len(CHIPS)],
                 "--yes", "--mode", "quick"] for k in pair]
        for k, (p, out, err) in zip(pair, both(cmds, env)):
            res[k] = (p.returncode, json.loads(out) if out.strip() else {"stderr": err})
    return res


def check_flashes(res):
    for k, (rc, doc) in sorted(res.items()):
        if k == FAULTY:
            msg = json.dumps(doc.get("error", doc))
            check(rc != 0 and doc.get("result") != "verified" and "write-protected" in msg,
                  "phone %d (write-protect fault): its flash fails naming it (exit %d, %s)" % (k, rc, msg[:300]))
        else:
            check(rc == 0 and doc.get("result") == "verified",
                  "phone %d: verified beside the faulty phone (exit %d, %s)" % (k, rc, str(doc)[:300]))


def check_storage(bench, res):
    """Every verified write of a raw image is in the phone's storage files
    after the stop (a sparse image's holes keep what was there)."""
    for k, (rc, doc) in sorted(res.items()):
        if k == FAULTY or rc != 0:
            continue
        steps = [s for s in doc["flash"]["steps"] if s["stage"] == "write" and s["state"] == "done"
                 and s["file_sha256"] == s["image_sha256"]]
        bad = [s["partition"] for s in steps
               if hashlib.sha256(state_bytes(phone_dir(bench, k), s["region"], s["offset"], s["bytes"])).hexdigest()
               != s["image_sha256"]]
        check(steps and not bad, "phone %d: storage holds the package after SIGTERM (differs: %s)" % (k, bad))


def lock_free(state):
    with open(os.path.join(state, ".lock"), "rb") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False


def reboot_comes_back(bench, lines, env):
    """FINISH re-enumerates phone 1: a new ready line, and the same path works."""
    start = len(lines.lines)
    run([MTKFLASH, "-q", "--port", port(bench, 1), "reboot"], env=env)
    lines.wait(lambda line: line == expected_ready(bench, 1), start)
    p = run([MTKFLASH, "-q", "--json", "--port", port(bench, 1), "detect"], expect=None, env=env)
    check(p.returncode == 0 and json.loads(p.stdout)["chip"] == "MT6737",
          "phone 1 answers at the same path after its reboot (%s)" % p.stderr[-300:])


def replug_one(bench, proc, lines):
    """SIGUSR1 queued with the value K replugs phone K only: the next ready
    line is K's, for K = 3 and then 1."""
    libc = ctypes.CDLL(None, use_errno=True)
    for k in (3, 1):
        start = len(lines.lines)
        check(libc.sigqueue(proc.pid, signal.SIGUSR1, ctypes.c_void_p(k)) == 0, "sigqueue SIGUSR1 to the bench")
        i = lines.wait(lambda line: line.startswith("ready "), start)
        check(lines.lines[i] == expected_ready(bench, k),
              "a replug queued for phone %d replugs phone %d first: %r" % (k, k, lines.lines[start:]))


def test_bench(tmp):
    env = environment(tmp)
    scatters = [mkfirmware(tmp, c) for c in CHIPS]
    bench = os.path.join(tmp, "bench")
    # A rebooted phone is back in its preloader's listen window (2.5 s), and
    # on a loaded machine the next command may reach it later than that: the
    # phone then boots on ("gone"), as a real one would.  The window has its
    # own tests (test_mtkemu_session); here it must not decide.
    proc = start_emu(["bench", "--count", str(COUNT), "--chip", ",".join(CHIPS), "--state", bench,
                      "--listen-ms", "600000", "--faults", "%d:write-protect" % FAULTY])
    try:
        lines = Lines(proc)
        lines.wait(lambda line: line == expected_ready(bench, COUNT))
        check(lines.lines[:COUNT] == [expected_ready(bench, k) for k in range(1, COUNT + 1)],
              "one ready line per phone, in phone order: %r" % lines.lines[:COUNT])
        detect_all(bench, env)
        res = flash_all(bench, scatters, env)
        check_flashes(res)
        reboot_comes_back(bench, lines, env)
        replug_one(bench, proc, lines)
    finally:
        status = stop_emu(proc)
    check(status == 0, "SIGTERM stops the bench with exit 0 (got %s)" % status)
    for k in range(1, COUNT + 1):
        check(not os.path.lexists(os.path.join(phone_dir(bench, k), "tty")), "phone %d: link removed at exit" % k)
        check(lock_free(phone_dir(bench, k)), "phone %d: state folder unlocked at exit" % k)
    check_storage(bench, res)
    again(bench)


def again(bench):
    """The same folder again: every phone is there already, none provisioned."""
    proc = start_emu(["bench", "--count", "2", "--chip", ",".join(CHIPS), "--state", bench])
    try:
        check(mtkutil.read_line(proc) == expected_ready(bench, 1), "second bench: phone 1 ready")
        check(mtkutil.read_line(proc) == expected_ready(bench, 2), "second bench: phone 2 ready")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    check(proc.returncode == 0 and b"provisioned" not in err,
          "second bench: exit 0 after SIGINT, nothing provisioned (%r)" % err[-300:])


def test_usage(tmp):
    bad = [["--count", "2", "--chip", "mt6737", "--state", tmp, "--faults", "3:da-silent"],
           ["--count", "0", "--chip", "mt6737", "--state", tmp],
           ["--count", "2", "--chip", "mt6737,,mt6572", "--state", tmp],
           ["--count", "2", "--chip", "mt6737", "--state", tmp, "--faults", "da-silent"],
           ["--count", "2", "--state", tmp]]
    for args in bad:
        p = run([MTKEMU, "bench"] + args, expect=None)
        check(p.returncode == 2 and "mtkemu bench:" in p.stderr, "bad usage %s exits 2 (%d)" % (args, p.returncode))
    p = run([MTKEMU, "bench", "--count", "1", "--chip", "mt9999", "--state", os.path.join(tmp, "x")], expect=None)
    check(p.returncode != 0 and "mt9999" in p.stderr, "an unknown chip is named (%s)" % p.stderr[-200:])


def body(tmp):
    test_usage(tmp)
    test_bench(tmp)


if __name__ == "__main__":
    sys.exit(mtkutil.in_tmpdir("mtk-emu-bench-", body))
