#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The xflash (DA v5) chips end to end (issue 11): each emulated from its real
scatter in tests/fixtures, driven by the real mtkflash.

- Every xflash chip whose scatter the emulator can provision: `printgpt`
  lists the scatter's partitions; an 8 MiB write of boot, then a read of it
  in a second command (a reattach to the running DA), is byte-identical and
  is what the emulator's storage holds; `reboot` ends the DA.  A chip with no
  fixture, or whose scatter the emulator refuses (V2 multi-storage, until the
  emulator learns it), is skipped with the reason.
- MT6765 fully, from BROM (with the preloader for DRAM) and from preloader
  mode, in-process and over a pty (mtkemu --link): printgpt, write, read,
  erase, detect (a running xflash DA), reboot, --after reboot; readback once
  (of its layout with each partition cut to 16 MiB).
- Verified Mode: `plan` of `mtkemu mkfirmware --chip mt6765` shows the xflash
  DA's facts in the fingerprint (protocol, partition-table category, packet
  lengths); `flash` in safe mode exits 0 with the DA's own checks on, and its
  audit log verifies (also for mt6785 once mkfirmware makes it).
- Device-side checks: with a storage that drops one write (`corrupt-write-once`),
  `--device-checks all` has the DA refuse that chunk during the write (one
  device-check failure, one rewrite, verified); `none` leaves it to the host
  read-back (a mismatch, one rewrite, verified).
- --auth/--cert (SEND_AUTH/SEND_CERT, brom-protocol.md §3.16): a BootROM with DAA
  refuses files that are not its vendor's, with a clear error before any DA
  byte; a preloader and a BootROM without DAA are not sent them; a missing
  file is named.
- Secured profiles with a test key the test generates (`mtkemu mkauth`, the
  emulator's auth-key=): SBC+DAA and SBC+SLA+DAA refuse the DA without --auth
  (exit 6, naming --auth), accept it with the test key's files (the read
  works), and refuse files of another key or made for another chip (exit 6,
  SEND_AUTH named, no DA1 sent); with root-cert set the certificate must come
  first and be the fused key's.
