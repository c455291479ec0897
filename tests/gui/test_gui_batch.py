#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Batch view with four emulated phones: one tile per port, "Flash all"
flashes each phone as its own job, every tile ends "Verified" and every
phone holds the package."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dogtail import rawinput  # noqa: E402
from guiutil import (MTKFLASH_GTK, Window, check, holds_package, mkfirmware, partitions, provision,  # noqa: E402
                     run_test, wait_for)

PHONES = 4


class BatchWindow(Window):
    def __init__(self, env, ports, package):
        self.env = env
        args = [MTKFLASH_GTK, "--port", ports[0]]
        for p in ports:
            args += ["--batch-port", p]
        self.proc = subprocess.Popen(args + [package], env=env)
        self.app = wait_for(lambda: self._find_app(), "mtkflash-gtk on the accessibility bus")


def body(tmp, env):
    pkg = mkfirmware(tmp)
    states = [provision(tmp, tag=str(i)) for i in range(PHONES)]
    ports = ["emu:mt6737,state=" + s for s in states]
    parts = partitions(env, ports[0])
    with BatchWindow(env, ports, pkg) as w:
        w.wait_flash_sensitive(True)
        start = w.need("Flash all", "push button")
        w.tab_to(start)
        rawinput.pressKey("Return")
        results = []
        for port in ports:
            node = w.need("Result %s: " % port, "label", prefix=True)
            results.append(wait_for(lambda: (lambda t: t if "not started" not in t and "…" not in t else None)(
                node.name), "the tile of %s" % port))
        for port, res in zip(ports, results):
            check("✓ Verified" in res, "batch: %s verified: %r" % (port, res))
    for s in states:
        holds_package(s, parts, pkg)


if __name__ == "__main__":
    sys.exit(run_test("gui-batch-", body))
