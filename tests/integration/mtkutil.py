# SPDX-License-Identifier: MIT
"""What the integration tests share: where the binaries and fixtures are, a
failure list, running mtkflash and mtkemu, provisioning an emulated device,
mtkemu on a pty, and the emulator's storage files.

A test imports it from its own folder (the tests run with the build
directory as the working directory):

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import mtkutil  # noqa: E402
"""
import atexit
import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MTKFLASH = os.environ.get("MTKFLASH", "mtkflash")
MTKEMU = os.environ.get("MTKEMU", "mtkemu")
FIXTURES = os.environ.get("MTK_FIXTURES") or os.path.join(HERE, "..", "fixtures")
SCATTERS = os.path.join(FIXTURES, "scatter")
# The emulator's state files, by region name.
AREA_FILES = {"boot1": "boot1.bin", "boot2": "boot2.bin", "rpmb": "rpmb.bin", "user": "user.bin"}

failures = []
show_passes = False  # also print each check that holds


def _private_home():
    """Every mtkflash a test starts keeps its keys, audit logs, history and
    backups in a folder of this test process, never in the user's home: a
    test that makes its own environment() still overrides it."""
    home = tempfile.mkdtemp(prefix="mtktest-home-")
    atexit.register(shutil.rmtree, home, True)
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        os.environ[var] = os.path.join(home, var.lower())
        os.makedirs(os.environ[var], mode=0o700)
    os.environ["HOME"] = home


_private_home()


# ---------------------------------------------------------------- verdicts

def check(cond, what):
    """Record `what` as a failure unless `cond`; returns `cond`."""
    if not cond:
        failures.append(what)
        print("FAIL:", what)
    elif show_passes:
        print("ok:  ", what)
    return cond


def finish():
    """The exit status: 1 after any failure, else 0."""
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


def in_tmpdir(prefix, body):
    """body(tmp) in a temporary directory removed afterwards; an AssertionError
    counts as one failure.  Returns finish()."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        try:
            body(tmp)
        except AssertionError as e:
            check(False, str(e))
    return finish()


# ---------------------------------------------------------------- programs

# Whether mtkemu's own processes end with LeakSanitizer's scan (ASan build).
# The scan costs about 45 ms at every exit, and a test run starts some 550
# mtkemu processes (provision, mkfirmware, boot-check, the phones on ptys): a
# tenth of the sanitizer pass's CPU.  The emulator's device model still gets
# the scan inside every `mtkflash --port emu:` process, where it runs
# in-process; the tests of mtkemu's own commands set this to True.
EMU_LEAK_SCAN = False


def _emu_env(args, env):
    """`env` for running `args`: mtkemu without the exit scan unless EMU_LEAK_SCAN."""
    if EMU_LEAK_SCAN or not args or args[0] != MTKEMU:
        return env
    return checker_env(env)


def run(args, expect=0, timeout=300, env=None):
    """Runs a program; with `expect` not None, another exit status raises AssertionError."""
    args = list(args)
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=_emu_env(args, env))
    if expect is not None and p.returncode != expect:
        raise AssertionError("%s: exit %d (wanted %s)\nstdout: %s\nstderr: %s"
                             % (" ".join(args), p.returncode, expect, p.stdout[-2000:], p.stderr[-2000:]))
    return p


def flash(port, *args, expect=0, json_out=False, env=None):
    """mtkflash -q --port PORT ARGS; the parsed document with json_out."""
    cmd = [MTKFLASH, "-q", "--port", port] + (["--json"] if json_out else []) + list(args)
    p = run(cmd, expect=expect, env=env)
    return json.loads(p.stdout) if json_out else p


def run_fd(args, text, env=None, timeout=300):
    """mtkflash ARGS --passphrase-fd N with `text` on that descriptor (stdin
    not a terminal); the finished process."""
    r, w = os.pipe()
    os.write(w, text.encode())
    os.close(w)
    try:
        return subprocess.run([MTKFLASH] + list(args) + ["--passphrase-fd", str(r)], pass_fds=(r,), env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout)
    finally:
        os.close(r)


def provision(state, chip, scatter, extra=(), env=None):
    """mtkemu provision into `state`; returns `state`."""
    run([MTKEMU, "provision", "--chip", chip, "--state", state, "--scatter", scatter] + list(extra), env=env)
    return state


def provision_fixture(tmp, chip, fixture, extra=()):
    """A device laid out as the fixture scatter `fixture` says, in tmp/state-CHIP."""
    return provision(os.path.join(tmp, "state-" + chip), chip, os.path.join(SCATTERS, fixture), extra)


# ---------------------------------------------------------------- mtkemu on a pty

def start_emu(args, env=None):
    """The mtkemu program with `args`; its stdout and stderr are pipes (bytes)."""
    cmd = [MTKEMU] + list(args)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_emu_env(cmd, env))


def read_line(proc, timeout=10.0):
    """One stdout line of the emulator ("ready PATH"); AssertionError when none
    comes within `timeout` seconds or it exits first."""
    fd = proc.stdout.fileno()
    buf = b""
    end = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        r, _, _ = select.select([fd], [], [], max(end - time.monotonic(), 0))
        if not r:
            raise AssertionError("no line from mtkemu within %.0f s (got %r)" % (timeout, buf))
        c = os.read(fd, 1)
        if not c:
            raise AssertionError("mtkemu exited early (stderr: %r)" % proc.stderr.read())
        buf += c
    return buf.decode().rstrip("\n")


def stop_emu(proc, timeout=10.0):
    """SIGTERM, as a user ends it; the exit status, or None when it had to be killed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
    return proc.returncode


