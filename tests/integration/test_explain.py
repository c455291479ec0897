# SPDX-License-Identifier: MIT
"""`mtkflash explain` through the real CLI: the forms of the issue's examples, --json,
several generations for one number, pasted log lines (tests/fixtures/status/), unknown
codes (exit 9), usage; and the hint every mtkflash error now ends with."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtkutil  # noqa: E402
from mtkutil import MTKFLASH, check, run  # noqa: E402

FIXTURE = os.path.join(os.environ.get("MTK_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures")),
                       "status", "spft_log_lines.txt")


def explain(*args, expect=0):
    return run([MTKFLASH, "explain"] + list(args), expect=expect)


def explain_json(*args, expect=0):
    p = run([MTKFLASH, "--json", "explain"] + list(args), expect=expect)
    return json.loads(p.stdout)


def test_issue_examples():
    """The three the issue names, and each prints meaning, causes and fix."""
    for q, name in [("4001", "S_FT_DA_NO_RESPONSE"), ("0xC0060003", "STATUS_BROM_CMD_SEND_DA_FAIL"),
                    ("STATUS_BROM_CMD_SEND_DA_FAIL (-1073348605)", "STATUS_BROM_CMD_SEND_DA_FAIL"),
                    ("-1073348605", "STATUS_BROM_CMD_SEND_DA_FAIL"), ("S_FT_DA_NO_RESPONSE", "S_FT_DA_NO_RESPONSE"),
                    ("BROM ERROR : S_FT_DA_NO_RESPONSE (4001)", "S_FT_DA_NO_RESPONSE")]:
        out = explain(q).stdout
        check(out.startswith(name + " = "), f"explain {q!r}: starts with {name}:\n{out}")
        for label in ("table:", "meaning:", "causes:", "fix:"):
            check(label in out, f"explain {q!r}: has {label}")
    out = explain("0xC0060003").stdout
    check("0xC0060003 = -1073348605" in out, "a 32-bit status shows its hex and signed forms")
    check("v5.1952" in out, "the table version is named")
    # Unquoted, the words of a log line arrive as several arguments.
    out = explain("BROM", "ERROR", ":", "S_FT_DA_NO_RESPONSE", "(4001)").stdout
    check(out.startswith("S_FT_DA_NO_RESPONSE = 4001"), "an unquoted log line")
    out = explain("--", "-1073348605").stdout
    check(out.startswith("STATUS_BROM_CMD_SEND_DA_FAIL"), "'--' before a negative number")


def test_json():
    doc = explain_json("0xC0060003")
    check(doc["ok"] is True and doc["exit_status"] == 0, "json: ok")
    m = doc["matches"]
    check(len(m) == 1, f"json: one match, got {len(m)}")
    e = m[0]
    check(e["name"] == "STATUS_BROM_CMD_SEND_DA_FAIL" and e["value"] == 0xC0060003, f"json: entry {e}")
    check(e["forms"] == ["0xC0060003", "-1073348605"], f"json: forms {e['forms']}")
    check(e["table"] == "spft5" and "v5.1952" in e["table_version"], "json: table")
    check(all(e[k] for k in ("meaning", "causes", "fix")) and e["own_text"] is True, "json: texts")
    check(doc["query"] == "0xC0060003", "json: query echoed")


def test_generations():
    """Same number, different meanings: each is listed with its table."""
    doc = explain_json("1000")
    names = {(e["name"], e["table"]) for e in doc["matches"]}
    check(names == {("S_STOP", "spft5"), ("CFT_SUCCESS", "spft6-tool")}, f"1000: {names}")
    out = explain("1000").stdout
    check(out.startswith("2 codes match"), "1000: says there are two")
    doc = explain_json("S_FT_ENABLE_DRAM_FAIL")
    vals = sorted((e["value"], e["table"]) for e in doc["matches"])
    check(vals == [(4032, "spft5"), (4034, "maui")], f"S_FT_ENABLE_DRAM_FAIL: {vals}")
    doc = explain_json("BROM ERROR : S_FT_ENABLE_DRAM_FAIL (4034)")
    check([e["table"] for e in doc["matches"]] == ["maui"], "the number in the line picks the generation")


def test_log_lines():
    """Every line of the fixture finds what it says (or nothing, for '-')."""
    n = 0
    with open(FIXTURE) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            expected, text = line.split("\t", 1)
            n += 1
            if expected == "-":
                p = explain(text, expect=9)
                check("no known status code" in p.stderr, f"fixture {text!r}: unknown")
                continue
            doc = explain_json(text)
            got = {e["name"] for e in doc["matches"]}
            want = {w.split("@")[0] for w in expected.split(",")}
            check(got == want, f"fixture {text!r}: {got} != {want}")
    check(n >= 20, f"fixture: {n} lines")


def test_unknown_and_usage():
    p = explain("12345678", expect=9)
    check("no known status code in '12345678'" in p.stderr, f"unknown: {p.stderr}")
    check("explain E_" not in p.stderr, "unknown: no hint to explain explain's own error")
    doc = explain_json("S_NOT_A_CODE", expect=9)
    check(doc["ok"] is False and doc["matches"] == [] and doc["error"]["name"] == "MTK_E_NOTFOUND",
          f"unknown json: {doc}")
    p = explain(expect=2)
    check("needs a code" in p.stderr, f"usage: {p.stderr}")
    p = explain("--help")
    check(p.stdout.startswith("Usage: mtkflash explain"), "help")


def test_error_hint():
    """Every error ends with the explain hint of its code, and the hint explains."""
    p = run([MTKFLASH, "da-info", "/nonexistent/da.bin"], expect=8)
    line = p.stderr.strip().splitlines()[-1]
    check(line.endswith("(mtkflash explain E_IO)"), f"da-info hint: {line}")
    p = run([MTKFLASH, "--json", "da-info", "/nonexistent/da.bin"], expect=8)
    doc = json.loads(p.stdout)
    check(doc["error"]["explain"] == "E_IO", f"json error.explain: {doc['error']}")
    check("explain" not in doc["error"]["message"], "the JSON message itself is unchanged")
    out = explain("E_IO").stdout
    check(out.startswith("MTK_E_IO = -3"), f"explain E_IO: {out}")
    # A failure on a device that gave no error status: the hint is our own code.
    p = run([MTKFLASH, "--port", "emu:mt6765,mode=preloader", "printgpt"], expect=9)
    line = p.stderr.strip().splitlines()[-1]
    check(line.endswith("(mtkflash explain E_NOTFOUND)"), f"printgpt hint: {line}")


def main():
    test_issue_examples()
    test_json()
    test_generations()
    test_log_lines()
    test_unknown_and_usage()
    test_error_hint()
    return mtkutil.finish()


if __name__ == "__main__":
    sys.exit(main())
