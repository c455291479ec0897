#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mtkflash over emulated USB (libusb under umockdev), as a user runs it:

  mtkemu --chip mt6737 --state S --usb DIR         (prints "ready usb DIR")
  UMOCKDEV_DIR=DIR umockdev-wrapper mtkflash --port usb ...

- detect in BROM mode (0e8d:0003) and in preloader mode (0e8d:2000), the
  found line naming the USB identity and port;
- printgpt from BROM mode: DA1, DRAM set-up from the package's preloader, DA2,
  then the speed switch: the phone leaves the bus and comes back as 0e8d:2001
  at the next address, and the tool follows it by its USB port;
- 2 MiB written to boot and read back byte for byte over the re-enumerated
  device;
- a phone that leaves the bus mid-transfer (disconnect-after) is reported as
  gone, not as a hang;
- usb:BUS:ADDR reaches the device at that address and refuses another;
- `flash` of the sample package from BROM mode, safe mode, verified, its
  audit log verifying.
Skipped (77) when umockdev-wrapper is missing."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from mtkutil import (MTKEMU, MTKFLASH, check, in_tmpdir, read_file, read_line, run,  # noqa: E402
                     start_emu, stop_emu, write_file)

DA = os.environ.get("MTKFLASH_BUILD_DA", "")


def usb_run(usbdir, args, expect=0, timeout=120):
    env = dict(os.environ, UMOCKDEV_DIR=usbdir)
    p = subprocess.run(["umockdev-wrapper", MTKFLASH, "--port", "usb"] + args, env=env, capture_output=True,
                       text=True, timeout=timeout)
    check(p.returncode == expect, "mtkflash %s exited %d, not %d; stderr:\n%s"
          % (" ".join(args), p.returncode, expect, p.stderr))
    return p


def with_emu(tmp, name, args, body):
    usbdir = os.path.join(tmp, name + "-usb")
    # Laid out like the sample package (GPT, preloader in boot1).
    run([MTKEMU, "provision", "--chip", "mt6737", "--state", os.path.join(tmp, name)])
    emu = start_emu(["--chip", "mt6737", "--state", os.path.join(tmp, name)] + args + ["--usb", usbdir])
    try:
        line = read_line(emu)
        check(line == "ready usb " + usbdir, "mtkemu said %r, not 'ready usb %s'" % (line, usbdir))
        body(usbdir, emu)
    finally:
        rc = stop_emu(emu)
        check(rc == 0, "mtkemu exited %s after SIGTERM (stderr %r)" % (rc, emu.stderr.read()))
        check(not os.path.lexists(usbdir), "mtkemu left its test bed %s behind" % usbdir)


def detect(usbdir, mode, pid, what):
    p = usb_run(usbdir, ["-v", "--json", "detect"])
    check('"hw_code": 821' in p.stdout and '"mode": "%s"' % mode in p.stdout, "detect said:\n%s" % p.stdout)
    check("found 0e8d:%s %s, USB 1-1 = bus 1 address 2" % (pid, what) in p.stderr,
          "no found line for 0e8d:%s; stderr:\n%s" % (pid, p.stderr))


def brom_session(tmp, fw):
    preloader = os.path.join(fw, "preloader_mtkemu_mt6737.bin")
    da = ["--da", DA]

    def body(usbdir, emu):
        detect(usbdir, "brom", "0003", "MediaTek BROM")
        p = usb_run(usbdir, da + ["-v", "printgpt", "--preloader", preloader])
        check("the device re-enumerated: 0e8d:2001" in p.stderr and "bus 1 address 3" in p.stderr,
              "no re-enumeration after the speed switch; stderr:\n%s" % p.stderr)
        check("the DA now runs at USB high speed" in p.stderr, "no high speed; stderr:\n%s" % p.stderr)
        check("boot" in p.stdout, "printgpt lists no boot partition:\n%s" % p.stdout)
        # The DA keeps running on the new address: the next command finds it there.
        data = os.urandom(2 << 20)
        img = write_file(os.path.join(tmp, "boot-2m.bin"), data)
        usb_run(usbdir, da + ["-q", "write", "boot", img])
        back = os.path.join(tmp, "boot-back.bin")
        usb_run(usbdir, da + ["-q", "read", "boot", back])
        check(read_file(back, len(data)) == data, "boot read back over USB differs from what was written")
        p = usb_run(usbdir, ["--port", "usb:1:9", "--wait", "0", "detect"], expect=3)
        check("bus 1 address 9" in p.stderr, "usb:1:9 error does not name the address:\n%s" % p.stderr)
    with_emu(tmp, "brom", ["--mode", "brom"], body)


def flash_session(tmp, fw):
    """The sample package flashed in safe mode onto a phone in BROM mode: DA,
    DRAM from the package's preloader, the speed switch's re-enumeration
    followed, every partition verified, the audit log verifies."""
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        os.environ[var] = os.path.join(tmp, "flash-" + var.lower())
    audit = os.path.join(tmp, "usb-flash.jsonl")

    def body(usbdir, emu):
        p = usb_run(usbdir, ["--da", DA, "-v", "flash", os.path.join(fw, "MT6737_Android_scatter.txt"), "--yes",
                             "--trust", os.path.join(fw, "mtkemu-demo.pub"), "--audit", audit], timeout=300)
        check("the device re-enumerated: 0e8d:2001" in p.stderr, "flash did not follow the re-enumeration:\n%s"
              % p.stderr[-2000:])
        check("verified:" in p.stdout and "every written byte read back and equal" in p.stdout,
              "flash over USB is not verified:\n%s" % p.stdout[-1500:])
        pub = os.path.join(os.environ["XDG_DATA_HOME"], "mtkflash", "station.pub")
        run([MTKFLASH, "log", "verify", audit, "--trust", pub])
    with_emu(tmp, "flash", ["--mode", "brom"], body)


def preloader_session(tmp):
    def body(usbdir, emu):
        detect(usbdir, "preloader", "2000", "MediaTek preloader")
    with_emu(tmp, "pl", ["--mode", "preloader", "--listen-ms", "60000"], body)


def gone_mid_transfer(tmp):
    def body(usbdir, emu):
        img = write_file(os.path.join(tmp, "boot-1m.bin"), os.urandom(1 << 20))
        p = usb_run(usbdir, ["--da", DA, "--no-speed-switch", "write", "boot", img], expect=3)
        check("left the bus" in p.stderr or "went away" in p.stderr or "disconnect" in p.stderr.lower(),
              "a device gone mid-transfer is not reported as gone:\n%s" % p.stderr)
    with_emu(tmp, "cut", ["--mode", "preloader", "--listen-ms", "60000", "--faults", "disconnect-after=300K"],
             body)


def main(tmp):
    # Session records are per USB port (1-1 in every test bed): this test's own.
    os.environ["XDG_RUNTIME_DIR"] = os.path.join(tmp, "runtime")
    fw = os.path.join(tmp, "fw")
    run([MTKEMU, "mkfirmware", "--chip", "mt6737", "--out", fw])
    preloader_session(tmp)
    brom_session(tmp, fw)
    gone_mid_transfer(tmp)
    flash_session(tmp, fw)


if __name__ == "__main__":
    if not shutil.which("umockdev-wrapper"):
        print("SKIP: umockdev-wrapper is not installed")
        sys.exit(77)
    sys.exit(in_tmpdir("mtkflash-usb-", main))
