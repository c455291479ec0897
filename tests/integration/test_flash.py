#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mtkflash flash against the emulator, on the sample packages of mtkemu
mkfirmware: MT6737 (GPT era) and MT6572 (MBR/PMT era, old names).

Each scene (download, upgrade, format-all) flashes the package; afterwards
the emulator's state files say every written partition holds the package's
bytes (sparse images: the data ranges; the holes keep the old content, or
read as erased after format-all), every erased partition reads as zeros and
everything else is byte-identical to before; `log verify` passes on the
audit log.  Each spoiled variant is refused in safe mode naming its risk
factor; quick and service mode behave as docs/verified-mode.md says; a
corrupt-write fault in boot exits 5 naming boot and the offset; with no
terminal and no --yes a risk above low is refused; the Done-when command
runs literally."""
import json
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import AREA_FILES, MTKEMU, MTKFLASH, check, content, environment, in_tmpdir, run  # noqa: E402


def trust_demo_key(env, pkg):
    keys = os.path.join(env["XDG_CONFIG_HOME"], "mtkflash", "trusted-keys")
    os.makedirs(keys, exist_ok=True)
    shutil.copy(os.path.join(pkg, "mtkemu-demo.pub"), keys)


def mkfirmware(tmp, chip, variant=None):
    out = os.path.join(tmp, "pkg-%s-%s" % (chip, variant or "good"))
    if not os.path.isdir(out):
        run([MTKEMU, "mkfirmware", "--chip", chip, "--out", out] + (["--variant", variant] if variant else []))
    names = [n for n in os.listdir(out) if n.endswith("_Android_scatter.txt")]
    return out, os.path.join(out, names[0])


def provision(tmp, chip, tag):
    state = os.path.join(tmp, "state-%s-%s" % (chip, tag))
    run([MTKEMU, "provision", "--chip", chip, "--state", state])
    return state


def flash(env, state, chip, scatter, *args, expect=0, faults=None):
    port = "emu:%s,state=%s" % (chip, state) + (",faults=" + faults if faults else "")
    p = run([MTKFLASH, "-q", "--json", "--port", port, "flash", scatter] + list(args), expect=expect, env=env)
    return json.loads(p.stdout), p


# ------------------------------------------------------- the state files

def snapshot(state, entries):
    return {key(e): content(state, e["region"], e["offset"], e["size"]) for e in entries if e["size"]}


def key(e):
    return e["partition"] or e["device_name"]


def sparse_ranges(path):
    """(offset, bytes or None for a hole) of an Android sparse image."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, fhdr, chdr, blk, _, chunks, _ = struct.unpack_from("<IHHHHIIII", data, 0)
    assert magic == 0xED26FF3A, path
    at, out, off = fhdr, [], 0
    for _ in range(chunks):
        kind, _, nblk, total = struct.unpack_from("<HHII", data, at)
        body = data[at + chdr:at + total]
        n = nblk * blk
        if kind == 0xCAC1:
            out.append((off, body))
        elif kind == 0xCAC2:
            out.append((off, body[:4] * (n // 4)))
        elif kind == 0xCAC3:
            out.append((off, None))
        if kind != 0xCAC4:
            off += n
        at += total
    return out


def read_state(state, region, off, length):
    with open(os.path.join(state, AREA_FILES[region]), "rb") as f:
        f.seek(off)
        return f.read(length)


def check_written(state, e, tag):
    name = key(e)
    if not e["sparse"]:
        want = open(e["image"], "rb").read()
        got = read_state(state, e["region"], e["offset"], len(want))
        return check(got == want, "%s: %s holds the image's bytes" % (tag, name))
    ok = True
    for off, data in sparse_ranges(e["image"]):
        if data is not None:
            ok &= read_state(state, e["region"], e["offset"] + off, len(data)) == data
    return check(ok, "%s: %s holds the sparse image's data ranges" % (tag, name))


def check_holes(state, before, e, tag):
    """Holes of a sparse image keep what was there (or read as erased)."""
    erased = e["erase_first"]
    ok = True
    for off, data in sparse_ranges(e["image"]):
        if data is None:
            now = content(state, e["region"], e["offset"] + off, 1 << 20)
            was = [(o - off, h) for o, h in before if off <= o < off + (1 << 20)]
            ok &= now == ([] if erased else was)
    check(ok, "%s: %s's holes %s" % (tag, key(e), "read as erased" if erased else "are untouched"))


def check_state(state, before, plan, tag):
    after = snapshot(state, plan["entries"])
    restored = plan["scene"] == "upgrade"
    for e in plan["entries"]:
        if not e["size"]:
            continue
        k, act = key(e), e["action"]
        if act == "write":
            check_written(state, e, tag)
            if e["sparse"]:
                check_holes(state, before[k], e, tag)
        elif act == "erase":
            check(after[k] == [], "%s: %s reads as erased" % (tag, k))
        elif act == "backup" and restored:
            check(after[k] == before[k], "%s: %s restored as it was" % (tag, k))
        else:
            check(after[k] == before[k], "%s: untouched %s (%s) is byte-identical" % (tag, k, act))


def log_verify(env, doc, tag):
    path = doc.get("audit_log")
    check(path and os.path.exists(path), "%s: audit log path given" % tag)
    pub = os.path.join(env["XDG_DATA_HOME"], "mtkflash", "station.pub")
    p = run([MTKFLASH, "--json", "log", "verify", path, "--trust", pub], expect=None, env=env)
    check(p.returncode == 0, "%s: log verify passes (%s)" % (tag, p.stdout[-400:] + p.stderr[-400:]))
    return [json.loads(line) for line in open(path)]


# ------------------------------------------------------------- the tests

def scenes(tmp, env, chip):
    pkg, scatter = mkfirmware(tmp, chip)
    trust_demo_key(env, pkg)
    state = provision(tmp, chip, "scenes")
    for scene in ("download", "upgrade", "format-all"):
        tag = "%s %s" % (chip, scene)
        plan = run([MTKFLASH, "-q", "--json", "--port", "emu:%s,state=%s" % (chip, state), "plan", scatter,
                    "--scene", scene], env=env)
        entries = json.loads(plan.stdout)["plan"]
        before = snapshot(state, entries["entries"])
        doc, _ = flash(env, state, chip, scatter, "--scene", scene, "--yes")
        check(doc["result"] == "verified", "%s: verified" % tag)
        steps = doc["flash"]["steps"]
        writes = [s for s in steps if s["stage"] == "write"]
        check(writes and all(s["match"] and s["state"] == "done" for s in writes), "%s: every write matches" % tag)
        names = [s["partition"] for s in writes]
        if scene != "download":
            check(names[-1].lower() == "preloader", "%s: the preloader is written last (%s)" % (tag, names))
            check(doc["flash"]["backup_id"], "%s: protected partitions backed up" % tag)
        check_state(state, before, doc["plan"], tag)
        events = log_verify(env, doc, tag)
        kinds = [e["event"] for e in events]
        for want in ("start", "fingerprint", "package", "plan", "risk", "decision", "write", "end"):
            check(want in kinds, "%s: audit log has a %s event" % (tag, want))
        if scene == "upgrade":
            check("backup" in kinds and "restore" in kinds, "%s: backup and restore logged" % tag)
            bk = [e for e in events if e["event"] == "backup"]
            check(all(len(e.get("before_sha256", "")) == 64 for e in bk), "%s: backups log the before SHA-256" % tag)
        if scene == "format-all":
            check("erase" in kinds, "%s: erases logged" % tag)


def factor_of(doc, name):
    for f in doc["risk"]["factors"]:
        if f["factor"] == name:
            return f
    raise AssertionError("no factor " + name)


VARIANTS = {"wrong-chip": "chip_mismatch", "other-dram": "emi_missing", "flipped-byte": "checksum_mismatch",
            "unsigned": "package_unsigned", "layout-changed": "layout_change"}


def variants(tmp, env):
    state = provision(tmp, "mt6737", "variants")
    for variant, factor in VARIANTS.items():
        _, scatter = mkfirmware(tmp, "mt6737", variant)
        doc, p = flash(env, state, "mt6737", scatter, "--yes", expect=6)
        check(factor_of(doc, factor)["state"] == "yes", "%s: factor %s active" % (variant, factor))
        check("flash" not in doc, "%s: nothing was flashed" % variant)
        said = p.stderr + json.dumps(doc.get("plan", {}).get("refusals", []))
        check(factor in said or doc["plan"]["refusals"], "%s: the refusal is named (%s)" % (variant, p.stderr))
    # quick mode: an unsigned package is a warning, not a refusal
    _, unsigned = mkfirmware(tmp, "mt6737", "unsigned")
    doc, _ = flash(env, state, "mt6737", unsigned, "--yes", "--mode", "quick")
    check(doc["result"] == "verified", "quick mode flashes an unsigned package")
    # a checksum mismatch: quick refuses, service without the passphrase too
    _, flipped = mkfirmware(tmp, "mt6737", "flipped-byte")
    flash(env, state, "mt6737", flipped, "--yes", "--mode", "quick", expect=6)
    p = run([MTKFLASH, "-q", "--port", "emu:mt6737,state=" + state, "flash", flipped, "--yes", "--mode", "service",
             "--override", "checksum_mismatch"], expect=6, env=env)
    check("passphrase" in p.stderr, "service mode without a passphrase is refused: %s" % p.stderr.strip())
    service(env, state, flipped)


def with_fd(env, args, text, expect):
    p = mtkutil.run_fd(args, text, env=env)
    check(p.returncode == expect, "%s: exit %d, wanted %d (%s)" % (" ".join(args[-6:]), p.returncode, expect,
                                                                 p.stderr[-600:]))
    return p


def service(env, state, flipped):
    with_fd(env, ["service", "set-passphrase"], "bench passphrase\n", 0)
    base = ["-q", "--json", "--port", "emu:mt6737,state=" + state, "flash", flipped, "--yes", "--mode", "service"]
    with_fd(env, base, "wrong one\n", 6)
    with_fd(env, base, "bench passphrase\n", 6)  # the factor is not overridden
    p = with_fd(env, base + ["--override", "checksum_mismatch"], "bench passphrase\n", 0)
    doc = json.loads(p.stdout)
    check("checksum_mismatch" in doc["decision"]["overridden"], "service: the override is in the decision")
    events = log_verify(env, doc, "service override")
    ov = [e for e in events if e["event"] == "override"]
    check(ov and ov[0]["factor"] == "checksum_mismatch", "service: the override is in the audit log")


def corrupt(tmp, env):
    pkg, scatter = mkfirmware(tmp, "mt6737")
    state = provision(tmp, "mt6737", "corrupt")
    plan = json.loads(run([MTKFLASH, "-q", "--json", "--port", "emu:mt6737,state=" + state, "plan", scatter],
                          env=env).stdout)["plan"]
    boot = [e for e in plan["entries"] if e["partition"] == "boot"][0]
    bad = boot["offset"] + 0x3000
    doc, p = flash(env, state, "mt6737", scatter, "--yes", expect=5, faults="corrupt-write=user:%#x:16" % bad)
    check("boot" in p.stderr and "0x3000" in p.stderr, "corrupt-write: names boot and the offset: %s"
          % p.stderr.strip())
    steps = {s["partition"]: s for s in doc["flash"]["steps"]}
    check(steps["boot"]["state"] == "failed" and steps["boot"]["first_bad_offset"] == 0x3000,
          "corrupt-write: boot failed at 0x3000")
    check(steps["recovery"]["state"] == "pending", "corrupt-write: the flash stopped at boot")
    check(steps["system"]["state"] == "done", "corrupt-write: what was written before is reported")
    events = log_verify(env, doc, "corrupt-write")
    check(any(e["event"] == "error" and e["partition"] == "boot" for e in events), "corrupt-write: error logged")


def no_terminal(tmp, env):
    _, scatter = mkfirmware(tmp, "mt6737", "unsigned")
    state = provision(tmp, "mt6737", "noterm")
    before = content(state, "user", 0, 64 << 20)
    # unsigned, the preloader written: medium risk, which quick mode asks about
    p = subprocess.run([MTKFLASH, "-q", "--port", "emu:mt6737,state=" + state, "flash", scatter, "--scene",
                        "upgrade", "--mode", "quick"], stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=300)
    check(p.returncode == 6 and "--yes" in p.stderr, "no terminal, no --yes: refused (%d, %s)"
          % (p.returncode, p.stderr.strip()))
    check(content(state, "user", 0, 64 << 20) == before, "no terminal: nothing written")


def done_when(tmp):
    """The issue's Done-when command, literally, by a user who trusts no key:
    the demo key is trusted for a software device (cli_demo_key_path)."""
    fresh = os.path.join(tmp, "fresh")
    os.makedirs(fresh)
    env = environment(fresh)
    pkg, _ = mkfirmware(tmp, "mt6737")
    state = os.path.join(tmp, "S")
    run([MTKEMU, "provision", "--chip", "mt6737", "--state", state])
    p = run([MTKFLASH, "--port", "emu:mt6737,state=" + state, "flash", pkg + "/MT6737_Android_scatter.txt",
             "--yes"], env=env)
    line = [x for x in p.stdout.splitlines() if x.startswith("audit log: ")]
    check(line and "verified:" in p.stdout, "done-when: verified, log path printed")
    run([MTKFLASH, "log", "verify", line[0][len("audit log: "):]], env=env)


def body(tmp):
    env = environment(tmp)
    scenes(tmp, env, "mt6737")
    scenes(tmp, env, "mt6572")
    variants(tmp, env)
    corrupt(tmp, env)
    no_terminal(tmp, env)
    done_when(tmp)


sys.exit(in_tmpdir("mtk-flash-", body))
