#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The CLI is a program built on libmtkflash like any other: it includes the
public headers (mtkflash/*.h), its own headers, and the in-process emulator
port's mtkemu_port.h (emuport/: never the emulator's own mtkemu.h).  A lib-internal header (core/ctx.h, da/da_priv.h, …)
in cli/ fails this check, naming file and line.
Usage: check_cli_includes.py SOURCE_ROOT"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
EMULATOR_PORT_HEADER = "mtkemu_port.h"


def problem(src, delim, header, lib_dirs, cli_headers):
    """Why `header` may not be included by `src`, or None."""
    first = header.split("/", 1)[0]
    if delim == "<":
        return f"<{header}> is lib-internal" if first in lib_dirs else None
    if header.startswith("mtkflash/"):
        return None
    if header == EMULATOR_PORT_HEADER:
        return None
    if "/" not in header and header in cli_headers:
        return None
    if first in lib_dirs:
        return f'"{header}" is lib-internal: use a public mtkflash/*.h header'
    return f'"{header}" is neither public, the CLI\'s own, nor the emulator port\'s'


def main():
    root = pathlib.Path(sys.argv[1])
    cli = root / "cli"
    lib_dirs = {p.name for p in (root / "lib").iterdir() if p.is_dir()}
    cli_headers = {p.name for p in cli.glob("*.h")}
    sources = sorted(list(cli.glob("*.c")) + list(cli.glob("*.h")))
    if not sources or not lib_dirs:
        print(f"{root}: no cli/ sources or lib/ folders: not the source tree?")
        return 1
    bad = []
    for src in sources:
        for n, line in enumerate(src.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            why = m and problem(src, m.group(1), m.group(2), lib_dirs, cli_headers)
            if why:
                bad.append(f"{src.relative_to(root)}:{n}: {why}")
    if bad:
        print("the CLI includes headers that are not public:\n  " + "\n  ".join(bad))
        return 1
    print(f"{len(sources)} CLI files include only public, CLI and emulator-port headers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
