#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Where the bundled synthetic DA is found.  The mtkflash in the build tree
(uninstalled) uses the copy the build made; the same binary outside the build
tree, as `meson install` places it, looks only in the installed data folder
and never reaches back into the build tree it came from."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKFLASH, check, in_tmpdir, provision_fixture, run  # noqa: E402

FIXTURE = "MT6737M__Dewil-King_Sectter-File__MT6737M_Android_scatter.txt"


def body(tmp):
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=os.path.join(tmp, "no-das"))
    # the copy still needs the build's libmtkflash.so, not its data folder
    libdir = os.path.dirname(os.path.dirname(os.path.abspath(MTKFLASH)))
    env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [libdir, env.get("LD_LIBRARY_PATH")]))

    def args(phone):
        # a phone of its own per run: a DA left running by one would answer the next without any file
        state = provision_fixture(os.path.join(tmp, phone), "MT6737", FIXTURE, ["--user-size", "16G"])
        return ["--json", "--port", "emu:mt6737,state=" + state, "printgpt"]

    os.makedirs(os.path.join(tmp, "a"))
    os.makedirs(os.path.join(tmp, "b"))
    p = run([MTKFLASH] + args("a"), expect=0, env=env)
    check(json.loads(p.stdout).get("ok") is True, "uninstalled: the build's synthetic DA is used")

    installed = os.path.join(tmp, "prefix", "bin", "mtkflash")
    os.makedirs(os.path.dirname(installed))
    shutil.copy2(MTKFLASH, installed)
    p = run([installed, "-v"] + args("b"), expect=None, env=env)
    build_root = os.path.dirname(libdir)
    used = [line for line in p.stderr.splitlines() if "using DA file" in line]
    check(not any(build_root in line for line in used), "installed copy used the build tree's DA: %s" % used)
    if p.returncode == 0:
        # a system-wide install provides a DA: only the check above applies
        print("note: a synthetic DA is installed on this machine: %s" % used)
        return
    doc = json.loads(p.stdout)
    check(doc.get("ok") is False and "--da FILE" in doc.get("error", {}).get("message", ""),
          "installed copy: no DA from the build tree (exit %d): %s" % (p.returncode, p.stderr))

if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-da-search-", body))
