#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The signed PDF report (issue 14 item 2), on emulated MT6737 phones:

- `flash --report` after a verified flash, a failed flash rolled back (a
  persistent corrupt-write fault in boot) and a refused one (an unsigned
  package in safe mode): each writes a PDF and its .minisig, and `report
  verify` accepts each (seal, .minisig, the log found by the path the report
  records, its chain head);
- the PDF's text (pdftotext) names the device id, every partition in the
  log and the result in words;
- one byte changed in the PDF, in its seal, or in the audit log: `report
  verify` says which and exits 5;
- `report` refuses a log that does not verify, naming the line, and an
  existing output without --force."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKEMU, MTKFLASH, check, environment, in_tmpdir, run  # noqa: E402
import txnutil as T  # noqa: E402

CHIP = "mt6737"
HAVE_PDFTOTEXT = shutil.which("pdftotext") is not None


def mtk(env, *args, expect=None):
    return run([MTKFLASH, *args], expect=expect, env=env)


def verify(env, pdf, *extra):
    p = mtk(env, "--json", "report", "verify", pdf, *extra)
    return p.returncode, json.loads(p.stdout)


def pdf_text(pdf):
    return subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout


def flash_with_report(tmp, env, tag, scatter, faults=None, expect=0):
    state = T.provision(tmp, CHIP, tag)
    log, pdf = os.path.join(tmp, tag + ".jsonl"), os.path.join(tmp, tag + ".pdf")
    p = run([MTKFLASH, "-q", "--json", "--port", T.port(CHIP, state, faults), "flash", scatter, "--yes",
             "--audit", log, "--report", pdf], expect=expect, env=env)
    check(os.path.isfile(pdf) and os.path.isfile(pdf + ".minisig"), "%s: the PDF and its .minisig written" % tag)
    return json.loads(p.stdout), log, pdf


def partitions_in(log):
    with open(log) as f:
        events = [json.loads(line) for line in f]
    parts = {e["partition"] for e in events if "partition" in e}
    for e in events:
        if e["event"] == "plan":
            parts |= {x["partition"] for x in e["entries"] if x["action"] == "write"}
    return parts, events


def check_readable(tag, pdf, log, words):
    if not HAVE_PDFTOTEXT:
        return
    text = pdf_text(pdf)
    parts, events = partitions_in(log)
    device = events[0]["device_id"]
    check(device in text, "%s: the PDF names the device %s" % (tag, device))
    missing = [p for p in parts if p not in text]
    check(parts and not missing, "%s: the PDF names every partition in the log (missing %s)" % (tag, missing))
    check(words in text, "%s: the result in words: %r" % (tag, words))
    head = events[-1].get("head")
    check(head and head in text, "%s: the PDF states the log's chain head" % tag)


def check_verifies(env, tag, pdf, log):
    rc, doc = verify(env, pdf)
    check(rc == 0 and doc["verified"] and doc["seal"] == "ok" and doc["minisig"] == "ok" and doc["head_matches"],
          "%s: report verify passes, finding the log by its recorded path (%d %s)" % (tag, rc, doc))
    check(os.path.realpath(doc["audit_log"]) == os.path.realpath(log), "%s: the recorded log is %s" % (tag, log))


def verified(tmp, env, scatter):
    doc, log, pdf = flash_with_report(tmp, env, "verified", scatter)
    check(doc["result"] == "verified", "verified flash: result verified")
    check_readable("verified", pdf, log, "Success")
    check_verifies(env, "verified", pdf, log)
    return log, pdf


def rolled_back(tmp, env, scatter):
    boot = T.entry(T.written(env, CHIP, T.provision(tmp, CHIP, "layout"), scatter), "boot")
    fault = "corrupt-write=user:%#x:16" % (boot["offset"] + 0x3000)
    doc, log, pdf = flash_with_report(tmp, env, "rolledback", scatter, faults=fault, expect=5)
    check(doc["flash"]["rolled_back"] or doc["flash"].get("not_as_before"), "rolled-back flash: a rollback ran")
    check_readable("rolled-back", pdf, log, "Put back")
    check_verifies(env, "rolled-back", pdf, log)


