# SPDX-License-Identifier: MIT
"""`meson install --destdir D` puts everything a user needs in place: the
binaries, the library with its headers and pkg-config file, the udev rule,
man pages that `man -l` renders without a groff warning, and bash and zsh
completion.  The bash completion is sourced and called as bash calls it
(COMP_WORDS, COMP_CWORD); partition names come from printgpt's cache, and a
real printgpt against the emulator fills that cache.

Usage: check_install.py BUILD_DIR   ($MESON: the meson to run)"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "integration"))
import mtkutil  # noqa: E402
from mtkutil import check  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else "."
WANT = {
    "mtkflash": "bin/mtkflash",
    "library": "libmtkflash.so",
    "header": "include/mtkflash/doctor.h",
    "pkg-config": "pkgconfig/mtkflash.pc",
    "udev rule": "udev/rules.d/60-mtkflash.rules",
    "mtkflash.1": "man/man1/mtkflash.1",
    "bash completion": "bash-completion/completions/mtkflash",
    "zsh completion": "zsh/site-functions/_mtkflash",
}
if os.environ.get("MTKFLASH_GTK"):  # built with GTK 4
    WANT.update({"mtkflash-gtk": "bin/mtkflash-gtk", "desktop file": "applications/mtkflash-gtk.desktop",
                 "icon": "icons/hicolor/scalable/apps/mtkflash-gtk.svg"})
if os.environ.get("MTK_SHARED_LIB") == "0":  # a fuzz build: static, not installed
    del WANT["library"]
if os.environ.get("MTKEMU"):  # built with the emulator
    WANT.update({"mtkemu": "bin/mtkemu", "mtkemu.1": "man/man1/mtkemu.1",
                 "bash completion (mtkemu)": "bash-completion/completions/mtkemu"})


def install(dest):
    meson = os.environ.get("MESON", "meson")
    p = subprocess.run([meson, "install", "-C", BUILD, "--destdir", dest, "--no-rebuild", "--quiet"],
                       capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, "meson install: %s %s" % (p.stdout, p.stderr))
    found = {}
    for top, _dirs, files in os.walk(dest):
        for name in files:
            path = os.path.join(top, name)
            for what, tail in WANT.items():
                if path.endswith(tail) or (what == "library" and name.startswith(tail)):
                    found.setdefault(what, path)
    for what in WANT:
        check(what in found, "installed: %s (%s)" % (what, WANT[what]))
    return found


def man_renders(page, words):
    if not page:
        return
    env = dict(os.environ, MANWIDTH="80")
    env.pop("MAN_KEEP_FORMATTING", None)
    p = subprocess.run(["man", "-l", page], capture_output=True, text=True, env=env, timeout=60)
    check(p.returncode == 0 and p.stderr == "", "man -l %s: %d %s" % (page, p.returncode, p.stderr))
    for w in words:
        check(w in p.stdout, "man -l %s shows %r" % (os.path.basename(page), w))
    g = subprocess.run(["groff", "-man", "-ww", "-z", page], capture_output=True, text=True, timeout=60)
    check(g.returncode == 0 and g.stderr == "", "groff warnings in %s: %s" % (page, g.stderr))


def complete(script, words, cache):
    """What _mtkflash offers for the last of `words` (bash's own calling convention)."""
    prog = "source \"$1\"; shift; COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); " \
           "_${COMP_WORDS[0]}; printf '%s\\n' \"${COMPREPLY[@]}\""
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    p = subprocess.run(["bash", "-c", prog, "bash", script] + words, capture_output=True, text=True,
                       env=env, timeout=60)
    check(p.returncode == 0 and p.stderr == "", "completion %s: %s" % (words, p.stderr))
    return [w for w in p.stdout.split("\n") if w]


def bash_completion(script, tmp):
    cache = os.path.join(tmp, "cache")
    os.makedirs(os.path.join(cache, "mtkflash"))
    with open(os.path.join(cache, "mtkflash", "partitions"), "w") as f:
        f.write("boot\nboot_para\nrecovery\nsystem\n$(touch pwned)\n")
    cases = [
        (["mtkflash", "do"], ["doctor"]),
        (["mtkflash", "--json", "pr"], ["printgpt"]),
        (["mtkflash", "--port", "auto", "read", "bo"], ["boot", "boot_para"]),
        (["mtkflash", "erase", ""], ["boot", "boot_para", "recovery", "system"]),
        (["mtkflash", "read", "--reg"], ["--region"]),
        (["mtkflash", "read", "--region", ""], ["boot1", "boot2", "rpmb", "user"]),
        (["mtkflash", "--after", ""], ["stay", "reboot", "poweroff"]),
        (["mtkflash", "log", ""], ["verify", "show"]),
        (["mtkflash", "doctor", ""], []),
        (["mtkflash", "exp"], ["explain"]),
        (["mtkflash", "explain", ""], []),
        (["mtkflash", "flash", "--exp"], ["--expendable"]),
        (["mtkflash", "recover", "--f"], ["--finish"]),
        (["mtkflash", "policy", ""], ["init", "sign", "check"]),
        (["mtkflash", "flash", "--pol"], ["--policy"]),
    ]
    for words, want in cases:
        got = complete(script, words, cache)
        check(sorted(got) == sorted(want), "completion of %s: %s, not %s" % (words, got, want))
    check(not os.path.exists("pwned"), "a cached name was run as a command")
    return cache


def printgpt_fills_cache(script, tmp):
    """A printgpt against the emulator leaves the device's names for completion."""
    if not os.environ.get("MTKEMU"):
        return
    state, cache = os.path.join(tmp, "phone"), os.path.join(tmp, "cache2")
    scatter = os.path.join(os.environ["MTK_TESTDATA"], "MT6737M_Android_scatter.txt")
    mtkutil.provision(state, "mt6737", scatter)
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    mtkutil.run([mtkutil.MTKFLASH, "--port", "emu:mt6737,state=%s,mode=preloader" % state, "printgpt"], env=env)
    got = complete(script, ["mtkflash", "read", "nv"], cache)
    check(sorted(got) == ["nvdata", "nvram"], "completion after printgpt: %s" % got)


def every_command_completes(found, script, tmp):
    """Each command `mtkflash --help` lists is offered by the completion."""
    lib, exe = found.get("library"), found.get("mtkflash")
    if not (lib and exe):
        return
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(lib))
    p = subprocess.run([exe, "--help"], capture_output=True, text=True, env=env, timeout=60)
    listed = [line.split()[0] for line in (p.stdout + p.stderr).splitlines()
              if line.startswith("  ") and line[2:3].isalpha() and not line.startswith("   ")]
    check(len(listed) > 10, "mtkflash --help lists its commands: %s" % listed)
    offered = complete(script, ["mtkflash", ""], os.path.join(tmp, "cache"))
    missing = [c for c in listed if c not in offered]
    check(not missing, "bash completion offers every command; missing %s" % missing)


