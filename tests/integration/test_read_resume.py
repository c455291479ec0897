#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Resumable reads of damaged storage (issue 15 items 3 and 4), through the
real CLI against emulated phones (legacy MT6737, xflash MT6765):

- a 12 MiB range (random blocks and all-zero ones) read whole: the file and
  its SHA-256 are the storage's bytes, zero blocks are holes, no journal left;
- the same read cut by a cable pull (fault unplug-at) at random byte counts,
  resumed with --resume until it completes: the same file and SHA-256;
- mtkflash SIGKILLed at a random chunk (fault pause-at-read stops the process
  there; the test kills it while it is stopped), resumed: the same again;
- Ctrl-C there instead: exit 130, the journal kept, and --resume completes it;
- unreadable (read-error) and flaky (read-flaky: 2 failures, and a seeded
  30 %) ranges: exit 5, the bad-range map exactly the unreadable range, the
  coverage, every other byte read;
- a range that reads at a crawl (read-slow) finishes, and its bytes are right."""
import hashlib
import json
import os
import random
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKFLASH, MTKEMU, check, in_tmpdir, run  # noqa: E402

OFF = 0x4000000
LEN = 12 << 20
CHUNK = 1 << 20
SEED = int(os.environ.get("MTK_TEST_SEED", "15"))


def provision(tmp, chip):
    state = os.path.join(tmp, "state-" + chip)
    run([MTKEMU, "provision", "--chip", chip, "--state", state, "--user-size", str(8 << 30)])
    rnd = random.Random(SEED)
    data = bytearray(LEN)
    for b in range(0, LEN, 0x10000):
        if b // 0x10000 % 4 != 2:
            data[b:b + 0x10000] = rnd.randbytes(0x10000)
    fd = os.open(os.path.join(state, "user.bin"), os.O_WRONLY)
    try:
        os.pwrite(fd, bytes(data), OFF)
    finally:
        os.close(fd)
    return state, bytes(data)


def read_cmd(chip, state, out, faults=None, resume=False, extra=()):
    port = "emu:%s,state=%s" % (chip, state) + (",faults=" + faults if faults else "")
    return [MTKFLASH, "-q", "--json", "--port", port, "read", "--region", "user", "--offset", hex(OFF),
            "--length", hex(LEN), "--chunk", hex(CHUNK), out] + (["--resume"] if resume else []) + list(extra)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def check_output(tag, out, want, doc):
    with open(out, "rb") as f:
        got = f.read()
    check(got == want, "%s: the file holds the range's bytes" % tag)
    check(doc["read"]["sha256"] == sha(want), "%s: the reported SHA-256 is the file's" % tag)
    check(os.stat(out).st_mode & 0o777 == 0o600, "%s: the file is 0600" % tag)
    check(not os.path.exists(out + ".rdjournal") and not os.path.exists(out + ".part"),
          "%s: no journal or partial file left" % tag)


def whole(tmp, chip, state, want):
    out = os.path.join(tmp, chip + "-whole.bin")
    doc = json.loads(run(read_cmd(chip, state, out)).stdout)
    check_output(chip + " whole", out, want, doc)
    zero = sum(0x10000 for b in range(0, LEN, 0x10000) if b // 0x10000 % 4 == 2)
    check(doc["read"]["bytes_holes"] == zero, "%s: %d bytes as holes (%d)" % (chip, zero, doc["read"]["bytes_holes"]))
    used = os.stat(out).st_blocks * 512
    check(used <= LEN - zero // 2, "%s: zero blocks take no disk space (%d bytes used)" % (chip, used))
    check(doc["read"]["bad_ranges"] == [] and doc["read"]["coverage"] == 1.0, "%s: nothing bad" % chip)


def cable_pulls(tmp, chip, state, want):
    rnd = random.Random(SEED + 1)
    out = os.path.join(tmp, chip + "-pulled.bin")
    resume, pulls = False, 0
    for _ in range(12):
        cut = rnd.randrange(CHUNK // 2, LEN)
        p = run(read_cmd(chip, state, out, faults="unplug-at=%d" % cut, resume=resume), expect=None)
        if p.returncode == 0:
            break
        pulls += 1
        check(p.returncode != 5 and os.path.exists(out + ".rdjournal"),
              "%s: a pulled cable leaves the journal (exit %d)" % (chip, p.returncode))
        doc = json.loads(p.stdout)
        check(doc.get("journal") == out + ".rdjournal" and not doc["read"]["complete"],
              "%s: the document names the journal (%s)" % (chip, doc.get("journal")))
        resume = True
    else:
        check(False, "%s: 12 cable pulls and still not done" % chip)
        return
    check(pulls > 0, "%s: at least one read was cut (%d)" % (chip, pulls))
    check_output(chip + " after %d cable pulls" % pulls, out, want, json.loads(p.stdout))


def stopped_read(cmd, signals):
    """Runs cmd until the emulator stops it (pause-at-read), sends `signals`
    in order, and waits for its end: (exit status, stdout)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        _, status = os.waitpid(proc.pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            raise AssertionError("mtkflash ended before the read it should stop at")
        for sig in signals:
            os.kill(proc.pid, sig)
        stdout = proc.stdout.read()
        _, status = os.waitpid(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        return proc.returncode, stdout
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def sigkills(tmp, chip, state, want):
    """The in-process emulator stops mtkflash itself at the chosen chunk's read;
    it is killed there: nothing of it runs after the signal."""
    rnd = random.Random(SEED + 2)
    out = os.path.join(tmp, chip + "-killed.bin")
    resume = False
    for at in sorted(rnd.sample(range(1, LEN // CHUNK), 2)):
        code, _ = stopped_read(read_cmd(chip, state, out, resume=resume,
                                        faults="pause-at-read=user:%#x:1" % (OFF + at * CHUNK + 512)),
                               [signal.SIGKILL])
        check(code == -signal.SIGKILL, "%s: killed at chunk %d" % (chip, at))
        with open(out + ".rdjournal") as f:
            chunks = sum(1 for line in f if line.startswith("c "))
        check(chunks <= at, "%s: the journal vouches for no chunk past the kill (%d <= %d)" % (chip, chunks, at))
        resume = True
    doc = json.loads(run(read_cmd(chip, state, out, resume=True)).stdout)
    check(doc["read"]["bytes_resumed"] > 0, "%s: the resume took over verified chunks" % chip)
    check_output(chip + " after SIGKILLs", out, want, doc)


def ctrl_c(tmp, chip, state, want):
    """SIGINT while mtkflash is stopped at a chunk's read, then SIGCONT: it ends
    at the command boundary (exit 130, interrupted in the document), the
    journal stays, and --resume completes the same file."""
    out = os.path.join(tmp, chip + "-ctrlc.bin")
    code, stdout = stopped_read(read_cmd(chip, state, out, faults="pause-at-read=user:%#x:1" % (OFF + 5 * CHUNK)),
                                [signal.SIGINT, signal.SIGCONT])
    doc = json.loads(stdout)
    check(code == 130 and doc.get("interrupted") is True and doc.get("bytes_total") == LEN,
          "%s: Ctrl-C: exit 130, interrupted (%d, %s)" % (chip, code, doc.get("interrupted")))
    check(os.path.exists(out + ".rdjournal") and not os.path.exists(out), "%s: Ctrl-C keeps the journal" % chip)
    doc = json.loads(run(read_cmd(chip, state, out, resume=True)).stdout)
    check(doc["read"]["bytes_resumed"] >= 4 * CHUNK, "%s: resumed after Ctrl-C (%d)" % (chip, doc["read"]["bytes_resumed"]))
    check_output(chip + " after Ctrl-C", out, want, doc)


def damaged(tmp, chip, state, want):
    bad_off, bad_len = OFF + 0x301000, 0x3000
    faults = "+".join(["read-error=user:%#x:%#x" % (bad_off, bad_len),
                       "read-flaky=user:%#x:4096:2" % (OFF + 0x500000),
                       "read-flaky=user:%#x:0x10000:30%%" % (OFF + 0x900000), "fault-seed=%d" % SEED])
    out = os.path.join(tmp, chip + "-damaged.bin")
    p = run(read_cmd(chip, state, out, faults=faults), expect=5)
    doc = json.loads(p.stdout)
    check(doc["read"]["bad_ranges"] == [{"offset": bad_off, "length": bad_len}],
          "%s: the bad-range map is the unreadable range (%s)" % (chip, doc["read"]["bad_ranges"]))
    check(doc["read"]["bytes_bad"] == bad_len, "%s: bytes_bad" % chip)
    check(abs(doc["read"]["coverage"] - (LEN - bad_len) / LEN) < 1e-6, "%s: coverage %s" % (chip, doc["read"]["coverage"]))
    check(doc["read"]["retries"] >= 2, "%s: retried (%d)" % (chip, doc["read"]["retries"]))
    expect = bytearray(want)
    expect[bad_off - OFF:bad_off - OFF + bad_len] = bytes(bad_len)
    check_output(chip + " damaged", out, bytes(expect), doc)
    cmd = [a for a in read_cmd(chip, state, out, faults="read-error=user:%#x:%#x" % (bad_off, bad_len),
                               extra=["--force"]) if a != "--json"]
    human = run(cmd, expect=None)
    check(human.returncode == 5 and "unreadable: 1 range(s), 12288 bytes" in human.stdout
          and "0x%x +0x%x" % (bad_off, bad_len) in human.stdout,
          "%s: the human output lists the range (%r)" % (chip, human.stdout))


def slow(tmp, chip, state, want):
    out = os.path.join(tmp, chip + "-slow.bin")
    doc = json.loads(run(read_cmd(chip, state, out, faults="read-slow=user:%#x:1M:4M" % (OFF + 0x200000))).stdout)
    check_output(chip + " slow range", out, want, doc)


def test(tmp):
    for chip in ("mt6737", "mt6765"):
        state, want = provision(tmp, chip)
        whole(tmp, chip, state, want)
        cable_pulls(tmp, chip, state, want)
        sigkills(tmp, chip, state, want)
        ctrl_c(tmp, chip, state, want)
        damaged(tmp, chip, state, want)
        slow(tmp, chip, state, want)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-read-resume-", test))