def refused(tmp, env):
    pkg = os.path.join(tmp, "pkg-unsigned")
    run([MTKEMU, "mkfirmware", "--chip", CHIP, "--out", pkg, "--variant", "unsigned"])
    doc, log, pdf = flash_with_report(tmp, env, "refused", os.path.join(pkg, T.SCATTER[CHIP]), expect=6)
    check("flash" not in doc, "refused flash: nothing flashed")
    check_readable("refused", pdf, log, "Refused: nothing was written")
    if HAVE_PDFTOTEXT:
        check("package_unsigned" in pdf_text(pdf), "refused flash: the PDF says why (package_unsigned)")
    check_verifies(env, "refused", pdf, log)


def flipped_copy(src, dst, at):
    with open(src, "rb") as f:
        data = bytearray(f.read())
    data[at] ^= 0x01
    with open(dst, "wb") as f:
        f.write(data)
    return bytes(data)


def first_digit(data, at):
    """A hex digit that stays a digit with its low bit flipped."""
    while not b"0"[0] <= data[at] <= b"9"[0]:
        at += 1
    return at


def tampered_pdf(tmp, env, log, pdf):
    with open(pdf, "rb") as f:
        data = f.read()
    seal_at = data.rindex(b"%mtkflash-report-seal v1\n")
    cases = [("a byte of the PDF", len(data) // 3, "altered", "bad"),
             ("a digit of the seal's log head", first_digit(data, data.index(b"%log-head ", seal_at) + 10),
              "bad-signature", "bad")]
    for what, at, seal, minisig in cases:
        bad = os.path.join(tmp, "tampered.pdf")
        flipped_copy(pdf, bad, at)
        shutil.copy(pdf + ".minisig", bad + ".minisig")
        rc, doc = verify(env, bad, "--log", log)
        check(rc == 5 and not doc["verified"] and doc["seal"] == seal and doc["minisig"] == minisig,
              "%s changed: exit 5, seal %s, minisig %s (got %d %s)" % (what, seal, minisig, rc, doc))


def tampered_log(tmp, env, log, pdf):
    with open(log, "rb") as f:
        data = f.read()
    bad = os.path.join(tmp, "tampered.jsonl")
    flipped_copy(log, bad, data.index(b'"partition":"system"') + 14)
    rc, doc = verify(env, pdf, "--log", bad)
    check(rc == 5 and doc["seal"] == "ok" and doc["log_problem"] == "altered" and doc["log_line"],
          "a byte of the audit log changed: exit 5, the log altered at a named line (got %d %s)" % (rc, doc))
    p = mtk(env, "report", bad, "--out", os.path.join(tmp, "never.pdf"))
    check(p.returncode == 5 and "line" in p.stderr and not os.path.exists(os.path.join(tmp, "never.pdf")),
          "report refuses a log that does not verify, naming the line: %s" % p.stderr.strip())
    # the original log changed in place: found by its recorded path, it fails too
    shutil.copy(log, log + ".orig")
    flipped_copy(log + ".orig", log, data.index(b'"partition":"system"') + 14)
    rc, doc = verify(env, pdf)
    check(rc == 5 and doc["log_problem"] == "altered", "the recorded log changed: exit 5 (%d %s)" % (rc, doc))
    shutil.copy(log + ".orig", log)


def outputs(tmp, env, log):
    out = os.path.join(tmp, "again.pdf")
    mtk(env, "report", log, "--out", out, expect=0)
    p = mtk(env, "report", log, "--out", out)
    check(p.returncode == 8, "an existing report is not replaced without --force (exit %d)" % p.returncode)
    mtk(env, "report", log, "--out", out, "--force", expect=0)
    rc, doc = verify(env, out)
    check(rc == 0 and doc["verified"], "report AUDIT --out: the same checks pass")
    other = os.path.join(tmp, "other")
    mtk(env, "keygen", "--out", other, expect=0)
    rc, doc = verify(env, out, "--trust", other + ".pub")
    check(rc == 5 and doc["seal"] == "untrusted-key", "a key that did not sign it: untrusted-key (%s)" % doc)


def body(tmp):
    if not HAVE_PDFTOTEXT:
        print("SKIP (text checks only): pdftotext not found; install poppler-utils (scripts/setup) to read the PDFs")
    env = environment(tmp)
    scatter = T.package(tmp, env, CHIP)
    log, pdf = verified(tmp, env, scatter)
    rolled_back(tmp, env, scatter)
    refused(tmp, env)
    tampered_pdf(tmp, env, log, pdf)
    tampered_log(tmp, env, log, pdf)
    outputs(tmp, env, log)


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtk-report-", body))
