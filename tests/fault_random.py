#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The randomized fault run (issue 10, Tests), by hand:

    tests/fault_random.py [--seeds N] [--start S] [--jobs J] [--build DIR] [--keep]

Each seed draws a chip (MT6737, MT6572), a package variant (download: system,
cache, lk, boot, recovery and the preloader; upgrade: the whole package with
its protected-partition backup and restore; reflash-changed: the phone holds
the package but for a few blocks of system, boot and the preloader;
quick-unsigned: `mkfirmware --variant unsigned` in quick mode, whose recover
finishes instead of rolling back), a fault kind, and a point (a link byte
anywhere in the flash, a 16-byte range of any written partition, or any
progress or step line for a signal), and checks the invariant of the CI
matrix (tests/integration/faultlib.py, the same code).  It prints how many
scenarios ran and, for each that broke the invariant, the seed, what broke
and the command that runs that seed alone.  Exit status 1 if any broke."""
import argparse
import concurrent.futures
import os
import random
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def arguments():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=1000, help="how many seeds (default 1000)")
    ap.add_argument("--start", type=int, default=0, help="the first seed (default 0)")
    ap.add_argument("--jobs", type=int, default=2, help="scenarios at once (default 2; a DA hang mostly waits)")
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build", "dev"), help="the meson build folder")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (it is printed)")
    return ap.parse_args()


def draw(seed, F):
    """chip, variant, kind and the random.Random the point is drawn with."""
    rnd = random.Random(seed)
    return rnd.choice(F.CHIPS), rnd.choice(F.VARIANTS), rnd.choice(F.KINDS), rnd


class Rigs:
    """One Rig per chip and variant, made when a seed first needs it."""

    def __init__(self, tmp, F):
        self.tmp, self.F, self.rigs, self.lock = tmp, F, {}, threading.Lock()
        self.locks = {}

    def get(self, chip, variant):
        with self.lock:
            lk = self.locks.setdefault((chip, variant), threading.Lock())
        with lk:
            if (chip, variant) not in self.rigs:
                try:
                    self.rigs[(chip, variant)] = self.F.Rig(self.tmp, chip, variant)
                except Exception as e:  # every seed of this rig reports it
                    self.rigs[(chip, variant)] = e
            rig = self.rigs[(chip, variant)]
        if isinstance(rig, Exception):
            raise rig
        return rig


def one(seed, rigs, F):
    chip, variant, kind, rnd = draw(seed, F)
    rig = rigs.get(chip, variant)
    sc = F.random_scenario(rig, kind, rnd)
    sc.tag = "seed %d %s" % (seed, sc.tag)
    res = F.run_scenario(rig, sc)
    return seed, "%s %s %s %s" % (chip, variant, kind, sc.fault or sc.point), res


def main():
    a = arguments()
    build = os.path.abspath(a.build)
    os.environ.setdefault("MTKFLASH", os.path.join(build, "cli", "mtkflash"))
    os.environ.setdefault("MTKEMU", os.path.join(build, "emu", "mtkemu"))
    sys.path.insert(0, os.path.join(HERE, "integration"))
    import faultlib as F
    tmp = tempfile.mkdtemp(prefix="mtk-faultrnd-")
    rigs, broken, errors, t0 = Rigs(tmp, F), [], [], time.monotonic()
    seeds = range(a.start, a.start + a.seeds)
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futs = {pool.submit(one, s, rigs, F): s for s in seeds}
        for n, fut in enumerate(concurrent.futures.as_completed(futs), 1):
            seed = futs[fut]
            try:
                seed, what, res = fut.result()
            except Exception as e:  # a harness failure is reported, not counted as the tool's
                errors.append((seed, repr(e)))
                continue
            if res.problems:
                broken.append((seed, what, res.problems))
                print("BROKEN seed %d: %s\n  %s" % (seed, what, "\n  ".join(res.problems)), flush=True)
            if n % 50 == 0:
                print("%d/%d scenarios, %d broken, %.0f s" % (n, len(seeds), len(broken), time.monotonic() - t0),
                      flush=True)
    me = os.path.relpath(os.path.abspath(__file__))
    for seed, err in errors:
        print("NOT RUN seed %d: %s\n  again: %s --seeds 1 --start %d" % (seed, err, me, seed))
    for seed, what, _ in sorted(broken):
        print("broken: seed %d (%s)\n  again: %s --seeds 1 --start %d" % (seed, what, me, seed))
    ran = len(seeds) - len(errors)
    print("%d scenarios ran (seeds %d..%d), %d broke the invariant, %d not run, %.0f s"
          % (ran, a.start, a.start + a.seeds - 1, len(broken), len(errors), time.monotonic() - t0))
    if a.keep:
        print("work folder: %s" % tmp)
    else:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if broken or errors else 0


if __name__ == "__main__":
    sys.exit(main())
