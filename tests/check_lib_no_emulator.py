#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""libmtkflash stands alone: its shared object defines and needs no emulator
symbol (mtkemu_*, the emu: transport) and names no emulator library.
Usage: check_lib_no_emulator.py PATH/libmtkflash.so"""
import re
import shutil
import subprocess
import sys

EMU = re.compile(r"mtkemu|emu_", re.IGNORECASE)


def tool_output(args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def main():
    lib = sys.argv[1]
    if not shutil.which("nm") or not shutil.which("readelf"):
        print("nm/readelf not installed")
        return 77
    symbols = [line.split()[-1] for line in tool_output(["nm", "-D", lib]).splitlines() if line.strip()]
    if not any(s.startswith("mtk_transport_open") for s in symbols):
        print(f"{lib}: no mtk_transport_open among its {len(symbols)} dynamic symbols: not the library?")
        return 1
    bad = [s for s in symbols if EMU.search(s)]
    needed = [line for line in tool_output(["readelf", "-d", lib]).splitlines() if "(NEEDED)" in line]
    bad += [line.strip() for line in needed if "emu" in line.lower()]
    if bad:
        print(f"{lib} carries the emulator:\n  " + "\n  ".join(bad))
        return 1
    print(f"{lib}: {len(symbols)} dynamic symbols, {len(needed)} needed libraries, no emulator")
    return 0


if __name__ == "__main__":
    sys.exit(main())
