#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The command-line contract, table-driven: every command with bad arguments
exits with the documented status and, with --json, prints one document with
ok false and error.code (every command's options through getopt_long: unknown
options, missing values, '--').  Plus: no info lines by default, -v shows them;
--wait nan, octal and zero lengths refused; a missing serial path fails at
once (exit 3) without the 'waiting' message; protected partitions need their
flag (exit 6, naming it)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKFLASH, check, in_tmpdir, provision_fixture, run  # noqa: E402

FIXTURE = "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt"
NOPORT = "/nonexistent/ttyACM9"
E_INVAL, E_NODEV, E_NOTFOUND, E_POLICY = -1, -5, -11, -15

# (args, exit status, error.code); "@" stands for the emulator port
TABLE = [
    (["frobnicate"], 2, E_INVAL),
    ([], 2, E_INVAL),
    (["--wait", "nan", "detect"], 2, E_INVAL),
    (["--wait"], 2, E_INVAL),
    (["detect", "extra"], 2, E_INVAL),
    (["read"], 2, E_INVAL),
    (["read", "--offset"], 2, E_INVAL),
    (["read", "--bogus", "boot", "f"], 2, E_INVAL),
    (["read", "--region", "nowhere", "--offset", "0", "--length", "1", "f"], 2, E_INVAL),
    (["read", "--region", "user", "--offset", "010", "--length", "1", "f"], 2, E_INVAL),
    (["read", "--region", "user", "--offset", "0", "--length", "0", "f"], 2, E_INVAL),
    (["read", "--region", "user", "--offset", "-1", "--length", "1", "f"], 2, E_INVAL),
    (["read", "--region", "user", "--offset", "0", "f"], 2, E_INVAL),
    (["--port", "@", "read", "nosuchpart", "{tmp}/f"], 2, E_INVAL),
    (["--port", "@", "read", "--region", "boot1", "--offset", "0x7fffffff", "--length", "1M", "{tmp}/f"], 2, E_INVAL),
    (["write"], 2, E_INVAL),
    (["write", "boot"], 2, E_INVAL),
    (["write", "a", "b", "c"], 2, E_INVAL),
    (["write", "--preloader"], 2, E_INVAL),
    (["--port", "@", "write", "nosuchpart", "{img}"], 2, E_INVAL),
    (["write", "nvram", "{img}"], 6, E_POLICY),
    (["write", "protect1", "{img}"], 6, E_POLICY),
    (["write", "preloader", "{img}"], 6, E_POLICY),
    (["write", "lk", "{img}"], 6, E_POLICY),
    (["write", "tee1", "{img}"], 6, E_POLICY),
    (["write", "pgpt", "{img}"], 6, E_POLICY),
    (["erase"], 2, E_INVAL),
    (["erase", "nvram"], 6, E_POLICY),
    (["erase", "PRO_INFO"], 6, E_POLICY),
    (["erase", "uboot"], 6, E_POLICY),
    (["--port", "@", "erase", "nosuchpart"], 2, E_INVAL),
    (["readback"], 2, E_INVAL),
    (["readback", "a", "b"], 2, E_INVAL),
    (["printgpt", "extra"], 2, E_INVAL),
    (["printgpt", "--preloader"], 2, E_INVAL),
    (["keygen", "--out"], 2, E_INVAL),
    (["keygen", "--bogus"], 2, E_INVAL),
    (["keygen", "--out", "{tmp}/k", "extra"], 2, E_INVAL),
    (["keygen", "--", "--out", "{tmp}/k"], 2, E_INVAL),
    (["detect", "--bogus"], 2, E_INVAL),
    (["detect", "--", "--help"], 2, E_INVAL),
    (["manifest"], 2, E_INVAL),
    (["manifest", "--bogus"], 2, E_INVAL),
    (["manifest", "sign"], 2, E_INVAL),
    (["manifest", "create", "{tmp}"], 2, E_INVAL),
    (["manifest", "create", "{tmp}", "--key"], 2, E_INVAL),
    (["manifest", "create", "--bogus", "{tmp}"], 2, E_INVAL),
    (["manifest", "verify"], 2, E_INVAL),
    (["manifest", "verify", "{tmp}", "--trust"], 2, E_INVAL),
    (["manifest", "verify", "a", "b"], 2, E_INVAL),
    (["inspect"], 2, E_INVAL),
    (["inspect", "--storage"], 2, E_INVAL),
    (["inspect", "--bogus", "{img}"], 2, E_INVAL),
    (["inspect", "{img}", "{img}"], 2, E_INVAL),
    (["da-info"], 2, E_INVAL),
    (["da-info", "--bogus", "{img}"], 2, E_INVAL),
    (["da-info", "a", "b"], 2, E_INVAL),
    (["reboot", "--mode"], 2, E_INVAL),
    (["reboot", "--mode", "stay"], 2, E_INVAL),
    (["reboot", "--bogus"], 2, E_INVAL),
    (["explain"], 2, E_INVAL),
    (["explain", "12345678"], 9, E_NOTFOUND),
    (["explain", "--bogus"], 9, E_NOTFOUND),  # pasted text, not an option: it may start with '-'
    (["--port", NOPORT, "detect"], 3, E_NODEV),
    (["--port", "serial:" + NOPORT, "printgpt"], 3, E_NODEV),
]


