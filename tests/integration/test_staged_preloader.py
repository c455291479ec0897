#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The staged preloader and the BROM recovery routine (issue 10, items 2
and 5), on MT6737 (its BootROM reads boot1 only) and MT6580 (it boots the
partition BOOT_PARTITION_ENABLE selects; no known DA command sets it, so the
flash keeps it at boot1), MT6572 (boot1 only, its scatter's PRELOADER) and
MT6765 (the xflash DA, EXT_CSD policy).

The phone starts with an old preloader in boot1 and boot2 (one payload byte
differs from the package's: still this board's, still boots).
- A clean `flash --only preloader`: the plan and the steps show the copy in
  boot2 written before boot1; afterwards boot1 == boot2 == the package's
  preloader, BOOT_PARTITION_ENABLE = boot1, the phone boots.
- The power goes inside the boot2 write: boot1 was never touched and the
  phone boots; `recover --yes` rolls boot2 back: both old.
- The power goes inside the boot1 write: the phone comes up in BROM mode
  (boot1's header was invalidated first, so no half-new preloader runs);
  `recover --yes` finds the EMI settings in the journal (the old preloader's
  stash), brings DRAM up, rolls back: both copies old, the phone boots.
  `recover --finish` instead: both new, the phone boots.
- The cable is pulled inside the boot1 write (MT6737): the same rescue.
- A protected partition whose stash is lost (nvram, the cable pulled
  mid-write, the stash file deleted): `recover --rollback` restores it from the NVRAM backup
  the flash took first.
Where the faults land comes from a clean run's -vv log ("the image follows
from link byte N"): the emulator counts the same link bytes."""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKEMU, MTKFLASH, check, in_tmpdir, run, state_bytes  # noqa: E402
import txnutil as T  # noqa: E402

CHIPS = {"mt6737": "boot1-only", "mt6580": "ext-csd", "mt6572": "boot1-only", "mt6765": "ext-csd"}
SCATTERS = {"mt6737": "MT6737_Android_scatter.txt", "mt6580": "MT6580_Android_scatter.txt",
            "mt6572": "MT6572_Android_scatter.txt", "mt6765": "MT6765_Android_scatter.txt"}
NAME = {"mt6572": "PRELOADER"}  # the MBR/PMT era's scatter name
PAYLOAD_BYTE = 0x4000  # inside the preloader's code: not a header, GFH or EMI field
INTO_IMAGE = 4096      # how far into the image write a fault lands


def package(tmp, env, chip):
    T.SCATTER.setdefault(chip, SCATTERS[chip])
    return T.package(tmp, env, chip)


def copy_state(src, dst):
    subprocess.run(["cp", "-a", "--sparse=always", src, dst], check=True)
    return dst


def old_phone(tmp, chip):
    """A provisioned phone whose preloader copies differ from the package's in one payload byte."""
    state = T.provision(tmp, chip, "old")
    for area in ("boot1.bin", "boot2.bin"):
        with open(os.path.join(state, area), "r+b") as f:
            f.seek(PAYLOAD_BYTE)
            b = f.read(1)
            f.seek(PAYLOAD_BYTE)
            f.write(bytes([b[0] ^ 0xFF]))
    return state


def copies(state, n):
    return state_bytes(state, "boot1", 0, n), state_bytes(state, "boot2", 0, n)


def boot_partition_enable(state):
    with open(os.path.join(state, "ext_csd.bin"), "rb") as f:
        return f.read()[179] >> 3 & 7


def boot_check(state):
    p = run([MTKEMU, "boot-check", "--state", state, "--json"], expect=None)
    return json.loads(p.stdout)


def flash(env, chip, state, scatter, faults=None, *extra):
    return run([MTKFLASH] + list(extra) + ["--port", T.port(chip, state, faults), "flash", scatter, "--only",
                                           "preloader", "--yes"], expect=None, env=env)


def kinds(state, old, new):
    """boot1 and boot2: "old", "new" or "NEITHER"."""
    return tuple("old" if c == o else "new" if c == new else "NEITHER"
                 for c, o in zip(copies(state, len(new)), old))


class Chip:
    def __init__(self, tmp, env, chip):
        self.tmp, self.env, self.chip = tmp, env, chip
        self.scatter = package(tmp, env, chip)
        with open(os.path.join(os.path.dirname(self.scatter), "preloader_mtkemu_%s.bin" % chip), "rb") as f:
            self.new = f.read()
        self.phone = old_phone(tmp, chip)
        self.old = copies(self.phone, len(self.new))
        self.n = 0

    def fresh(self):
        self.n += 1
        return copy_state(self.phone, os.path.join(self.tmp, "%s-%d" % (self.chip, self.n)))

    def recover(self, state, *args, expect):
        p = run([MTKFLASH, "--json", "--port", T.port(self.chip, state), "recover"] + list(args), expect=expect,
                env=self.env)
        return json.loads(p.stdout), p


def clean_flash(c):
    """A clean staged write; the link positions of the two image writes."""
    tag = "%s clean" % c.chip
    state = c.fresh()
    check(c.old[0] != c.new and boot_check(state)["boots"], "%s: the old preloader differs and boots" % tag)
    p = flash(c.env, c.chip, state, c.scatter, None, "-vv", "--json")
    check(p.returncode == 0, "%s: flash exit 0 (%d: %s)" % (tag, p.returncode, p.stderr[-400:]))
    doc = json.loads(p.stdout)
    writes = [e for e in doc["plan"]["entries"] if e["action"] == "write"]
    pl = NAME.get(c.chip, "preloader")
    copy = pl + "@boot2"
    check([(e["partition"], e["region"]) for e in writes] == [(copy, "boot2"), (pl, "boot1")],
          "%s: the plan writes boot2's copy, then boot1: %s" % (tag, writes))
    staging = doc["plan"]["preloader_staging"]
    check(staging["staged"] and staging["boot_select"] == CHIPS[c.chip],
          "%s: the plan says staged, policy %s: %s" % (tag, CHIPS[c.chip], staging))
    steps = [(s["partition"], s["stage"], s["state"]) for s in doc["flash"]["steps"]]
    check(steps == [(copy, "write", "done"), (pl, "write", "done")],
          "%s: the steps: %s" % (tag, steps))
    recs = [(r["rec"], r.get("partition")) for r in T.journal_records(doc["journal"])]
    check(recs[1:7] == [("stash", pl), ("stash", copy), ("start", copy), ("end", copy), ("start", pl), ("end", pl)],
          "%s: journal: both boot areas stashed before either is written: %s" % (tag, recs))
    check(copies(state, len(c.new)) == (c.new, c.new), "%s: boot1 == boot2 == the package's preloader" % tag)
    check(boot_partition_enable(state) == 1, "%s: BOOT_PARTITION_ENABLE = boot1" % tag)
    check(boot_check(state)["boots"], "%s: the phone boots" % tag)
    events = T.log_events(c.env, doc["audit_log"], tag)
    check([e["partition"] for e in events if e["event"] == "write"] == [copy, pl],
          "%s: the audit log has both writes, boot2 first" % tag)
    marks = dict(re.findall(r"(boot[12]) header invalidated; the image follows from link byte (\d+)", p.stderr))
    check(set(marks) == {"boot1", "boot2"}, "%s: both headers invalidated before their images (%s)" % (tag, marks))
    return {k: int(v) for k, v in marks.items()}


def cut(c, marks, area, kind="power-loss-at"):
    """A flash cut inside `area`'s image write; the state and the flash's result."""
    state = c.fresh()
    p = flash(c.env, c.chip, state, c.scatter, "%s=%d" % (kind, marks[area] + INTO_IMAGE))
    check(p.returncode not in (0, 7), "%s %s in %s: the flash fails without a rollback (%d)"
          % (c.chip, kind, area, p.returncode))
    return state, p


def power_loss_in_boot2(c, marks):
    tag = "%s power loss in boot2" % c.chip
    state, _ = cut(c, marks, "boot2")
    k = kinds(state, c.old, c.new)
    check(k[0] == "old" and k[1] != "new", "%s: boot1 untouched, boot2 not new: %s" % (tag, k))
    check(boot_check(state)["mode"] == "preloader", "%s: boot1 still boots" % tag)
    doc, p = c.recover(state, "--yes", expect=7)
    check("brom_mode" not in doc, "%s: no BROM rescue needed" % tag)
    check(kinds(state, c.old, c.new) == ("old", "old"), "%s: recover: both copies old" % tag)
    check(boot_check(state)["boots"], "%s: the phone boots" % tag)


def power_loss_in_boot1(c, marks, choice="--yes", kind="power-loss-at"):
    tag = "%s %s in boot1, recover %s" % (c.chip, kind, choice)
    state, _ = cut(c, marks, "boot1", kind)
    k = kinds(state, c.old, c.new)
    check(k[1] == "new" and k[0] == "NEITHER", "%s: boot2 new, boot1 cut (header invalidated): %s" % (tag, k))
    bc = boot_check(state)
    check(not bc["boots"] and bc["mode"] == "brom" and bc["failed"] == "preloader",
          "%s: the phone is in BROM mode, no preloader: %s" % (tag, bc))
    want_rc, want = (7, "old") if choice == "--yes" else (0, "new")
    doc, p = c.recover(state, choice, expect=want_rc)
    brom = doc.get("brom_mode") or {}
    check(brom.get("emi_source") == "the old preloader (boot1 stash)" and brom["preloader"].startswith(doc["journal"]),
          "%s: found in BROM mode, DRAM from the old preloader's stash in the journal: %s" % (tag, brom))
    check(doc.get("boot_chain", "").startswith("the preloader is back in boot1 and boot2, both verified"),
          "%s: says the boot chain is back: %s" % (tag, doc.get("boot_chain")))
    check(kinds(state, c.old, c.new) == (want, want), "%s: both copies %s" % (tag, want))
    check(boot_partition_enable(state) == 1, "%s: BOOT_PARTITION_ENABLE = boot1" % tag)
    check(boot_check(state)["boots"], "%s: the phone boots" % tag)
    events = [e["event"] for e in T.log_events(c.env, doc["audit_log"], tag)]
    check("brom_mode" in events, "%s: the audit log tells the BROM rescue" % tag)
    if kind == "unplug-at":
        text_output(c, choice, want_rc)


def text_output(c, choice, want_rc):
    """The same rescue on a terminal: what it did, step by step, in words."""
    state, _ = cut(c, c.marks, "boot1")
    p = run([MTKFLASH, "--port", T.port(c.chip, state), "recover", choice], expect=want_rc, env=c.env)
    lines = [line for line in p.stdout.splitlines() if not line.startswith("audit log:")]
    want = ["the phone is in BROM mode: it did not boot", "DRAM set up with the EMI settings of the old preloader",
            "unfinished flash", "partition", "preloader@boot2", "preloader ", "preloader ", "preloader@boot2",
            "rolled back, device as before", "the preloader is back in boot1 and boot2, both verified"]
    check(len(lines) == len(want) and all(line.startswith(w) for line, w in zip(lines, want)),
          "%s text: recover tells each step: %s" % (c.chip, lines))


def nvram_package(tmp, env):
    """The MT6737 package with an nvram image (unsigned: quick mode)."""
    src = os.path.dirname(package(tmp, env, "mt6737"))
    out = shutil.copytree(src, os.path.join(tmp, "pkg-nvram"))
    for f in ("SHA256SUMS", "SHA256SUMS.minisig"):
        os.remove(os.path.join(out, f))
    path = os.path.join(out, SCATTERS["mt6737"])
    text = open(path).read()
    at = text.index("partition_name: nvram")
    head, tail = text[:at], text[at:]
    tail = tail.replace("file_name: NONE", "file_name: nvram.img", 1).replace("is_download: false", "is_download: true", 1)
    open(path, "w").write(head + tail)
    with open(os.path.join(out, "nvram.img"), "wb") as f:
        f.write(os.urandom(2 << 20))  # smaller than the partition: a short flash
    return path


def open_journal(env):
    return [j for j in T.journals(env) if T.journal_records(j)[-1]["rec"] != "close"]


def nvram_from_backup(tmp, env):
    """The cable goes inside the nvram write (where: a clean run's -vv log on
    a copy), the nvram stash is lost; recover --rollback uses the backup."""
    tag = "mt6737 nvram stash lost"
    scatter = nvram_package(tmp, env)
    state = T.provision(tmp, "mt6737", "nvram")
    ref = copy_state(state, os.path.join(tmp, "nvram-ref"))
    nv = ("user", 0x380000, 0x500000)
    old = T.content(state, *nv)
    args = ["flash", scatter, "--mode", "quick", "--only", "nvram", "--yes"]
    p = run([MTKFLASH, "-vv", "--port", T.port("mt6737", ref)] + args, env=env)
    mark = int(re.search(r"the write of nvram follows from link byte (\d+)", p.stderr).group(1))
    cut = mark + (2 << 20) + (3 << 19)  # past the 2 MiB read pass, inside the second 1 MiB write packet
    p = run([MTKFLASH, "--port", T.port("mt6737", state, "unplug-at=%d" % cut)] + args, expect=None, env=env)
    check(p.returncode not in (0, 7), "%s: the flash is cut (%d)" % (tag, p.returncode))
    jdir = open_journal(env)
    check(len(jdir) == 1, "%s: one unfinished journal (%s)" % (tag, jdir))
    stash = [r["file"] for r in T.journal_records(jdir[0]) if r["rec"] == "stash" and r["partition"] == "nvram"]
    check(len(stash) == 1, "%s: nvram was stashed (%s)" % (tag, stash))
    os.remove(os.path.join(jdir[0], stash[0]))
    check(T.content(state, *nv) != old, "%s: nvram is half written" % tag)
    p = run([MTKFLASH, "--port", T.port("mt6737", state), "recover", "--rollback"], expect=7, env=env)
    check("restored from the NVRAM backup" in p.stdout, "%s: recover says so: %s" % (tag, p.stdout[-400:]))
    check(T.content(state, *nv) == old, "%s: nvram as before" % tag)
    check(T.journal_records(jdir[0])[-1] == {"rec": "close", "result": "rolled-back"}, "%s: journal closed" % tag)


def body(tmp):
    env = T.environment(tmp)
    for chip in CHIPS:
        c = Chip(tmp, env, chip)
        marks = c.marks = clean_flash(c)
        if set(marks) != {"boot1", "boot2"}:
            continue
        power_loss_in_boot2(c, marks)
        power_loss_in_boot1(c, marks)
        if chip == "mt6737":
            power_loss_in_boot1(c, marks, "--finish")
            power_loss_in_boot1(c, marks, "--yes", "unplug-at")
    nvram_from_backup(tmp, env)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-staged-", body))
