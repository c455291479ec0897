#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Consecutive mtkflash commands against one phone without a replug (issue 7
items 2, 3, 8; da-legacy.md §2, §4.8, §4.9).

For MT6572 and MT6737, in BROM and preloader mode, against one `mtkemu
--link` run (a pty) and against the in-process `emu:CHIP,state=DIR`:
- two, then ten consecutive commands (detect, printgpt, read, write, read):
  every one succeeds, the data written is what is read back and what the
  emulator's storage holds;
- `detect --json` after a DA command reports "mode": "da" (legacy, with the
  DA version and storage facts) — a phone keeps its DA running;
- `reboot`: FINISH, the session record is gone, and the next `detect` finds
  the phone in BootROM/preloader mode again;
- `--after reboot` on a DA command does the same in one go;
- from a BROM-mode start over a pty: the DA reports full speed, the host asks
  for high speed (70 01), the pty is replaced (re-enumeration), and the next
  command finds the DA running at high speed.

Session records go to --session-dir inside the test's temporary folder and
are checked to be private (0600 in a 0700 folder)."""
import concurrent.futures
import json
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import (MTKEMU, MTKFLASH, check, in_tmpdir, provision_fixture, read_file, read_line,  # noqa: E402
                     run, start_emu, state_bytes, stop_emu, write_file)

CHIPS = [
    ("MT6572", "MT6572__Dewil-King_Sectter-File__MT6572_Android_scatter.txt", []),
    ("MT6737", "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt", ["--user-size", "16G"]),
]
CHUNK = 1 << 20
WORKERS = 2


class Phone:
    """One emulated phone and how mtkflash reaches it."""

    def __init__(self, tmp, chip, fixture, extra, mode, link):
        self.tmp, self.chip, self.mode = tmp, chip, mode
        self.state = provision_fixture(tmp, chip, fixture, extra)
        self.sessions = os.path.join(tmp, "sessions-%s-%s-%s" % (chip, mode, "pty" if link else "emu"))
        self.preloader = self._take_preloader()
        self.proc = None
        if link:
            self.link = os.path.join(tmp, "tty-%s-%s" % (chip, mode))
            self.proc = start_emu(["--chip", chip.lower(), "--state", self.state, "--link", self.link,
                                   "--mode", mode])
            read_line(self.proc)
            self.port = "serial:" + self.link
        else:
            self.port = "emu:%s,state=%s,mode=%s" % (chip.lower(), self.state, mode)
        self.label = "%s %s %s" % (chip, mode, "pty" if link else "in-process")

    def _take_preloader(self):
        """The board's preloader (for DRAM settings in BROM mode), read while it boots."""
        pl = os.path.join(self.tmp, self.chip + "-pl.bin")
        if not os.path.exists(pl):
            self.flash("emu:%s,state=%s,mode=preloader" % (self.chip.lower(), self.state), "read", "--region",
                       "boot1", "--offset", "0", "--length", "256K", "--after", "reboot", pl, session=False)
        return pl

    def flash(self, port, *args, expect=0, json_out=False, session=True):
        cmd = [MTKFLASH, "-q", "--port", port] + (["--json"] if json_out else [])
        if session:
            cmd += ["--session-dir", self.sessions]
        p = run(cmd + list(args), expect=expect)
        return json.loads(p.stdout) if json_out else p

    def da(self, *args, **kw):
        """A DA command (BROM mode needs the preloader's DRAM settings)."""
        extra = ["--preloader", self.preloader] if self.mode == "brom" else []
        return self.flash(self.port, *args, *extra, **kw)

    def close(self):
        if self.proc:
            stop_emu(self.proc)


def one_round(ph, part, n):
    """detect, printgpt, read, write, read: five commands."""
    ph.flash(ph.port, "detect", json_out=True)
    doc = ph.da("printgpt", json_out=True)
    target = [p for p in doc["partitions"] if p["name"].lower() == part][0]
    before = os.path.join(ph.tmp, "before.bin")
    ph.da("read", "--force", "--region", "user", "--offset", str(target["start"]), "--length", str(CHUNK), before)
    data = os.urandom(CHUNK)
    img = write_file(os.path.join(ph.tmp, "img.bin"), data)
    ph.da("write", target["name"], img)
    back = os.path.join(ph.tmp, "back.bin")
    ph.da("read", "--force", "--region", "user", "--offset", str(target["start"]), "--length", str(CHUNK), back)
    check(read_file(back) == data, "%s round %d: %s read back differs" % (ph.label, n, part))
    check(state_bytes(ph.state, "user", target["start"], CHUNK) == data,
          "%s round %d: the emulator's storage lacks what was written" % (ph.label, n))