def installed_binary_runs(found):
    lib = found.get("library")
    exe = found.get("mtkflash")
    if not (lib and exe):
        return
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(lib))
    p = subprocess.run([exe, "doctor", "--help"], capture_output=True, text=True, env=env, timeout=60)
    check(p.returncode == 0 and "Usage: mtkflash doctor" in p.stdout, "installed mtkflash: %s" % p.stderr)


def body(tmp):
    found = install(os.path.join(tmp, "dest"))
    man_renders(found.get("mtkflash.1"), ["mtkflash - verified flashing", "doctor", "explain", "EXIT STATUS"])
    man_renders(found.get("mtkemu.1"), ["mtkemu - a software MediaTek phone", "--faults"])
    rule = found.get("udev rule")
    if rule:
        with open(rule) as f:
            text = f.read()
        check('TAG+="uaccess"' in text and 'ENV{ID_MM_DEVICE_IGNORE}="1"' in text, "udev rule content")
    if found.get("bash completion"):
        os.chdir(tmp)
        bash_completion(found["bash completion"], tmp)
        printgpt_fills_cache(found["bash completion"], tmp)
        every_command_completes(found, found["bash completion"], tmp)
    installed_binary_runs(found)


if __name__ == "__main__":
    if not shutil.which("man") or not shutil.which("groff"):
        print("man or groff is missing: run scripts/setup (man-db, groff-base)")
        sys.exit(1)
    sys.exit(mtkutil.in_tmpdir("mtk-install-", body))