- No command after the first may make the emulator report a VIOLATION: the
  session probe must never send 0x72 or a handshake byte into a recorded
  xflash DA (da-xflash.md §2.7)."""
import concurrent.futures
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import (MTKEMU, MTKFLASH, SCATTERS, check, in_tmpdir, read_file, read_line, run,  # noqa: E402
                     scatter_names, shrunk_scatter, start_emu, state_bytes, stop_emu, write_file)

# (chip for --chip, scatter fixture or None)
CHIPS = [
    ("MT6739", "MT6739__Dewil-King_Sectter-File__MT6739_Android_scatter.txt"),
    ("MT6750", "MT6750__Dewil-King_Sectter-File__MT6750_Android_scatter.txt"),
    ("MT6755", "MT6755__Dewil-King_Sectter-File__MT6755_Android_scatter.txt"),
    ("MT6757", "MT6757__Dewil-King_Sectter-File__MT6757_Android_scatter.txt"),
    ("MT6761", "MT6761__Dewil-King_Sectter-File__MT6761_Android_scatter.txt"),
    ("MT6762", None),
    ("MT6763", "MT6763__Dewil-King_Sectter-File__MT6763_Android_scatter.txt"),
    ("MT6768", "MT6768__Dewil-King_Sectter-File__MT6768_Android_scatter.txt"),
    ("MT6771", "MT6771__Dewil-King_Sectter-File__MT6771_Android_scatter_8.1.txt"),
    ("MT6771", "MT6771T__Dewil-King_Sectter-File__MT6771T_Android_scatter_9.0.txt"),
    ("MT6785", "MT6785__Dewil-King_Sectter-File__MT6785_Android_scatter.txt"),
    ("MT6797", "MT6797__Dewil-King_Sectter-File__MT6797_Android_scatter.txt"),
]
FULL = ("MT6765", "MT6765__Dewil-King_Sectter-File__MT6765_Android_scatter.txt")
USER_SIZE = "64G"  # sparse: room for every fixture's layout
BOOT_BYTES = 8 << 20


def provision(tmp, chip, fixture):
    """The state folder, or None (and why) when the emulator refuses the scatter."""
    state = os.path.join(tmp, "state-%s-%s" % (chip, fixture[:8]))
    p = run([MTKEMU, "provision", "--chip", chip.lower(), "--state", state, "--user-size", USER_SIZE,
             "--scatter", os.path.join(SCATTERS, fixture)], expect=None)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return state, None


class Phone:
    """One emulated phone, how mtkflash reaches it, and its session folder."""

    def __init__(self, tmp, chip, fixture, state, mode="preloader", link=False, preloader=None):
        self.tmp, self.chip, self.fixture, self.state, self.mode = tmp, chip, fixture, state, mode
        tag = "%s-%s-%s-%s" % (chip, fixture[:8], mode, "pty" if link else "emu")
        self.label = tag
        self.sessions = os.path.join(tmp, "sessions-" + tag)
        self.preloader = preloader
        self.proc = None
        if link:
            tty = os.path.join(tmp, "tty-" + tag)
            self.proc = start_emu(["--chip", chip.lower(), "--state", state, "--link", tty, "--mode", mode])
            read_line(self.proc)
            self.port = "serial:" + tty
        else:
            self.port = "emu:%s,state=%s,mode=%s" % (chip.lower(), state, mode)

    def run(self, *args, expect=0, json_out=False, first=False):
        """mtkflash ARGS on this phone; a later command must cause no VIOLATION."""
        extra = ["--preloader", self.preloader] if self.preloader else []
        cmd = [MTKFLASH, "-q", "--port", self.port, "--session-dir", self.sessions] + \
            (["--json"] if json_out else []) + list(args)
        p = run(cmd + (extra if args[0] not in ("detect", "reboot") else []), expect=expect)
        if not first:
            check("VIOLATION" not in p.stderr, "%s: %s made the emulator report %s"
                  % (self.label, args[0], p.stderr.strip()[-300:]))
        if json_out:
            return json.loads(p.stdout)
        return p

    def close(self):
        if self.proc:
            code = stop_emu(self.proc)
            err = self.proc.stderr.read().decode(errors="replace")
            check("VIOLATION" not in err, "%s: mtkemu reported %s" % (self.label, err[-300:]))
            check(code is not None, "%s: mtkemu did not end on SIGTERM" % self.label)


def check_printgpt(ph):
    doc = ph.run("printgpt", json_out=True, first=True)
    names = sorted(p["name"].lower() for p in doc["partitions"])
    want = sorted(n.lower() for n in scatter_names(os.path.join(SCATTERS, ph.fixture)))
    check(names == want, "%s: printgpt lists %s, the scatter %s" % (ph.label, names, want))
    return {p["name"].lower(): p for p in doc["partitions"]}


def boot_roundtrip(ph, parts):
    """8 MiB into boot, read back by a second command (a reattach)."""
    boot = parts.get("boot") or parts["boot_a"]  # A/B layouts (MT6768) have no plain boot
    data = os.urandom(BOOT_BYTES)
    img = write_file(os.path.join(ph.tmp, "boot-%s.img" % ph.label), data)
    ph.run("write", boot["name"], img)
    back = os.path.join(ph.tmp, "back-%s.img" % ph.label)
    ph.run("read", "--force", "--region", boot["region"], "--offset", str(boot["start"]), "--length",
           str(BOOT_BYTES), back)
    check(read_file(back) == data, "%s: boot read back differs from what was written" % ph.label)
    check(state_bytes(ph.state, boot["region"], boot["start"], BOOT_BYTES) == data,
          "%s: the emulator's storage lacks what was written to boot" % ph.label)
    return boot


def check_da_running(ph, want):
    doc = ph.run("detect", json_out=True)
    running = doc.get("mode") == "da"
    check(running == want, "%s: detect says mode %s (a DA running: wanted %s)" % (ph.label, doc.get("mode"), want))
    if want and running:
        check(doc.get("da_protocol") == "xflash", "%s: da_protocol %s" % (ph.label, doc.get("da_protocol")))
        check((doc.get("storage") or {}).get("user_size", 0) > 0, "%s: detect has no storage facts" % ph.label)


def quick_chip(tmp, chip, fixture):
    if fixture is None:
        print("SKIP %s: no scatter of this chip in tests/fixtures/scatter" % chip)
        return
    state, why = provision(tmp, chip, fixture)
    if state is None:
        check("V2" in why, "%s (%s): provision failed for another reason than a V2 scatter: %s"
              % (chip, fixture, why))
        print("SKIP %s (%s): the emulator refuses this scatter (%s)" % (chip, fixture[:8], why))
        return
    ph = Phone(tmp, chip, fixture, state)
    boot_roundtrip(ph, check_printgpt(ph))
    doc = ph.run("reboot", json_out=True)
    check(doc["ended"] and doc["sent"] == "SHUTDOWN", "%s: reboot ends an xflash DA with SHUTDOWN: %s" % (ph.label, doc))
    check(not os.listdir(ph.sessions), "%s: reboot left a session record" % ph.label)


def take_preloader(tmp, state, chip):
    """The board's preloader (its EMI settings for a BROM-mode start), read in preloader mode."""
    pl = os.path.join(tmp, chip + "-preloader.bin")
    run([MTKFLASH, "-q", "--port", "emu:%s,state=%s,mode=preloader" % (chip.lower(), state), "--session-dir",
         os.path.join(tmp, "sessions-pl"), "read", "--region", "boot1", "--offset", "0", "--length", "256K",
         "--after", "reboot", pl])
    return pl


