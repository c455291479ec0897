#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Exclusive access (issue 8 item 5): a port another program holds is refused
with "port busy" and exit 3, naming the holder's PID; two emulators on one
state folder are refused, and so is an in-process emu: port on the folder a
running mtkemu serves.  Once the holder lets go, the port works again."""
import fcntl
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKEMU, MTKFLASH, check, in_tmpdir, read_line, run, start_emu, stop_emu  # noqa: E402


def test_busy_port(tmp, state, link):
    holder = os.open(link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        p = run([MTKFLASH, "--port", "serial:" + link, "detect"], expect=3)
        check("port busy" in p.stderr, "busy port: message says 'port busy' (%r)" % p.stderr)
        check(link in p.stderr, "busy port: message names the port")
        check("ModemManager" in p.stderr, "busy port: ModemManager named as the usual suspect")
        check("PID %d" % os.getpid() in p.stderr, "busy port: the holder's PID is named (%r)" % p.stderr)
    finally:
        os.close(holder)
    run([MTKFLASH, "--port", "serial:" + link, "detect"], expect=0)
    check(True, "the port works again once the holder closed it")


def test_two_emulators(tmp, state, link):
    p = run([MTKEMU, "--chip", "mt6765", "--state", state, "--link", link + "2"], expect=None, timeout=30)
    check(p.returncode != 0, "a second mtkemu on the same state folder is refused (exit %d)" % p.returncode)
    check("in use" in p.stderr and state in p.stderr,
          "second mtkemu: clear message naming the folder (%r)" % p.stderr)
    q = run([MTKFLASH, "--port", "emu:mt6765,state=%s" % state, "detect"], expect=3)
    check("in use" in q.stderr, "emu: port on a served state folder is refused (%r)" % q.stderr)


def body(tmp):
    state = os.path.join(tmp, "phone")
    link = os.path.join(tmp, "ttyEMU")
    proc = start_emu(["--chip", "mt6765", "--state", state, "--link", link, "--mode", "brom"])
    try:
        check(read_line(proc) == "ready " + link, "mtkemu ready")
        test_busy_port(tmp, state, link)
        test_two_emulators(tmp, state, link)
    finally:
        check(stop_emu(proc) == 0, "mtkemu exits 0 on SIGTERM")
    # The lock goes with the process: the folder is free again.
    run([MTKFLASH, "--port", "emu:mt6765,state=%s" % state, "detect"], expect=0)
    check(True, "the state folder is usable after mtkemu exited")


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtk-portlock-", body))
