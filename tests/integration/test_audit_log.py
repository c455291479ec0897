# SPDX-License-Identifier: MIT
"""`mtkflash log verify|show` on audit logs written by the mkauditlog helper
(the library's writer, no device): a signed log verifies with this station's
key and with --trust, fails with another key; each tamper (a byte changed, a
line removed, lines swapped, the signature replaced, a cut) is named with its
line; `show` escapes device strings."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import MTKFLASH, check, in_tmpdir  # noqa: E402

MKAUDITLOG = os.environ.get("MTK_MKAUDITLOG", "mkauditlog")
mtkutil.show_passes = True


def run(env, *args):
    p = mtkutil.run([MTKFLASH, *args], expect=None, timeout=60, env=env)
    doc = json.loads(p.stdout) if "--json" in args else None
    return p.returncode, doc, p


def verify(env, path, *extra):
    return run(env, "log", "verify", path, "--json", *extra)


def lines_of(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[:-1]


def write_lines(path, lines):
    with open(path, "wb") as f:
        f.write(b"".join(l + b"\n" for l in lines))


def make_log(env, path, station, *extra):
    mtkutil.run([MKAUDITLOG, path, station, *extra], env=env)
    return lines_of(path)


def expect_problem(env, path, problem, line, what):
    rc, doc, _ = verify(env, path)
    check(rc == 5 and doc["problem"] == problem and doc["line"] == line,
          "%s: exit 5, %s at line %s (got %d, %s at %s: %s)"
          % (what, problem, line, rc, doc["problem"], doc["line"], doc["detail"]))


def test_verify(env, tmp, station):
    log = os.path.join(tmp, "a.jsonl")
    lines = make_log(env, log, station)
    check(oct(os.stat(log).st_mode & 0o777) == "0o600", "the log is mode 0600")
    check(len(lines) == 8, "open, start, 4 writes, end, signature: 8 lines")
    rc, doc, _ = verify(env, log)
    check(rc == 0 and doc["verified"] and doc["problem"] == "ok" and doc["events"] == 7,
          "a fresh log verifies with this station's own key (no --trust)")
    rc, _, p = run(env, "log", "verify", log)
    check(rc == 0 and "Result:     verified" in p.stdout, "human verify says verified")
    rc, doc, _ = verify(env, log, "--trust", os.path.join(station, "station.pub"))
    check(rc == 0 and doc["verified"], "--trust station.pub verifies")
    run(env, "keygen", "--out", os.path.join(tmp, "other"))
    rc, doc, _ = verify(env, log, "--trust", os.path.join(tmp, "other.pub"))
    check(rc == 5 and doc["problem"] == "untrusted-key" and doc["signature_ok"],
          "--trust another key: exit 5, untrusted-key (the signature itself is good)")
    other_env = dict(env, XDG_DATA_HOME=os.path.join(tmp, "elsewhere"))
    rc, doc, _ = verify(other_env, log)
    check(rc == 5 and doc["problem"] == "untrusted-key", "another station (no key of ours) does not trust it")
    return log, lines


def test_tampering(env, tmp, station, lines):
    path = os.path.join(tmp, "t.jsonl")
    changed = list(lines)
    changed[3] = changed[3].replace(b'"boot"', b'"Boot"')  # one byte in line 4
    check(changed[3] != lines[3], "tamper found the byte to change")
    write_lines(path, changed)
    rc, doc, _ = verify(env, path)
    check(rc == 5 and doc["problem"] == "altered" and doc["line"] == 4 and "line 4" in doc["detail"],
          "one byte changed in line 4: exit 5, altered, line 4 (%s)" % doc["detail"])
    write_lines(path, lines[:4] + lines[5:])
    expect_problem(env, path, "removed", 5, "line 5 removed")
    write_lines(path, lines[:2] + [lines[3], lines[2]] + lines[4:])
    expect_problem(env, path, "reordered", 3, "lines 3 and 4 swapped")
    write_lines(path, lines[:-1])
    expect_problem(env, path, "truncated", 7, "signature line removed")
    with open(path, "wb") as f:
        f.write(b"".join(l + b"\n" for l in lines[:-1]) + lines[-1][:40])
    expect_problem(env, path, "truncated", 8, "cut mid-line")
    # the signature of another log (another head) in place of this one's
    other = os.path.join(tmp, "other.jsonl")
    olines = make_log(env, other, station)
    mine, theirs = json.loads(lines[-1]), json.loads(olines[-1])
    mine["minisig"] = theirs["minisig"]
    write_lines(path, lines[:-1] + [json.dumps(mine, separators=(",", ":")).encode()])
    expect_problem(env, path, "bad-signature", 8, "signature replaced")


def test_show(env, log, tmp, station):
    rc, _, p = run(env, "log", "show", log)
    check(rc == 0, "log show exits 0")
    check("partition=lk\\x1b[31mred" in p.stdout and "\x1b" not in p.stdout,
          "show escapes a device string's control bytes")
    check(" write " in p.stdout and "bytes=1048576" in p.stdout, "show prints event and fields")
    rc, doc, _ = run(env, "log", "show", log, "--json")
    check(rc == 0 and len(doc["events"]) == 8 and doc["events"][0]["event"] == "open", "show --json lists lines")
    unsigned = os.path.join(tmp, "u.jsonl")
    make_log(env, unsigned, station, "unsigned")
    expect_problem(env, unsigned, "unsigned", 8, "a log closed without signing")


def test_usage(env, tmp):
    rc, _, _ = run(env, "log")
    check(rc == 2, "log without a subcommand: usage, exit 2")
    rc, _, _ = run(env, "log", "check", "x")
    check(rc == 2, "unknown subcommand: exit 2")
    rc, doc, _ = verify(env, os.path.join(tmp, "absent.jsonl"))
    check(rc == 8 and not doc["ok"], "a missing log: exit 8")


def body(tmp):
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(tmp, "data"),
               XDG_CONFIG_HOME=os.path.join(tmp, "config"), XDG_STATE_HOME=os.path.join(tmp, "state"))
    station = os.path.join(tmp, "data", "mtkflash")
    log, lines = test_verify(env, tmp, station)
    test_tampering(env, tmp, station, lines)
    test_show(env, log, tmp, station)
    test_usage(env, tmp)


sys.exit(in_tmpdir("mtk-audit-", body))