def check_refused_without_dram(ph):
    """BROM mode without the preloader's EMI: refused before DA1 goes out,
    so the phone still sits in its BootROM and the next run starts afresh."""
    p = run([MTKFLASH, "-q", "--port", ph.port, "--session-dir", ph.sessions, "printgpt"], expect=None)
    check(p.returncode != 0 and "needs DRAM settings" in p.stderr and "nothing was sent" in p.stderr,
          "%s: printgpt without --preloader: exit %d, %s" % (ph.label, p.returncode, p.stderr.strip()[-300:]))
    check(not os.listdir(ph.sessions) if os.path.isdir(ph.sessions) else True,
          "%s: the refusal left a session record" % ph.label)
    doc = ph.run("detect", json_out=True)
    check(doc.get("mode") == "brom", "%s: after the refusal detect says mode %s" % (ph.label, doc.get("mode")))


def full_chip_session(ph):
    if ph.preloader:
        check_refused_without_dram(ph)
    parts = check_printgpt(ph)
    boot = boot_roundtrip(ph, parts)
    check_da_running(ph, True)
    ph.run("erase", boot["name"])
    back = os.path.join(ph.tmp, "erased-%s.img" % ph.label)
    ph.run("read", "--force", "--region", boot["region"], "--offset", str(boot["start"]), "--length", "1M", back)
    check(read_file(back) == bytes(1 << 20), "%s: boot is not zero after erase" % ph.label)
    ph.run("reboot")
    check(not os.listdir(ph.sessions), "%s: reboot left a session record" % ph.label)
    check_da_running(ph, False)
    ph.run("printgpt", "--after", "reboot", first=True)
    check_da_running(ph, False)


def check_readback(tmp, chip, fixture):
    """On the fixture's layout with every partition cut to 16 MiB: all 40 of
    them (and boot2) are read, but not the 8 GiB of zeros the full sizes hold (30 s)."""
    small = shrunk_scatter(os.path.join(SCATTERS, fixture), os.path.join(tmp, "readback-scatter.txt"))
    state = os.path.join(tmp, "state-readback")
    run([MTKEMU, "provision", "--chip", chip.lower(), "--state", state, "--scatter", small])
    ph = Phone(tmp, chip, fixture, state)
    out = os.path.join(ph.tmp, "readback-" + ph.label)
    ph.run("printgpt", first=True)
    doc = ph.run("readback", out, json_out=True)
    got = {p["name"].lower(): p for p in doc["partitions"]}
    # readback is a full backup unit: boot2 too, which no scatter lists
    want = sorted([n.lower() for n in scatter_names(small)] + ["boot2"])
    check(sorted(got) == want, "%s: readback holds %s, the scatter %s" % (ph.label, sorted(got), want))
    boot = got.get("boot") or got.get("boot_a")
    check(boot is not None and os.path.getsize(boot["file"]) == boot["size"], "%s: readback has no whole boot"
          % ph.label)
    if boot:
        check(read_file(boot["file"], BOOT_BYTES) == state_bytes(ph.state, "user", boot["start"], BOOT_BYTES),
              "%s: readback's boot differs from the emulator's storage" % ph.label)
    ph.run("reboot")


def full_chip(tmp):
    chip, fixture = FULL
    state, why = provision(tmp, chip, fixture)
    if not check(state is not None, "%s: provision failed: %s" % (chip, why)):
        return
    pl = take_preloader(tmp, state, chip)
    for mode in ("preloader", "brom"):
        for link in (False, True):
            ph = Phone(tmp, chip, fixture, state, mode, link, pl if mode == "brom" else None)
            try:
                full_chip_session(ph)
            finally:
                ph.close()
    check_readback(tmp, chip, fixture)
    return pl


