# SPDX-License-Identifier: MIT
"""`mtkflash doctor` against planted system trees, one problem each.

Each case builds a folder that looks like / to the checks (sys/ with a USB
device, its tty and the kernel's symlinks; dev/ nodes; proc/PID/comm and
fd links; etc/group; udev rules; module lists), points MTKFLASH_SYSROOT at
it and checks every status in `--json` (each check not named must be ok),
the words of the finding, and the exit status (1 exactly when one fails).

Run as root, mtkflash is run as nobody (setpriv), so that permissions and
groups are checked as for an ordinary user."""
import json
import os
import pwd
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import check  # noqa: E402

RULE = os.environ.get("MTK_UDEV_RULE")
RELEASE = os.uname().release
USBDEV = "sys/devices/pci0000:00/0000:00:14.0/usb1/1-1"
IDS = ["device", "permissions", "udev-rule", "modemmanager", "brltty", "cdc_acm", "autosuspend",
       "port-busy", "groups"]
AS_NOBODY = os.geteuid() == 0 and shutil.which("setpriv")
USER = "nobody" if AS_NOBODY else pwd.getpwuid(os.getuid()).pw_name


def put(root, rel, text="", mode=None):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def link(root, rel, target):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def plant_device(root, pid, power, tty, node_mode):
    for name, value in (("idVendor", "0e8d"), ("idProduct", pid), ("busnum", "1"), ("devnum", "2"),
                        ("devpath", "1"), ("speed", "480")):
        put(root, "%s/%s" % (USBDEV, name), value + "\n")
    put(root, USBDEV + "/power/control", power + "\n")
    link(root, "sys/bus/usb/devices/1-1", "../../../devices/pci0000:00/0000:00:14.0/usb1/1-1")
    link(root, "sys/bus/usb/devices/1-1:1.0", "../../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0")
    put(root, "dev/bus/usb/001/002", mode=node_mode)
    if tty:
        put(root, USBDEV + "/1-1:1.0/tty/ttyACM0/dev", "166:0\n")
        link(root, "sys/class/tty/ttyACM0", "../../devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/tty/ttyACM0")
        put(root, "dev/ttyACM0", mode=node_mode)


def plant_process(root, pid, comm, holds=None):
    put(root, "proc/%d/comm" % pid, comm + "\n")
    os.makedirs(os.path.join(root, "proc/%d/fd" % pid), exist_ok=True)
    link(root, "proc/%d/fd/0" % pid, "/dev/null")
    if holds:
        link(root, "proc/%d/fd/7" % pid, holds)


def plant(root, c):
    """A healthy host with a phone in BROM mode, spoiled as case `c` says."""
    if c.get("pid", "0003"):
        plant_device(root, c.get("pid", "0003"), c.get("power", "on"), c.get("tty", True),
                     c.get("node_mode", 0o666))
    plant_process(root, 1, "systemd")
    for pid, comm in c.get("procs", []):
        plant_process(root, pid, comm)
    if c.get("holder"):
        plant_process(root, 777, "minicom", holds=c["holder"])
    rule_dir = c.get("rule_dir", "etc/udev/rules.d")
    if rule_dir:
        os.makedirs(os.path.join(root, rule_dir), exist_ok=True)
        shutil.copy(RULE, os.path.join(root, rule_dir, "60-mtkflash.rules"))
    cdc = c.get("cdc", "loaded")
    if cdc == "loaded":
        os.makedirs(os.path.join(root, "sys/module/cdc_acm"))
    elif cdc == "module":
        put(root, "lib/modules/%s/modules.dep" % RELEASE,
            "kernel/drivers/usb/serial/usbserial.ko.xz:\nkernel/drivers/usb/class/cdc-acm.ko.xz:\n")
    for rel in c.get("files", []):
        put(root, rel, "# planted\n")
    members = USER if c.get("dialout", True) else "someone"
    put(root, "etc/group", "root:x:0:\ndialout:x:20:%s\nplugdev:x:46:%s\n" % (members, USER))


CASES = [
    ("healthy host, phone in BROM mode", {}, {}, {"device": "0e8d:0003 MediaTek BROM at USB 1-1"}),
    ("no device", {"pid": None}, {"device": "warn"}, {"device": "no MediaTek USB device"}),
    ("phone booted normally", {"pid": "2008"}, {"device": "warn"}, {"device": "not in download mode"}),
    ("no tty driver bound", {"tty": False}, {"device": "warn"}, {"device": "cdc_acm has not bound it"}),
    ("no permission on the nodes", {"node_mode": 0o600 if AS_NOBODY else 0o000},
     {"permissions": "fail"}, {"permissions": "no read/write access to /dev/bus/usb/001/002"}),
    ("ModemManager not told to ignore MediaTek", {"procs": [(412, "ModemManager")], "rule_dir": None},
     {"modemmanager": "fail", "udev-rule": "warn"}, {"modemmanager": "ModemManager is running (PID 412)"}),
    ("ModemManager, but our rule is installed", {"procs": [(412, "ModemManager")]}, {},
     {"modemmanager": "/etc/udev/rules.d/60-mtkflash.rules tells it to ignore"}),
    ("rule only under /usr/local", {"rule_dir": "usr/local/lib/udev/rules.d"}, {"udev-rule": "warn"},
     {"udev-rule": "where udev does not read rules"}),
    ("brltty running", {"procs": [(530, "brltty")]}, {"brltty": "warn"}, {"brltty": "brltty is running (PID 530)"}),
    ("brltty installed", {"files": ["usr/lib/udev/rules.d/85-brltty.rules"]}, {"brltty": "warn"},
     {"brltty": "brltty is installed"}),
    ("cdc_acm as a module", {"cdc": "module"}, {}, {"cdc_acm": "available as a module"}),
    ("cdc_acm missing", {"cdc": None}, {"cdc_acm": "warn"}, {"cdc_acm": "neither loaded"}),
    ("autosuspend on", {"power": "auto"}, {"autosuspend": "warn"}, {"autosuspend": "power/control = auto"}),
    ("another program holds the tty", {"holder": "/dev/ttyACM0"}, {"port-busy": "fail"},
     {"port-busy": "minicom (PID 777) has /dev/ttyACM0 open"}),
]
if AS_NOBODY or os.geteuid() != 0:
    CASES.append(("user not in dialout", {"dialout": False}, {"groups": "warn"}, {"groups": "not in the dialout group"}))


