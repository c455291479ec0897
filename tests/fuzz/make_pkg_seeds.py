#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora of the package-format fuzz targets (sha256sums,
minisig, sparse, preloader) from the synthetic builders the integration
tests use.  The minisig seeds need a built mtkflash to sign with:
    MTKFLASH=build/cli/mtkflash tests/fuzz/make_pkg_seeds.py"""
import hashlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import pkgimages  # noqa: E402


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def sums_seeds():
    h = [hashlib.sha256(bytes([i])).hexdigest() for i in range(4)]
    put("sha256sums", "plain", f"{h[0]}  boot.img\n{h[1]}  images/system.img\n".encode())
    put("sha256sums", "binary_crlf", f"{h[2].upper()} *preloader.bin\r\n\r\n{h[3]}  a..b\r\n".encode())
    put("sha256sums", "escaped", f"\\{h[0]}  new\\nline\\\\name\n".encode())
    put("sha256sums", "bad_dotdot", f"{h[1]}  ../up\n".encode())


def sparse_seeds():
    raw = bytes((i * 7) & 0xFF for i in range(1024))
    img, _ = pkgimages.sparse([("raw", raw), ("fill", 0xDEADBEEF, 3), ("hole", 5), ("crc",), ("raw", raw)], blk=512)
    put("sparse", "mixed", img)
    img, _ = pkgimages.sparse([("hole", 1 << 14), ("fill", 0, 1 << 10), ("crc",)], blk=4096, keep_expanded=False)
    put("sparse", "huge_holes", img)
    img, _ = pkgimages.sparse([("raw", raw[:512])], blk=512, checksum=False)
    put("sparse", "one_raw", img)


def preloader_seeds():
    pl = pkgimages.preloader("preloader_k6893v1_64.bin", count=2)
    put("preloader", "raw", pl)
    put("preloader", "emmc_boot", pkgimages.boot_area(pkgimages.preloader("preloader_a.bin", count=1)))
    put("preloader", "ufs_boot", pkgimages.boot_area(pkgimages.preloader("preloader_u.bin", count=1), "UFS_BOOT",
                                                     0x1000, 0x1000, 0x1000C))
    put("preloader", "no_bloader", pkgimages.preloader(None, count=0))
    put("preloader", "boot_v2", pkgimages.bootimg(2, kernel=100, ramdisk=100))
    put("preloader", "boot_v4", pkgimages.bootimg(4, kernel=100, ramdisk=100))


def minisig_seeds(mtkflash):
    with tempfile.TemporaryDirectory() as tmp:
        pkg = os.path.join(tmp, "pkg")
        os.makedirs(pkg)
        with open(os.path.join(pkg, "f"), "w") as f:
            f.write("x\n")
        subprocess.run([mtkflash, "-q", "keygen", "--out", os.path.join(tmp, "k")], check=True)
        subprocess.run([mtkflash, "-q", "manifest", "create", pkg, "--key", os.path.join(tmp, "k.key")], check=True)
        for src, name in (("pkg/SHA256SUMS.minisig", "sig"), ("k.pub", "pub")):
            with open(os.path.join(tmp, src), "rb") as f:
                put("minisig", name, f.read())


def main():
    sums_seeds()
    sparse_seeds()
    preloader_seeds()
    if os.environ.get("MTKFLASH"):
        minisig_seeds(os.environ["MTKFLASH"])
    else:
        print("MTKFLASH not set: minisig seeds left as they are", file=sys.stderr)


if __name__ == "__main__":
    main()