def check_auth(tmp, pl):
    files = {n: write_file(os.path.join(tmp, n + ".bin"), os.urandom(1000)) for n in ("auth", "cert")}
    daa = "emu:mt6765,mode=brom,secure=daa"

    out = os.path.join(tmp, "auth-read.bin")

    def flash(port, *args):
        """A DA command that needs no partition table (a blank emulated phone)."""
        return run([MTKFLASH, "-v", "--port", port] + list(args) + ["read", "--force", "--region", "boot1",
                   "--offset", "0", "--length", "4K", out, "--preloader", pl], expect=None)

    p = flash(daa, "--cert", files["cert"], "--auth", files["auth"])
    check(p.returncode == 6 and "refused the root certificate (SEND_CERT)" in p.stderr,
          "a foreign certificate: exit %d, %s" % (p.returncode, p.stderr[-400:]))
    check("sending DA1" not in p.stderr, "a refused certificate still sent DA1")
    p = flash(daa, "--auth", files["auth"])
    check(p.returncode == 6 and "refused the authentication file (SEND_AUTH)" in p.stderr,
          "a foreign authentication file: exit %d, %s" % (p.returncode, p.stderr[-400:]))
    p = flash("emu:mt6765,mode=brom", "--auth", files["auth"])
    check(p.returncode == 0 and "not sent: this BootROM does not require them" in p.stderr,
          "DAA clear: exit %d, %s" % (p.returncode, p.stderr[-400:]))
    p = flash("emu:mt6765,mode=preloader", "--auth", files["auth"])
    check(p.returncode == 0 and "ignored: the device is in preloader mode" in p.stderr,
          "preloader mode: exit %d, %s" % (p.returncode, p.stderr[-400:]))
    p = flash(daa, "--auth", os.path.join(tmp, "missing.bin"))
    check(p.returncode != 0 and "--auth" in p.stderr and "missing.bin" in p.stderr,
          "a missing --auth file: exit %d, %s" % (p.returncode, p.stderr[-400:]))


def test_keys(tmp):
    """Two test keys (random seeds): the fused one's files, another key's,
    and the fused key's authentication file made for another chip."""
    out = {}
    for name, chip, seed in (("good", "mt6765", "k1"), ("wrong", "mt6765", "k2"), ("chip", "mt6785", "k1")):
        path = os.path.join(tmp, "seed-" + seed)
        if not os.path.exists(path):
            write_file(path, os.urandom(32))
        d = os.path.join(tmp, "auth-" + name)
        run([MTKEMU, "mkauth", "--key", path, "--chip", chip, "--out", d])
        out[name] = {f: os.path.join(d, f + ext) for f, ext in (("auth", ".bin"), ("cert", ".bin"), ("root", ".pub"))}
    return out


def check_secured(tmp, pl):
    keys = test_keys(tmp)
    out = os.path.join(tmp, "secured-read.bin")

    def read(secure, *args):
        port = "emu:mt6765,mode=brom,secure=%s,auth-key=%s" % (secure, keys["good"]["root"])
        return run([MTKFLASH, "-v", "--port", port] + list(args) + ["read", "--force", "--region", "boot1",
                   "--offset", "0", "--length", "4K", out, "--preloader", pl], expect=None)

    for secure, what in (("sbc+daa", "(DAA)"), ("sbc+sla+daa", "(SLA and DAA)")):
        p = read(secure)
        check(p.returncode == 6 and "requires authentication " + what in p.stderr and "--auth FILE" in p.stderr,
              "%s without --auth: exit %d, %s" % (secure, p.returncode, p.stderr[-400:]))
        p = read(secure, "--auth", keys["good"]["auth"])
        check(p.returncode == 0 and "accepted the authentication file (SEND_AUTH)" in p.stderr and
              os.path.getsize(out) == 4096, "%s with the test key: exit %d, %s" % (secure, p.returncode, p.stderr[-400:]))
        for bad in ("wrong", "chip"):
            p = read(secure, "--auth", keys[bad]["auth"])
            check(p.returncode == 6 and "refused the authentication file (SEND_AUTH)" in p.stderr and
                  "sending DA1" not in p.stderr, "%s, %s key's file: exit %d, %s" % (secure, bad, p.returncode,
                                                                                    p.stderr[-400:]))
    root = "sbc+daa+root-cert"
    p = read(root, "--auth", keys["good"]["auth"])
    check(p.returncode == 6 and "refused the authentication file" in p.stderr,
          "root-cert, no certificate: exit %d, %s" % (p.returncode, p.stderr[-400:]))
    p = read(root, "--cert", keys["wrong"]["cert"], "--auth", keys["good"]["auth"])
    check(p.returncode == 6 and "refused the root certificate (SEND_CERT)" in p.stderr,
          "root-cert, another key's certificate: exit %d, %s" % (p.returncode, p.stderr[-400:]))
    p = read(root, "--cert", keys["good"]["cert"], "--auth", keys["good"]["auth"])
    check(p.returncode == 0, "root-cert with the test key's files: exit %d, %s" % (p.returncode, p.stderr[-400:]))