def doctor(root, *args):
    env = dict(os.environ, MTKFLASH_SYSROOT=root)
    cmd = [mtkutil.MTKFLASH, "doctor"] + list(args)
    if AS_NOBODY:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)


def run_case(tmp, n, name, spoil, statuses, words):
    root = os.path.join(tmp, "case%d" % n)
    os.makedirs(root)
    plant(root, spoil)
    p = doctor(root, "--json")
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        check(False, "%s: no JSON (%r, %r)" % (name, p.stdout, p.stderr))
        return
    got = {c["id"]: c for c in doc["checks"]}
    check([c["id"] for c in doc["checks"]] == IDS, "%s: check ids %s" % (name, list(got)))
    for cid in IDS:
        want = statuses.get(cid, "ok")
        c = got.get(cid, {})
        check(c.get("status") == want, "%s: %s is %s, not %s (%s)" % (name, cid, c.get("status"), want,
                                                                     c.get("finding")))
        check(want == "ok" or c.get("fix"), "%s: %s has no fix" % (name, cid))
    for cid, text in words.items():
        check(text in got.get(cid, {}).get("finding", ""), "%s: %s finding %r lacks %r" %
              (name, cid, got.get(cid, {}).get("finding"), text))
    fails = sum(1 for s in statuses.values() if s == "fail")
    check(doc["failed"] == fails, "%s: failed = %s" % (name, doc["failed"]))
    check(p.returncode == (1 if fails else 0), "%s: exit status %d" % (name, p.returncode))


def human_output(tmp):
    root = os.path.join(tmp, "human")
    os.makedirs(root)
    plant(root, {"procs": [(412, "ModemManager")], "rule_dir": None})
    p = doctor(root)
    check(p.returncode == 1, "human: exit status %d" % p.returncode)
    check("fail  modemmanager" in p.stdout, "human: no fail line: %s" % p.stdout)
    check("fix: sudo install -m 644 data/60-mtkflash.rules /etc/udev/rules.d/" in p.stdout,
          "human: no fix line: %s" % p.stdout)
    check("1 problem blocks flashing" in p.stdout, "human: no summary: %s" % p.stdout)


def bad_root(tmp):
    p = doctor(os.path.join(tmp, "absent"), "--json")
    check(p.returncode == 2 and "is not a folder" in p.stdout, "bad root: %d %s" % (p.returncode, p.stdout))


UMOCKDEV_PHONE = """P: /devices/pci0000:00/0000:00:14.0/usb1/1-1
N: bus/usb/001/002
E: SUBSYSTEM=usb
E: DEVTYPE=usb_device
E: DEVNAME=/dev/bus/usb/001/002
A: idVendor=0e8d\\n
A: idProduct=%s\\n
A: busnum=1\\n
A: devnum=2\\n
A: speed=12\\n
A: power/control=auto\\n

P: /devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0
E: SUBSYSTEM=usb
E: DEVTYPE=usb_interface
E: DRIVER=cdc_acm

P: /devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/tty/ttyACM0
N: ttyACM0
E: SUBSYSTEM=tty
E: DEVNAME=/dev/ttyACM0
"""


def under_umockdev(tmp):
    """The same code on the real root, with /sys and /dev from a umockdev test bed."""
    if not shutil.which("umockdev-run"):
        print("umockdev-run not installed: umockdev cases skipped")
        return
    env = dict(os.environ)
    env.pop("MTKFLASH_SYSROOT", None)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    for pid, status, text in (("0003", "ok", "0e8d:0003 MediaTek BROM at USB 1-1 (bus 1 address 2), full speed"),
                              ("2008", "warn", "not in download mode")):
        bed = os.path.join(tmp, "phone-%s.umockdev" % pid)
        with open(bed, "w") as f:
            f.write(UMOCKDEV_PHONE % pid)
        p = subprocess.run(["umockdev-run", "--device", bed, "--", mtkutil.MTKFLASH, "doctor", "--json"],
                           capture_output=True, text=True, timeout=60, env=env)
        got = {c["id"]: c for c in json.loads(p.stdout)["checks"]} if p.stdout.startswith("{") else {}
        dev = got.get("device", {})
        check(dev.get("status") == status and text in dev.get("finding", ""),
              "umockdev %s: device check %s (%s)" % (pid, dev, p.stderr))
        auto = got.get("autosuspend", {})
        check(pid != "0003" or auto.get("status") == "warn", "umockdev %s: autosuspend %s" % (pid, auto))


def body(tmp):
    os.chmod(tmp, 0o755)
    for n, (name, spoil, statuses, words) in enumerate(CASES):
        run_case(tmp, n, name, spoil, statuses, words)
    human_output(tmp)
    bad_root(tmp)
    under_umockdev(tmp)


if __name__ == "__main__":
    sys.exit(mtkutil.in_tmpdir("mtk-doctor-", body))