# ---------------------------------------------------------------- files

def write_file(path, data):
    """Creates `path` (and its folder) holding the bytes `data`; returns `path`."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def read_file(path, length=-1):
    with open(path, "rb") as f:
        return f.read(length)


def state_bytes(state, region, off, length):
    """`length` bytes at `off` of the emulator's storage area `region`."""
    with open(os.path.join(state, AREA_FILES[region]), "rb") as f:
        f.seek(off)
        return f.read(length)


def scatter_names(path):
    """The partition names of a scatter file, in file order; of a V2.x file
    (one `- storage_type:` block per storage) only its EMMC block's, which is
    what the emulator models."""
    names, storage = [], "EMMC"
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            key, _, val = line.strip().partition(":")
            if key == "- storage_type":
                storage = val.strip().upper()
            elif key == "partition_name" and storage == "EMMC":
                names.append(val.strip())
    return names


def shrunk_scatter(src, dst, cap=16 << 20):
    """A copy of the scatter `src` whose user-area partitions hold at most
    `cap` bytes each, packed in the same order (those placed from the end of
    the disk, 0xFFFFxxxx, stay as they are): every partition of a real layout
    without the GiBs of zeros that make a readback take half a minute."""
    lines = read_file(src).decode().split("\n")
    blocks = []
    for i, line in enumerate(lines):
        key, _, val = line.strip().partition(":")
        if key.lstrip("- ") == "partition_index":
            blocks.append({})
        elif blocks and key in ("linear_start_addr", "physical_start_addr", "partition_size", "region"):
            blocks[-1][key] = (i, val.strip())
    shift = 0
    for b in blocks:
        from_end = 0xFFFF0000 <= int(b["linear_start_addr"][1], 16) <= 0xFFFFFFFF
        if b.get("region", (0, ""))[1] != "EMMC_USER" or from_end:
            continue
        for key in ("linear_start_addr", "physical_start_addr"):
            i, v = b[key]
            lines[i] = lines[i].replace(v, "%#x" % (int(v, 16) - shift))
        i, v = b["partition_size"]
        if int(v, 16) > cap:
            lines[i] = lines[i].replace(v, "%#x" % cap)
            shift += int(v, 16) - cap
    return write_file(dst, "\n".join(lines).encode())


def pick(parts, *names):
    """The first of `names` (any case) among printgpt's partitions."""
    for want in names:
        for p in parts:
            if p["name"].lower() == want.lower():
                return p
    raise AssertionError("none of %s in %s" % (names, [p["name"] for p in parts]))


CONTENT_BLOCK = 1 << 16


def content(state, region, off, length):
    """What a range holds, independent of how the sparse file stores it:
    (offset, SHA-256) of every block that is not all zeros."""
    out = []
    path = os.path.join(state, AREA_FILES[region])
    fd = os.open(path, os.O_RDONLY)
    try:
        pos, end = off, off + length
        while pos < end:
            try:
                data = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                break  # nothing but holes to the end
            if data >= end:
                break
            hole = min(os.lseek(fd, data, os.SEEK_HOLE), end)
            pos = data - (data - off) % CONTENT_BLOCK
            while pos < hole:
                n = min(CONTENT_BLOCK, end - pos)
                buf = os.pread(fd, n, pos)
                if buf.strip(b"\0"):
                    out.append((pos - off, hashlib.sha256(buf).hexdigest()))
                pos += n
    finally:
        os.close(fd)
    return out


def checker_env(env=None):
    """`env` (default: ours) for a program run only to check a result, the
    same way again and again (`log verify` and `boot-check` after each of the
    fault matrix's 70 scenarios): no LeakSanitizer scan at its exit, which is
    about half of each such run's CPU time in the ASan build.  Those code
    paths keep the scan where they are what is tested (test_audit_log.py,
    test_faults.py, test_flash.py); a gcc build ignores the variable."""
    env = dict(os.environ if env is None else env)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return env


def environment(tmp):
    """XDG folders (and HOME) in tmp: what mtkflash keeps stays in the test."""
    env = dict(os.environ)
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR"):
        env[var] = os.path.join(tmp, var.lower())
        os.makedirs(env[var], mode=0o700, exist_ok=True)
    env["HOME"] = tmp
    return env
