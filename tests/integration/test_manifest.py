# SPDX-License-Identifier: MIT
"""keygen -> manifest create -> manifest verify (trusted, unknown key, trust
folder, tampered file, edited SHA256SUMS, unsigned), and `inspect FILE --json`
on synthetic preloader, sparse, boot and unknown files."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
import pkgimages  # noqa: E402
from mtkutil import MTKFLASH, check, in_tmpdir, write_file  # noqa: E402

mtkutil.show_passes = True


def run(env, *args):
    p = mtkutil.run([MTKFLASH, *args], expect=None, timeout=120, env=env)
    doc = None
    if "--json" in args:
        try:
            doc = json.loads(p.stdout)
        except json.JSONDecodeError:
            print(p.stdout, p.stderr)
    return p.returncode, doc, p


def statuses(doc):
    return {f["name"]: f["status"] for f in doc["files"]}


def test_keygen(env, tmp):
    rc, doc, _ = run(env, "keygen", "--out", f"{tmp}/vendor", "--comment", "vendor key", "--json")
    check(rc == 0 and doc["ok"], "keygen succeeds")
    st = os.stat(f"{tmp}/vendor.key")
    check(stat.S_IMODE(st.st_mode) == 0o600, "secret key is mode 0600")
    pub = open(f"{tmp}/vendor.pub").read().splitlines()
    check(pub[0] == "untrusted comment: vendor key" and len(pub) == 2, "public key file has two lines")
    check(doc["key_id"] and len(doc["key_id"]) == 16, "keygen reports a 16-digit key id")
    before = open(f"{tmp}/vendor.key").read()
    rc, _, p = run(env, "keygen", "--out", f"{tmp}/vendor")
    check(rc == 8 and "already exists" in p.stderr, "keygen refuses to overwrite")
    check(open(f"{tmp}/vendor.key").read() == before, "existing secret key left alone")
    run(env, "keygen", "--out", f"{tmp}/other")
    return doc["key_id"]


def make_package(pkg):
    files = {
        "MT6765_Android_scatter.txt": b"- general: MTK_PLATFORM_CFG\n",
        "preloader_k6765v1_64.bin": pkgimages.preloader("preloader_k6765v1_64.bin"),
        "images/boot.img": pkgimages.bootimg(2),
        "images/super.img": pkgimages.sparse([("raw", bytes(range(256)) * 16), ("hole", 100)])[0],
    }
    for name, data in files.items():
        write_file(os.path.join(pkg, name), data)
    return files


def test_create(env, tmp, pkg, files):
    rc, doc, p = run(env, "manifest", "create", pkg, "--key", f"{tmp}/vendor.key", "--json")
    check(rc == 0 and doc["files"] == len(files), f"manifest create lists {len(files)} files ({p.stderr.strip()})")
    want = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files))
    check(open(f"{pkg}/SHA256SUMS").read() == want, "SHA256SUMS is what sha256sum would write, sorted")
    sig = open(f"{pkg}/SHA256SUMS.minisig").read().splitlines()
    check(len(sig) == 4 and sig[2].startswith("trusted comment: timestamp:"), "minisig has four lines")
    if shutil.which("sha256sum"):
        c = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=pkg, capture_output=True)
        check(c.returncode == 0, "sha256sum -c accepts our SHA256SUMS")
    if shutil.which("minisign"):
        c = subprocess.run(["minisign", "-Vm", f"{pkg}/SHA256SUMS", "-p", f"{tmp}/vendor.pub"], capture_output=True)
        check(c.returncode == 0, "minisign verifies our signature")


def test_verify(env, tmp, pkg, key_id):
    rc, doc, _ = run(env, "manifest", "verify", pkg, "--trust", f"{tmp}/vendor.pub", "--json")
    check(rc == 0 and doc["verified"] and doc["signature"]["state"] == "trusted", "verify with --trust: trusted")
    check(doc["signature"]["key_id"] == key_id, "verify names the signing key")
    check(set(statuses(doc).values()) == {"match"}, "every file matches")

    rc, doc, _ = run(env, "manifest", "verify", pkg, "--trust", f"{tmp}/other.pub", "--json")
    check(rc == 5 and doc["signature"]["state"] == "unknown-key", "another key only: unknown-key, exit 5")

    tdir = os.path.join(env["XDG_CONFIG_HOME"], "mtkflash", "trusted-keys")
    os.makedirs(tdir)
    shutil.copy(f"{tmp}/vendor.pub", tdir)
    rc, doc, _ = run(env, "manifest", "verify", pkg, "--json")
    check(rc == 0 and doc["signature"]["state"] == "trusted", "key in the trust folder: trusted")

    with open(f"{pkg}/images/boot.img", "r+b") as f:
        f.seek(5000)
        f.write(b"\x00tampered")
    write_file(f"{pkg}/notes/extra.txt", b"added later\n")
    rc, doc, p = run(env, "manifest", "verify", pkg, "--json")
    st = statuses(doc)
    check(rc == 5 and not doc["verified"], "tampered file: not verified, exit 5")
    check(st["images/boot.img"] == "mismatch", "the tampered file is named as mismatch")
    check(st["notes/extra.txt"] == "unlisted", "the added file is named as unlisted")
    check(doc["signature"]["state"] == "trusted", "the signature itself still verifies")
    rc, _, p = run(env, "manifest", "verify", pkg)
    check("mismatch  images/boot.img" in p.stdout, "human output names the mismatch")

    os.remove(f"{pkg}/images/super.img")
    rc, doc, _ = run(env, "manifest", "verify", pkg, "--json")
    check(statuses(doc)["images/super.img"] == "missing", "a removed file is named as missing")

    with open(f"{pkg}/SHA256SUMS", "a") as f:
        f.write(hashlib.sha256(b"added later\n").hexdigest() + "  notes/extra.txt\n")
    rc, doc, _ = run(env, "manifest", "verify", pkg, "--json")
    check(rc == 5 and doc["signature"]["state"] == "bad", "SHA256SUMS edited after signing: bad")

    os.remove(f"{pkg}/SHA256SUMS.minisig")
    rc, doc, _ = run(env, "manifest", "verify", pkg, "--json")
    check(rc == 5 and doc["signature"]["state"] == "unsigned", "no signature: unsigned")

    with open(f"{pkg}/SHA256SUMS", "a") as f:
        f.write("not a line\n")
    rc, doc, p = run(env, "manifest", "verify", pkg, "--json")
    check(rc == 9 and "SHA256SUMS line 6" in doc["error"]["message"], "a bad SHA256SUMS line is refused by number")


def inspect(env, path):
    rc, doc, p = run(env, "inspect", path, "--json")
    if doc is None:
        doc = {}
    return rc, doc, p


def test_inspect(env, tmp):
    pl = pkgimages.preloader("preloader_k6893v1_64.bin", count=3)
    write_file(f"{tmp}/in/preloader_k6893v1_64.bin", pl)
    rc, doc, _ = inspect(env, f"{tmp}/in/preloader_k6893v1_64.bin")
    check(rc == 0 and doc.get("kind") == "preloader", "inspect: raw preloader")
    check(doc.get("name") == "preloader_k6893v1_64.bin" and doc.get("board") == "k6893v1_64", "preloader name, board")
    check(doc.get("bloader_info_version") == 20, "bloader info version")
    check(doc.get("emi_length") == 3 * pkgimages.REC_SIZE and doc.get("emi_count") == 3, "EMI block length, count")
    check(doc.get("load_addr") == pkgimages.LOAD_ADDR and doc.get("file_len") == len(pl), "load address, file_len")
    check(doc.get("packaging") == "raw" and len(doc.get("gfh", [])) == 6, "packaging and GFH chain")

    write_file(f"{tmp}/in/preloader.img", pkgimages.boot_area(pl))
    rc, doc, _ = inspect(env, f"{tmp}/in/preloader.img")
    check(rc == 0 and doc.get("kind") == "preloader" and doc.get("packaging") == "boot-area", "inspect: EMMC_BOOT image")
    check(doc.get("device_header") == "EMMC_BOOT" and doc.get("gfh_offset") == 0x800, "boot-area GFH at 0x800")
    check(doc.get("name") == "preloader_k6893v1_64.bin", "boot-area preloader name")

    img, exp = pkgimages.sparse([("raw", bytes(8192)), ("fill", 0xDEADBEEF, 3), ("crc",), ("hole", 1000)])
    write_file(f"{tmp}/in/system.img", img)
    rc, doc, _ = inspect(env, f"{tmp}/in/system.img")
    check(rc == 0 and doc.get("kind") == "sparse", "inspect: sparse image")
    check(doc.get("block_size") == 4096 and doc.get("chunks") == 4, "sparse block size and chunks")
    check(doc.get("expanded_size") == len(exp) and doc.get("dont_care_bytes") == 1000 * 4096, "sparse sizes")
    write_file(f"{tmp}/in/cut.img", img[:40])
    rc, doc, p = inspect(env, f"{tmp}/in/cut.img")
    check(rc == 9 and "chunk 0" in p.stderr, "inspect: truncated sparse image names the chunk")

    for v in (0, 2, 4):
        write_file(f"{tmp}/in/boot{v}.img", pkgimages.bootimg(v))
        rc, doc, _ = inspect(env, f"{tmp}/in/boot{v}.img")
        check(rc == 0 and doc.get("kind") == "boot" and doc.get("header_version") == v, f"inspect: boot image v{v}")
    write_file(f"{tmp}/in/short.img", pkgimages.bootimg(2)[:4000])
    rc, doc, p = inspect(env, f"{tmp}/in/short.img")
    check(rc == 9 and "truncated" in p.stderr, "inspect: truncated boot image refused")

    da = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(MTKFLASH))), "data",
                      "MTK_AllInOne_DA_synthetic.bin")
    if os.path.exists(da):
        rc, doc, _ = inspect(env, da)
        check(rc == 0 and doc.get("kind") == "da" and doc.get("entry_count", 0) > 0 and
              len(doc.get("entries", [])) == doc.get("entry_count"), "inspect: DA file lists its entries")

    write_file(f"{tmp}/in/random.bin", bytes((i * 37 + 11) & 0xFF for i in range(5000)))
    rc, doc, _ = inspect(env, f"{tmp}/in/random.bin")
    check(rc == 0 and doc.get("kind") == "unknown", "inspect: unknown file")


def main(tmp):
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "xdg"), HOME=tmp)
    key_id = test_keygen(env, tmp)
    pkg = os.path.join(tmp, "pkg")
    files = make_package(pkg)
    test_create(env, tmp, pkg, files)
    test_verify(env, tmp, pkg, key_id)
    test_inspect(env, tmp)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtk_manifest_", main))
