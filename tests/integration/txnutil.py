# SPDX-License-Identifier: MIT
"""What test_rollback.py and test_recover.py share: XDG folders, the sample
package, a device pair (one flashed cleanly: the "new" content), each written
partition's content as old or new, flashes signalled at an exact write."""
import json
import os
import select
import shutil
import signal
import subprocess
import time

from mtkutil import MTKEMU, MTKFLASH, check, content, environment, run  # noqa: F401 (environment: for the tests)

# The sample packages' names for the partitions the tests aim at.
NAMES = {"mt6737": {"system": "system", "boot": "boot", "cache": "cache", "lk": "lk", "recovery": "recovery"},
         "mt6572": {"system": "ANDROID", "boot": "BOOTIMG", "cache": "CACHE", "lk": "UBOOT", "recovery": "RECOVERY"},
         "mt6765": {"system": "system", "boot": "boot", "cache": "cache", "lk": "lk", "recovery": "recovery"}}
SCATTER = {"mt6737": "MT6737_Android_scatter.txt", "mt6572": "MT6572_Android_scatter.txt",
           "mt6765": "MT6765_Android_scatter.txt"}


def package(tmp, env, chip):
    out = os.path.join(tmp, "pkg-" + chip)
    if not os.path.isdir(out):
        run([MTKEMU, "mkfirmware", "--chip", chip, "--out", out])
        keys = os.path.join(env["XDG_CONFIG_HOME"], "mtkflash", "trusted-keys")
        os.makedirs(keys, exist_ok=True)
        shutil.copy(os.path.join(out, "mtkemu-demo.pub"), keys)
    return os.path.join(out, SCATTER[chip])


def port(chip, state, faults=None, speed=None):
    return "emu:%s,state=%s" % (chip, state) + (",faults=" + faults if faults else "") + \
        (",speed=" + speed if speed else "")


def provision(tmp, chip, tag):
    state = os.path.join(tmp, "state-%s-%s" % (chip, tag))
    run([MTKEMU, "provision", "--chip", chip, "--state", state])
    return state


def written(env, chip, state, scatter, *args):
    """The plan's written entries (partition, region, offset, size); `args`
    select (--only, --scene ...) as for flash."""
    return [e for e in plan_entries(env, chip, state, scatter, *args) if e["action"] == "write" and e["size"]]


def plan_entries(env, chip, state, scatter, *args):
    """Every entry of `mtkflash plan`."""
    p = run([MTKFLASH, "-q", "--json", "--port", port(chip, state), "plan", scatter] + list(args), env=env)
    return json.loads(p.stdout)["plan"]["entries"]


def entry(entries, name):
    return [e for e in entries if e["partition"] == name][0]


def next_entry(entries, name):
    """The written entry after `name` in flash order."""
    names = [e["partition"] for e in entries]
    return entries[names.index(name) + 1]


def snapshot(state, entries):
    return {e["partition"]: content(state, e["region"], e["offset"], e["size"]) for e in entries}


def old_and_new(tmp, env, chip, scatter):
    """Contents of every written partition before and after a clean flash."""
    ref = provision(tmp, chip, "reference")
    entries = written(env, chip, ref, scatter)
    old = snapshot(ref, entries)
    run([MTKFLASH, "-q", "--port", port(chip, ref), "flash", scatter, "--yes"], env=env)
    return entries, old, snapshot(ref, entries)


def classify(state, entries, old, new):
    """partition -> "old", "new" or "NEITHER"."""
    now = snapshot(state, entries)
    return {k: "old" if v == old[k] else "new" if v == new[k] else "NEITHER" for k, v in now.items()}


def start_flash(env, chip, state, scatter, *args, faults=None, speed=None, opts=()):
    """`opts` go before the command (-vvv, --json)."""
    return subprocess.Popen([MTKFLASH] + list(opts) + ["--port", port(chip, state, faults, speed), "flash", scatter,
                            "--yes"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def wait_for(proc, text, timeout=240.0):
    """stderr until `text` shows (bytes); what was read."""
    fd = proc.stderr.fileno()
    seen = b""
    end = time.monotonic() + timeout
    while text not in seen:
        r, _, _ = select.select([fd], [], [], max(end - time.monotonic(), 0))
        if not r:
            raise AssertionError("no %r within %.0f s (stderr %r)" % (text, timeout, seen[-600:]))
        chunk = os.read(fd, 65536)
        if not chunk:
            raise AssertionError("mtkflash ended before %r (stderr %r)" % (text, seen[-600:]))
        seen += chunk
    return seen


def signal_at_line(env, chip, state, scatter, text, sig=signal.SIGKILL, *args, speed="usb2-fs", opts=()):
    """Starts a flash (`args`, `speed` and `opts` as for start_flash) and
    signals it once `text` shows on its stderr (where exactly depends on
    timing: the randomized fault run wants that); exit status, stdout,
    stderr and the journal folder it named."""
    proc = start_flash(env, chip, state, scatter, *args, speed=speed, opts=opts)
    seen = wait_for(proc, text.encode())
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=300)
    err = (seen + err).decode()
    jdir = [line.split(" ", 1)[1] for line in err.splitlines() if line.startswith("[journal] /")]
    return proc.returncode, out.decode(), err, jdir[0] if jdir else None


def pause_fault(entry, skip=0):
    """The emulator stops its process (SIGSTOP) on the first write into
    `entry` past its first `skip` bytes (emulator.md, pause-at-write)."""
    return "pause-at-write=%s:%#x:%#x" % (entry["region"], entry["offset"] + skip, entry["size"] - skip)


def wait_paused(proc):
    """Blocks until `proc` has stopped itself; AssertionError when it ended instead."""
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    if not os.WIFSTOPPED(status):
        proc.returncode = os.waitstatus_to_exitcode(status)
        raise AssertionError("mtkflash ended (%d) before the write it should pause at (stderr %r)"
                             % (proc.returncode, proc.stderr.read()[-600:]))


def kill_at(env, chip, state, scatter, entry, skip=0, sig=signal.SIGKILL):
    """Starts a flash and signals it at its first write into `entry` past
    `skip` bytes, exactly there: the flash is held stopped until the signal is
    pending.  Exit status, stdout, stderr and the journal folder it named."""
    proc = start_flash(env, chip, state, scatter, faults=pause_fault(entry, skip))
    wait_paused(proc)
    proc.send_signal(sig)
    os.kill(proc.pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=300)
    err = err.decode()
    jdir = [line.split(" ", 1)[1] for line in err.splitlines() if line.startswith("[journal] /")]
    return proc.returncode, out.decode(), err, jdir[0] if jdir else None


def journals(env):
    root = os.path.join(env["XDG_STATE_HOME"], "mtkflash", "journal")
    out = []
    for dev in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        for fid in sorted(os.listdir(os.path.join(root, dev))):
            out.append(os.path.join(root, dev, fid))
    return out


def journal_records(path):
    with open(os.path.join(path, "journal.jsonl")) as f:
        return [json.loads(line) for line in f if line.endswith("\n")]


def log_events(env, path, tag):
    pub = os.path.join(env["XDG_DATA_HOME"], "mtkflash", "station.pub")
    p = run([MTKFLASH, "--json", "log", "verify", path, "--trust", pub], expect=None, env=env)
    check(p.returncode == 0, "%s: log verify passes (%s)" % (tag, p.stdout[-300:] + p.stderr[-300:]))
    return [json.loads(line) for line in open(path)]
