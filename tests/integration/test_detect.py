#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`mtkflash detect` against the emulator, for every chip of the reference
chip table, in BootROM and preloader mode, in-process (emu:) and over a pty
served by the mtkemu program; secured profiles; a port nobody answers.

Expected values come from brom-protocol.md §5.2/§5.3, written out here
independently of lib/brom/chips.c."""

import concurrent.futures
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKFLASH, check, finish, read_line, run, start_emu, stop_emu  # noqa: E402

# name: (GET_HW_CODE answers the part may give, DA family, has a SOC_ID)
CHIPS = {
    "MT6572": ({0x6572}, "legacy", False),
    "MT6580": ({0x6580}, "legacy", False),
    "MT6582": ({0x6582}, "legacy", False),
    "MT6735": ({0x0321}, "legacy", False),
    "MT6737": ({0x0335}, "legacy", False),
    "MT6739": ({0x0699}, "xflash", True),
    "MT6750": ({0x0326, 0x0601}, "xflash", False),
    "MT6753": ({0x0337}, "legacy", False),
    "MT6755": ({0x0326}, "xflash", False),
    "MT6757": ({0x0551}, "xflash", False),
    "MT6761": ({0x0717}, "xflash", True),
    "MT6762": ({0x0717}, "xflash", True),
    "MT6763": ({0x0690}, "xflash", True),
    "MT6765": ({0x0766}, "xflash", True),
    "MT6768": ({0x0707}, "xflash", True),
    "MT6771": ({0x0788}, "xflash", True),
    "MT6785": ({0x0813}, "xflash", True),
    "MT6797": ({0x0279}, "xflash", False),
}

FLAG_NAMES = ["SBC", "SLA", "DAA", "EPP", "ROOT_CERT", "MEM_READ_AUTH", "MEM_WRITE_AUTH",
              "CMD_C8_BLOCKED", "SCTRL_CERT"]


def run_mtkflash(*args, timeout=60):
    start = time.monotonic()
    p = run([MTKFLASH, *args], expect=None, timeout=timeout)
    return p, time.monotonic() - start


def detect_json(port, label):
    p, _ = run_mtkflash("--port", port, "--wait", "10", "--json", "detect")
    if not check(p.returncode == 0, f"{label}: exit {p.returncode}, stderr: {p.stderr.strip()}"):
        return None
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError as e:
        check(False, f"{label}: stdout is not JSON ({e}): {p.stdout[:200]!r}")
        return None


def chip_matches(doc, name):
    aliases = (doc.get("chip_aliases") or "").upper().split("/")
    return doc.get("chip") == name or name in aliases


def check_identity(doc, name, mode, label):
    codes, family, has_soc_id = CHIPS[name]
    check(doc["hw_code"] in codes, f"{label}: hw_code 0x{doc['hw_code']:04x} not in {sorted(codes)}")
    check(chip_matches(doc, name), f"{label}: chip {doc.get('chip')} / {doc.get('chip_aliases')} is not {name}")
    check(doc["mode"] == mode, f"{label}: mode {doc['mode']}")
    check(doc["da_family"] == family, f"{label}: da_family {doc['da_family']}")
    check(isinstance(doc["hw_sub_code"], int) and isinstance(doc["hw_ver"], int)
          and isinstance(doc["sw_ver"], int), f"{label}: hw_sub_code/hw_ver/sw_ver are not numbers")
    if mode == "brom":
        check(doc["bl_ver"] == 0xFE, f"{label}: bl_ver {doc['bl_ver']} in BROM mode")
    else:
        check(1 <= doc["bl_ver"] <= 3, f"{label}: bl_ver {doc['bl_ver']} from a preloader")
        check(doc["brom_ver"] == 0xFF, f"{label}: a preloader echoes GET_VERSION, got {doc['brom_ver']}")
    ids = mode == "brom" or doc["bl_ver"] >= 3
    me = doc["me_id"]
    check((me is not None) == ids, f"{label}: me_id {me!r} with bl_ver {doc['bl_ver']}")
    if me is not None:
        check(len(me) == 32 and all(c in "0123456789abcdef" for c in me), f"{label}: me_id {me!r}")
    soc = doc["soc_id"]
    check((soc is not None) == (ids and has_soc_id), f"{label}: soc_id {soc!r}")
    if soc is not None:
        check(len(soc) == 64, f"{label}: soc_id {soc!r}")
    check(doc["watchdog_disabled"] is True, f"{label}: watchdog not stopped")
    flags = doc["target_config_flags"]
    check(sorted(flags) == sorted(FLAG_NAMES), f"{label}: flags {sorted(flags)}")
    for i, f in enumerate(FLAG_NAMES):
        check(flags[f] == bool(doc["target_config"] & (1 << i)), f"{label}: flag {f} disagrees with target_config")


def check_flags(doc, want, label):
    flags = doc["target_config_flags"]
    for f in FLAG_NAMES:
        check(flags[f] == (f in want), f"{label}: {f} is {flags[f]}")


def test_in_process():
    for name in CHIPS:
        for mode in ("brom", "preloader"):
            label = f"emu:{name} {mode}"
            doc = detect_json(f"emu:{name.lower()},mode={mode}", label)
            if doc:
                check_identity(doc, name, mode, label)


class Emulator:
    """mtkemu on a pty, linked at DIR/tty; stopped with SIGTERM."""

    def __init__(self, tmp, chip, mode, secure=None):
        self.link = os.path.join(tmp, "tty")
        state = os.path.join(tmp, "state")
        args = ["--chip", chip.lower(), "--state", state, "--link", self.link, "--mode", mode]
        if secure:
            args += ["--secure", secure]
        self.proc = start_emu(args)
        try:
            line = read_line(self.proc)
        except AssertionError as e:
            line = str(e)
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError(f"mtkemu did not say ready: {line!r}")
        self.path = line[len("ready "):]

    def stop(self):
        rc = stop_emu(self.proc)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc


def detect_over_pty(chip, mode, secure=None):
    with tempfile.TemporaryDirectory(prefix="mtk-detect-") as tmp:
        emu = Emulator(tmp, chip, mode, secure)
        try:
            check(emu.path == emu.link, f"pty {chip}: ready names {emu.path}, not the link")
            return detect_json(f"serial:{emu.link}", f"pty {chip} {mode}")
        finally:
            rc = emu.stop()
            check(rc == 0, f"pty {chip} {mode}: mtkemu exited {rc} after SIGTERM")


def test_over_pty():
    for name in CHIPS:
        for mode in ("brom", "preloader"):
            try:
                doc = detect_over_pty(name, mode)
            except RuntimeError as e:
                check(False, f"pty {name} {mode}: {e}")
                continue
            if doc:
                check_identity(doc, name, mode, f"pty {name} {mode}")


def test_secured():
    # In-process, target_config as a hex value (commas separate emu: options).
    doc = detect_json("emu:mt6765,mode=brom,secure=0x7", "emu secure=0x7")
    if doc:
        check(doc["target_config"] == 7, f"secure=0x7: target_config {doc['target_config']}")
        check_flags(doc, {"SBC", "SLA", "DAA"}, "secure=0x7")
    doc = detect_json("emu:mt6761,mode=brom,secure=0xe5", "emu secure=0xe5")
    if doc:
        check_flags(doc, {"SBC", "DAA", "MEM_READ_AUTH", "MEM_WRITE_AUTH", "CMD_C8_BLOCKED"}, "secure=0xe5")
    # Over a pty, by flag names.
    doc = detect_over_pty("MT6737", "brom", secure="sbc,sla,daa")
    if doc:
        check(doc["target_config"] == 7, f"pty sbc,sla,daa: target_config {doc['target_config']}")
        check_flags(doc, {"SBC", "SLA", "DAA"}, "pty sbc,sla,daa")
    # A preloader reports SBC/SLA/DAA too.
    doc = detect_json("emu:mt6580,mode=preloader,secure=daa", "emu preloader secure=daa")
    if doc:
        check_flags(doc, {"DAA"}, "preloader secure=daa")


def test_human_output():
    p, _ = run_mtkflash("--port", "emu:mt6765,mode=brom,secure=0x5", "detect")
    check(p.returncode == 0, f"human detect: exit {p.returncode}: {p.stderr.strip()}")
    out = p.stdout
    for want in ("MT6765", "0x0766", "brom", "xflash", "[x] SBC", "[ ] SLA", "[x] DAA",
                 "the Download Agent must be signed by the vendor", "ME_ID:", "SOC_ID:"):
        check(want in out, f"human detect: {want!r} missing from:\n{out}")
    check(sum(1 for line in out.splitlines() if line.lstrip().startswith("[")) == len(FLAG_NAMES),
          "human detect: not one line per target-config flag")


def test_nobody_answers():
    master, slave = os.openpty()
    try:
        path = os.ttyname(slave)
        p, took = run_mtkflash("--port", f"serial:{path}", "--wait", "2", "detect", timeout=30)
        check(p.returncode == 3, f"silent pty: exit {p.returncode} (want 3): {p.stderr.strip()}")
        check("nothing answered" in p.stderr, f"silent pty: message {p.stderr.strip()!r}")
        check(took < 2 + 4, f"silent pty: took {took:.1f} s with --wait 2")
        p, _ = run_mtkflash("--port", f"serial:{path}", "--wait", "1", "--json", "detect", timeout=30)
        check(p.returncode == 3, f"silent pty json: exit {p.returncode}")
        try:
            doc = json.loads(p.stdout)
            check(doc["ok"] is False and doc["error"]["name"] == "MTK_E_TIMEOUT",
                  f"silent pty json: {doc}")
            check("nothing answered" in doc["error"]["message"], f"silent pty json: {doc['error']}")
        except (json.JSONDecodeError, KeyError) as e:
            check(False, f"silent pty json: {e}: {p.stdout!r}")
    finally:
        os.close(master)
        os.close(slave)


def test_usage():
    p, _ = run_mtkflash("detect", "--help")
    check(p.returncode == 0 and "Usage" in p.stdout, f"detect --help: exit {p.returncode}")
    p, _ = run_mtkflash("--port", "emu:mt6765", "detect", "extra")
    check(p.returncode == 2, f"detect extra: exit {p.returncode}")
    with tempfile.TemporaryDirectory(prefix="mtk-detect-") as tmp:
        p, _ = run_mtkflash("--port", f"serial:{tmp}/no-such-tty", "--wait", "0", "detect")
        check(p.returncode == 3, f"missing port: exit {p.returncode}: {p.stderr.strip()}")


def main():
    # Two lanes: detect mostly waits (a silent port's --wait timeouts, the
    # handshake's waits for the phone's silence), so the pty phones (each in
    # its own folder) run beside the in-process ones.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        lane = [pool.submit(t) for t in (test_nobody_answers, test_over_pty)]
        for t in (test_usage, test_in_process, test_secured, test_human_output):
            print("--", t.__name__)
            t()
        for r in lane:
            r.result()  # its exception, if any, is this test's
    return finish()


if __name__ == "__main__":
    sys.exit(main())