def expand(args, tmp, port, img):
    return [a.replace("{tmp}", tmp).replace("{img}", img) if a != "@" else port for a in args]


def test_table(tmp, port, img):
    for args, status, code in TABLE:
        argv = expand(args, tmp, port, img)
        p = run([MTKFLASH, "--json", "--wait", "2"] + argv, expect=None, timeout=60)
        what = " ".join(args)
        check(p.returncode == status, "%s: exit %d (wanted %d): %s" % (what, p.returncode, status, p.stderr))
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            check(False, "%s: no JSON document: %r" % (what, p.stdout))
            continue
        check(doc.get("ok") is False and doc.get("exit_status") == status, "%s: ok/exit_status" % what)
        check(doc.get("error", {}).get("code") == code, "%s: error.code %s (wanted %d)"
              % (what, doc.get("error"), code))
        check("waiting for a MediaTek device" not in p.stderr, "%s: no waiting message" % what)
    p = run([MTKFLASH, "write", "nvram", img], expect=6)
    check("--allow-protected" in p.stderr, "protected refusal names its flag: %s" % p.stderr)
    p = run([MTKFLASH, "erase", "preloader"], expect=6)
    check("--allow-bootloader" in p.stderr, "bootloader refusal names its flag: %s" % p.stderr)


def test_options(tmp, port):
    out = os.path.join(tmp, "opt.bin")
    # options after operands, '--' ending them, --opt=value
    run([MTKFLASH, "-q", "--port", port, "read", "--region=boot1", out, "--offset", "0x0", "--length", "4K"],
        expect=0)
    run([MTKFLASH, "-q", "--port", port, "read", "--force", "--region", "boot1", "--offset", "0",
         "--length", "4K", "--", out], expect=0)
    p = run([MTKFLASH, "read", "--region", "boot1", "--offset"], expect=2)
    check("--offset needs a value" in p.stderr, "missing value named: %s" % p.stderr)
    for args, opt in [(["keygen", "--out"], "--out"), (["inspect", "--storage"], "--storage"),
                      (["manifest", "create", "d", "--key"], "--key"), (["reboot", "--mode"], "--mode")]:
        p = run([MTKFLASH] + args, expect=2)
        check(opt + " needs a value" in p.stderr, "%s: missing value named: %s" % (args[0], p.stderr))
    p = run([MTKFLASH, "detect", "--bogus"], expect=2)
    check("unknown option '--bogus'" in p.stderr, "detect: unknown option named: %s" % p.stderr)
    # '--' ends the options: a file named like an option is an operand
    dashed = os.path.join(tmp, "--odd.bin")
    with open(dashed, "wb") as f:
        f.write(b"\0" * 64)
    os.chdir(tmp)
    p = run([MTKFLASH, "--json", "inspect", "--", "--odd.bin"], expect=None)
    check(p.returncode == 0 and json.loads(p.stdout).get("ok") is True,
          "inspect -- --odd.bin: a file, not an option (exit %d): %s" % (p.returncode, p.stderr))
    for cmd in (["detect"], ["keygen"], ["inspect"], ["da-info"], ["manifest"], ["reboot"], ["explain"]):
        p = run([MTKFLASH] + cmd + ["--help"], expect=0)
        check(p.stdout.startswith("Usage: mtkflash"), "%s --help prints its usage" % cmd[0])


def test_log_levels(port):
    p = run([MTKFLASH, "--port", port, "printgpt"], expect=0)
    check("info:" not in p.stderr, "default log level shows no info lines: %s" % p.stderr[:300])
    p1 = run([MTKFLASH, "-v", "--port", port, "printgpt"], expect=0)
    check("info:" in p1.stderr and "debug:" not in p1.stderr, "-v: info lines, no debug")
    p2 = run([MTKFLASH, "-vv", "--port", port, "printgpt"], expect=0)
    check("debug:" in p2.stderr and "spew:" not in p2.stderr, "-vv: debug lines, no transfer dumps")
    p3 = run([MTKFLASH, "-vvv", "--port", port, "printgpt"], expect=0)
    check("spew:" in p3.stderr, "-vvv: transfer dumps")


def body(tmp):
    state = provision_fixture(tmp, "MT6737", FIXTURE, ["--user-size", "16G"])
    port = "emu:mt6737,state=%s,mode=preloader" % state
    img = os.path.join(tmp, "img.bin")
    with open(img, "wb") as f:
        f.write(b"\1" * 4096)
    test_table(tmp, port, img)
    test_options(tmp, port)
    test_log_levels(port)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-contract-", body))