def check_record_private(ph):
    if not os.path.isdir(ph.sessions):
        return
    check(stat.S_IMODE(os.stat(ph.sessions).st_mode) == 0o700, "%s: session dir not 0700" % ph.label)
    for name in os.listdir(ph.sessions):
        mode = stat.S_IMODE(os.stat(os.path.join(ph.sessions, name)).st_mode)
        check(mode == 0o600, "%s: record %s has mode %o" % (ph.label, name, mode))


def records(ph):
    return [n for n in os.listdir(ph.sessions) if n.endswith(".session")] if os.path.isdir(ph.sessions) else []


def check_da_running(ph):
    doc = ph.flash(ph.port, "detect", json_out=True)
    check(doc.get("mode") == "da", "%s: detect after DA commands: mode %s" % (ph.label, doc.get("mode")))
    check(doc.get("da_protocol") == "legacy", "%s: da_protocol %s" % (ph.label, doc.get("da_protocol")))
    check(doc.get("da_version") is not None, "%s: no da_version" % ph.label)
    check((doc.get("storage") or {}).get("user_size", 0) > 0, "%s: no storage facts" % ph.label)
    check(len(records(ph)) == 1, "%s: %d session records" % (ph.label, len(records(ph))))


def check_reboot(ph):
    doc = ph.flash(ph.port, "reboot", json_out=True)
    check(doc.get("ended") is True, "%s: reboot did not end a DA: %s" % (ph.label, doc))
    check(records(ph) == [], "%s: a session record survives reboot" % ph.label)
    after = ph.flash(ph.port, "detect", json_out=True)
    check(after.get("mode") in ("brom", "preloader"),
          "%s: after reboot detect finds mode %s" % (ph.label, after.get("mode")))


def check_after_reboot(ph):
    ph.da("printgpt", "--after", "reboot")
    check(records(ph) == [], "%s: --after reboot left a session record" % ph.label)
    doc = ph.flash(ph.port, "detect", json_out=True)
    check(doc.get("mode") in ("brom", "preloader"), "%s: after --after reboot: mode %s" % (ph.label, doc.get("mode")))


def run_phone(tmp, chip, fixture, extra, mode, link, rounds):
    ph = Phone(tmp, chip, fixture, extra, mode, link)
    try:
        part = "recovery"
        for n in range(rounds):
            one_round(ph, part, n)
        check_record_private(ph)
        check_da_running(ph)
        check_reboot(ph)
        check_after_reboot(ph)
    finally:
        ph.close()


def check_speed_switch(tmp):
    """A BROM start over a pty: full speed, 70 01, the pty replaced, still the DA."""
    chip, fixture, extra = CHIPS[1]
    ph = Phone(tmp, chip, fixture, extra, "brom", True)
    try:
        # The pty's name may come back the same (the kernel reuses a freed
        # number): the proof of the switch is the DA's own speed report.
        ph.da("printgpt")
        doc = ph.flash(ph.port, "detect", json_out=True)
        check(doc.get("mode") == "da" and doc.get("usb_speed") == 1,
              "%s: after the switch: mode %s, usb_speed %s" % (ph.label, doc.get("mode"), doc.get("usb_speed")))
    finally:
        ph.close()


def body(tmp):
    # Each command spends most of its time in the handshake's waits for the
    # phone's silence (brom.c), not on the CPU: the phones, each in its own
    # folder, run two at a time.
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        runs = []
        for chip, fixture, extra in CHIPS:
            for mode in ("preloader", "brom"):
                for link in (True, False):
                    sub = os.path.join(tmp, "%s-%s-%s" % (chip, mode, link))
                    os.mkdir(sub)
                    # Two rounds (ten commands) on the pty, one (five) in-process.
                    runs.append(pool.submit(run_phone, sub, chip, fixture, extra, mode, link, 2 if link else 1))
        sub = os.path.join(tmp, "speed")
        os.mkdir(sub)
        runs.append(pool.submit(check_speed_switch, sub))
        for r in runs:
            r.result()  # an exception in one phone is this test's


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtk-session-", body))