def check_verified_mode(tmp, chip):
    pkg = os.path.join(tmp, "pkg-" + chip)
    p = run([MTKEMU, "mkfirmware", "--chip", chip, "--out", pkg], expect=None)
    if p.returncode != 0:
        print("SKIP verified mode on %s: mkfirmware refuses it (%s)" % (chip, p.stderr.strip()[-200:]))
        return
    scatter = [os.path.join(pkg, n) for n in os.listdir(pkg) if n.endswith("_Android_scatter.txt")][0]
    state = os.path.join(tmp, "state-fw-" + chip)
    run([MTKEMU, "provision", "--chip", chip, "--state", state])
    port = ["--port", "emu:%s,state=%s,mode=preloader" % (chip, state), "--session-dir",
            os.path.join(tmp, "sessions-fw-" + chip)]
    doc = json.loads(run([MTKFLASH, "-q", "--json"] + port + ["plan", scatter]).stdout)
    da = (doc.get("fingerprint") or {}).get("da") or {}
    check(da.get("protocol") == "xflash" and da.get("ptable_category") == "gpt" and da.get("write_packet_len"),
          "%s: plan's fingerprint lacks the xflash DA facts: %s" % (chip, da))
    audit = os.path.join(tmp, "audit-%s.log" % chip)
    p = run([MTKFLASH, "-q"] + port + ["flash", scatter, "--yes", "--audit", audit], expect=None)
    check(p.returncode == 0, "%s: flash in safe mode: exit %d, %s" % (chip, p.returncode, p.stderr[-400:]))
    p = run([MTKFLASH, "log", "verify", audit], expect=None)
    check(p.returncode == 0 and "verified" in p.stdout, "%s: the audit log does not verify: %s" % (chip, p.stdout))


def check_device_checks(tmp, chip, state):
    boot = {p["name"]: p for p in json.loads(run([MTKFLASH, "-q", "--json", "--port", "emu:%s,state=%s" % (
        chip, state), "--session-dir", os.path.join(tmp, "sessions-dc"), "printgpt", "--after", "reboot"]).stdout)[
        "partitions"]}["boot"]
    # A boot image the boot model accepts (an Android header): after the
    # reboot the phone must come back in preloader mode, not BROM.
    data = b"ANDROID!" + os.urandom((4 << 20) - 8)
    img = write_file(os.path.join(tmp, "dc.img"), data)
    fault = "corrupt-write-once=user:0x%x:16" % (boot["start"] + (1 << 20))
    for level, failures, said in (("all", 1, "the DA's own check failed"), ("none", 0, "read-back mismatch")):
        p = run([MTKFLASH, "--json", "--port", "emu:%s,state=%s,faults=%s" % (chip, state, fault), "--session-dir",
                 os.path.join(tmp, "sessions-dc-" + level), "--device-checks", level, "write", "--verify", "boot",
                 img, "--after", "reboot"], expect=None)
        v = json.loads(p.stdout).get("verify") or {}
        check(p.returncode == 0 and v.get("verified") and v.get("rewrites") == 1 and
              v.get("device_check_failures") == failures and said in p.stderr,
              "--device-checks %s with a dropped write: exit %d, %s, %s" % (level, p.returncode, v, p.stderr[-300:]))
        # The range written again is hashed once: the image's SHA-256 is the file's.
        check(v.get("image_sha256") == hashlib.sha256(data).hexdigest(),
              "--device-checks %s: image SHA-256 %s after the rewrite, the image is %s"
              % (level, v.get("image_sha256"), hashlib.sha256(data).hexdigest()))


def quick_chips(tmp):
    for chip, fixture in CHIPS:
        quick_chip(tmp, chip, fixture)


def main(tmp):
    # Two lanes: a command mostly waits (the handshake's waits for the
    # phone's silence), and the quick chips share no state or session
    # folder with MT6765's runs.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        lane = pool.submit(quick_chips, tmp)
        pl = full_chip(tmp)
        check_auth(tmp, pl)
        check_secured(tmp, pl)
        for chip in ("mt6765", "mt6785"):
            check_verified_mode(tmp, chip)
        check_device_checks(tmp, "mt6765", os.path.join(tmp, "state-fw-mt6765"))
        lane.result()  # its exception, if any, is this test's


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtk-xflash-", main))
