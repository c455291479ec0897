# SPDX-License-Identifier: MIT
"""--port auto and usb:BUS:ADDR on a machine with no phone attached: the
waiting message, the time --wait bounds, and errors that say what to check.
(With a phone attached the library finds it; tests/unit/test_discover.c and
tests/umockdev/ cover that against fake and emulated sysfs trees.)"""
import glob
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKFLASH, check, finish, run  # noqa: E402

WAITING = "waiting for a MediaTek device (hold volume-down while plugging in"
# Vendor ids of the download-mode identities in lib/transport/discover.c.
VENDORS = {"0e8d", "1004", "22d9", "0fce"}


def real_phone_attached():
    """True when some tty belongs to a USB device with one of our vendor ids:
    then this test would talk to it, which it must not."""
    for tty in glob.glob("/sys/class/tty/*"):
        for up in ("device/..", "device/../.."):
            try:
                with open(os.path.join(tty, up, "idVendor")) as f:
                    if f.read().strip().lower() in VENDORS:
                        return True
                    break
            except OSError:
                continue
    return False


def mtkflash(*args):
    t0 = time.monotonic()
    p = run([MTKFLASH] + list(args), expect=None, timeout=60)
    return p, time.monotonic() - t0


def test_auto_times_out():
    p, took = mtkflash("--wait", "1", "detect")
    check(p.returncode == 3, f"auto: exit {p.returncode} (want 3): {p.stderr.strip()}")
    check(p.stderr.count(WAITING) == 1, f"auto: waiting message not shown once:\n{p.stderr}")
    for want in ("no MediaTek device in download mode appeared within 1 s", "volume-down", "cable",
                 "cdc_acm", "ModemManager"):
        check(want in p.stderr, f"auto: {want!r} missing from:\n{p.stderr}")
    check(1.0 <= took < 5.0, f"auto: took {took:.1f} s with --wait 1")
    # The default spec is auto too.
    p, _ = mtkflash("--port", "auto", "-q", "--wait", "1", "detect")
    check(p.returncode == 3 and WAITING not in p.stderr, f"auto -q: exit {p.returncode}:\n{p.stderr}")


def test_auto_json():
    p, took = mtkflash("--wait", "0", "--json", "detect")
    check(p.returncode == 3, f"auto json: exit {p.returncode}")
    check(WAITING not in p.stderr, "auto --wait 0: says it waits")
    check(took < 4.0, f"auto --wait 0: took {took:.1f} s")
    try:
        err = json.loads(p.stdout)["error"]
        check(err["name"] == "MTK_E_NODEV" and "is connected" in err["message"], f"auto json: {err}")
    except (json.JSONDecodeError, KeyError) as e:
        check(False, f"auto json: {e}: {p.stdout!r}")


def test_usb_specs():
    for bad in ("usb:1", "usb:", "usb:x:2", "usb:1:200"):
        p, _ = mtkflash("--port", bad, "--wait", "0", "detect")
        check(p.returncode == 2 and "usb:BUS:ADDR" in p.stderr, f"{bad}: exit {p.returncode}: {p.stderr.strip()}")
    p, _ = mtkflash("--port", "usb:001:005", "--wait", "0", "detect")
    check(p.returncode == 3, f"usb:001:005: exit {p.returncode}: {p.stderr.strip()}")
    check("bus 1 address 5" in p.stderr and "libusb" in p.stderr, f"usb:001:005: {p.stderr.strip()}")


def main():
    if real_phone_attached():
        print("SKIP: a MediaTek device is attached to this machine")
        return 77
    for t in (test_auto_times_out, test_auto_json, test_usb_specs):
        print("--", t.__name__)
        t()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
