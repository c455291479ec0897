#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Verification policies (docs/policy.md) with the real CLI and the emulator.

`policy init` writes a documented default that parses; a misspelt rule is an
error naming its JSON path.  Each rule refuses what it should, exit 6, naming
the rule on stderr and in the --json document, with nothing written; the
command-line options a signed policy forbids (--mode, --scene, --override,
--only, --after, --device-checks, --trust) are refused before the device is
touched; a station that requires signed policies refuses an unsigned, a
tampered and a foreign-signed one, and one that requires a policy refuses a
flash without; an allowed flash passes, and its audit log (which verifies)
records the role, the policy's SHA-256 and its signer's key id."""
import hashlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKEMU, MTKFLASH, check, content, environment, in_tmpdir, run  # noqa: E402

CHIP = "mt6737"


class Bench:
    """One package, one engineer key, XDG folders; a station file on demand."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.env = environment(tmp)
        self.pkg = os.path.join(tmp, "pkg")
        run([MTKEMU, "mkfirmware", "--chip", CHIP, "--out", self.pkg])
        self.scatter = os.path.join(self.pkg, "MT6737_Android_scatter.txt")
        self.key = os.path.join(tmp, "engineer")
        run([MTKFLASH, "keygen", "--out", self.key], env=self.env)
        self.other = os.path.join(tmp, "intruder")
        run([MTKFLASH, "keygen", "--out", self.other], env=self.env)
        with open(os.path.join(self.pkg, "SHA256SUMS"), "rb") as f:
            self.pkg_id = hashlib.sha256(f.read()).hexdigest()
        self.n = 0

    def state(self, tag):
        state = os.path.join(self.tmp, "state-" + tag)
        if not os.path.isdir(state):
            run([MTKEMU, "provision", "--chip", CHIP, "--state", state])
        return state

    def policy(self, sign=True, **rules):
        """The default policy with `rules` changed and this package approved, signed by the engineer."""
        self.n += 1
        path = os.path.join(self.tmp, "policy%d.json" % self.n)
        run([MTKFLASH, "policy", "init", "--out", path], env=self.env)
        with open(path) as f:
            doc = json.load(f)
        doc["packages"] = [self.pkg_id]
        doc.update(rules)
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
        if sign:
            run([MTKFLASH, "policy", "sign", path, "--key", self.key + ".key"], env=self.env)
        return path

    def station(self, **settings):
        with open(self.key + ".pub") as f:
            key = f.read().splitlines()[1]
        doc = {"station": 1, "require_signed_policy": True, "policy_keys": [key]}
        doc.update(settings)
        path = os.path.join(self.env["XDG_CONFIG_HOME"], "mtkflash", "station.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(doc, f)

    def no_station(self):
        path = os.path.join(self.env["XDG_CONFIG_HOME"], "mtkflash", "station.json")
        if os.path.exists(path):
            os.remove(path)

    def run(self, cmd, policy, *args, state=None, expect=None):
        port = "emu:%s,state=%s" % (CHIP, state or self.state("shared"))
        extra = ["--policy", policy] if policy else []
        p = run([MTKFLASH, "-q", "--json", "--port", port, cmd, self.scatter] + extra + list(args),
                expect=expect, env=self.env)
        return json.loads(p.stdout), p


def refused(b, rule, cmd, policy, *args, state=None):
    """Exit 6 naming `rule` in the document and on stdout (stderr: the first refusal)."""
    doc, p = b.run(cmd, policy, *args, state=state)
    rules = [r["rule"] for r in (doc.get("policy") or {}).get("refusals", [])]
    check(p.returncode == 6 and 'refused by policy rule "' in p.stderr and rule in rules,
          "%s %s: refused by rule %s (exit %d, rules %s, %s)" % (cmd, " ".join(args), rule, p.returncode, rules,
                                                                p.stderr.strip()[-300:]))
    return doc


# ------------------------------------------------------------------ the file

def file_format(b):
    path = os.path.join(b.tmp, "init.json")
    run([MTKFLASH, "policy", "init", "--out", path], env=b.env)
    with open(path) as f:
        doc = json.load(f)
    rules = [k for k in doc if not k.startswith("_") and k != "policy"]
    check(doc["policy"] == 1 and all("_" + k in doc for k in rules if k != "name"),
          "init: format 1, every rule explained beside it")
    p = run([MTKFLASH, "policy", "init", "--out", path], expect=8, env=b.env)
    check("exists" in p.stderr or "--force" in p.stderr, "init: an existing file is kept (%s)" % p.stderr.strip())
    p = run([MTKFLASH, "--json", "policy", "check", path], env=b.env)
    check(json.loads(p.stdout)["rules"]["modes"] == ["safe"], "check: prints the rules")
    doc["max_rsik"] = "high"
    with open(path, "w") as f:
        json.dump(doc, f)
    p = run([MTKFLASH, "policy", "check", path], expect=9, env=b.env)
    check("$.max_rsik: unknown key" in p.stderr, "a misspelt rule is an error naming it (%s)" % p.stderr.strip())
    p = run([MTKFLASH, "-q", "--port", "emu:%s,state=%s" % (CHIP, b.state("shared")), "plan", b.scatter,
             "--policy", path], expect=9, env=b.env)
    check("$.max_rsik" in p.stderr, "plan --policy: the same error")


# ------------------------------------------------------------------ rules on the plan

def plan_rules(b):
    refused(b, "packages", "plan", b.policy(packages=[]))
    refused(b, "packages", "plan", b.policy(packages=["00" * 32]))
    with open(os.path.join(b.pkg, "mtkemu-demo.pub")) as f:
        demo = f.read().splitlines()[1]
    with open(b.other + ".pub") as f:
        foreign = f.read().splitlines()[1]
    refused(b, "require_signature", "plan", b.policy(trusted_keys=[foreign]))
    doc, _ = b.run("plan", b.policy(trusted_keys=[demo]), expect=0)
    check(doc["policy"]["verdict"] == "allow", "require_signature: the policy's own key passes")
    refused(b, "never_write", "plan", b.policy(never_write=["system"]))
    refused(b, "may_write", "plan", b.policy(may_write=["boot"]))
    refused(b, "chips", "plan", b.policy(chips=["MT6765"]))
    doc, _ = b.run("plan", b.policy(chips=["MT6737"], boards=["mtkemu_mt6737"]), expect=0)
    check(doc["policy"]["refusals"] == [], "chips and boards: the phone's pass")
    refused(b, "boards", "plan", b.policy(boards=["k37mv1"]))
    refused(b, "require_nvram_backup", "plan", b.policy(require_nvram_backup=True))
    # an unsigned package in upgrade/quick is medium risk
    unsigned = os.path.join(b.tmp, "pkg-unsigned")
    shutil.copytree(b.pkg, unsigned)
    os.remove(os.path.join(unsigned, "SHA256SUMS.minisig"))
    pol = b.policy(modes=["safe", "quick"], scenes=["upgrade"], max_risk="low", require_signature=False,
                   never_write=[])
    unsigned_scatter = os.path.join(unsigned, "MT6737_Android_scatter.txt")
    b.scatter, scatter = unsigned_scatter, b.scatter
    refused(b, "max_risk", "plan", pol, "--scene", "upgrade", "--mode", "quick")
    os.remove(os.path.join(unsigned, "Checksum.ini"))
    refused(b, "require_checksum_ini", "plan", b.policy(require_checksum_ini=True))
    b.scatter = scatter


def flash_refusal_writes_nothing(b):
    state = b.state("refused")
    before = content(state, "user", 0xa600000, 8 << 20)
    doc = refused(b, "never_write", "flash", b.policy(never_write=["system"]), "--yes", state=state)
    check(content(state, "user", 0xa600000, 8 << 20) == before, "flash refused by the policy: nothing written")
    log = doc.get("audit_log")
    check(log and os.path.exists(log), "the refusal is in an audit log")
    if log:
        with open(log) as f:
            events = [json.loads(x) for x in f]
        pol = [e for e in events if e["event"] == "policy"]
        check(pol and pol[0]["verdict"] == "refuse" and pol[0]["refusals"][0]["rule"] == "never_write",
              "audit: the policy event says which rule refused")


# ------------------------------------------------------------------ loosening from the command line

def no_loosening(b):
    b.station()
    pol = b.policy(after="reboot")
    refused(b, "modes", "flash", pol, "--mode", "quick", "--yes")
    refused(b, "role", "flash", pol, "--mode", "service", "--yes")
    refused(b, "scenes", "flash", pol, "--scene", "upgrade", "--yes")
    refused(b, "never_write", "flash", pol, "--only", "nvram", "--yes")
    refused(b, "device_checks", "flash", pol, "--device-checks", "none", "--yes")
    refused(b, "after", "flash", pol, "--after", "stay", "--yes")
    refused(b, "trusted_keys", "flash", pol, "--trust", b.other + ".pub", "--yes")
    eng = b.policy(role="engineer", modes=["safe", "service"], overrides=["layout_change"])
    refused(b, "overrides", "flash", eng, "--mode", "service", "--override", "preloader_selected", "--yes")
    b.no_station()


# ------------------------------------------------------------------ the station

def station(b):
    b.station()
    refused(b, "require_signed_policy", "plan", b.policy(sign=False))
    tampered = b.policy()
    with open(tampered) as f:
        doc = json.load(f)
    doc["modes"] = ["safe", "quick"]
    with open(tampered, "w") as f:
        json.dump(doc, f)
    refused(b, "require_signed_policy", "plan", tampered, "--mode", "quick")
    foreign = b.policy(sign=False)
    run([MTKFLASH, "policy", "sign", foreign, "--key", b.other + ".key"], env=b.env)
    refused(b, "require_signed_policy", "plan", foreign)
    p = run([MTKFLASH, "policy", "check", foreign], expect=6, env=b.env)
    check("unknown-key" in p.stdout, "policy check: a foreign signature (%s)" % p.stdout.strip()[-200:])
    b.station(require_policy=True)
    refused(b, "require_policy", "flash", None, "--yes")
    b.no_station()
    # the policy's own flag, without a station
    refused(b, "require_signed_policy", "plan", b.policy(sign=False, require_signed_policy=True))


# ------------------------------------------------------------------ the allowed flash

def allowed(b):
    b.station()
    pol = b.policy(after="stay")
    state = b.state("allowed")
    doc, p = b.run("flash", pol, "--yes", state=state)
    check(p.returncode == 0 and doc.get("result") == "verified", "allowed flash: verified (exit %d, %s)"
          % (p.returncode, p.stderr.strip()[-300:]))
    with open(pol, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    keyid = run([MTKFLASH, "--json", "policy", "check", pol], env=b.env)
    keyid = json.loads(keyid.stdout)["policy"]["key_id"]
    check(doc.get("role") == "operator" and doc["policy"]["sha256"] == sha and doc["policy"]["key_id"] == keyid
          and doc["policy"]["signature"] == "trusted", "--json: role, policy hash and signer (%s)" % doc.get("policy"))
    log = doc.get("audit_log")
    run([MTKFLASH, "log", "verify", log], env=b.env)
    with open(log) as f:
        events = [json.loads(x) for x in f]
    pol_ev = [e for e in events if e["event"] == "policy"]
    check(pol_ev and pol_ev[0]["role"] == "operator" and pol_ev[0]["sha256"] == sha
          and pol_ev[0]["key_id"] == keyid and pol_ev[0]["verdict"] == "allow",
          "audit log: role, policy SHA-256 and signer key id (%s)" % pol_ev)
    jobs = json.loads(run([MTKFLASH, "--json", "history"], env=b.env).stdout)["jobs"]
    job = [j for j in jobs if j.get("audit_log") == log]
    check(job and job[0].get("role") == "operator", "history: the job carries the policy's role (%s)" % job)
    b.no_station()


def history_rule(b):
    """The policy's history is where the line's jobs go: above $MTKFLASH_HISTORY, below --history."""
    refused_target = b.policy(sign=False, history="relative/h.db")
    p = run([MTKFLASH, "policy", "check", refused_target], expect=9, env=b.env)
    check("$.history" in p.stderr and "absolute" in p.stderr, "history: a relative path is refused (%s)"
          % p.stderr.strip()[-200:])
    line_db = os.path.join(b.tmp, "line-history.db")
    pol = b.policy(history=line_db)
    env = dict(b.env, MTKFLASH_HISTORY=os.path.join(b.tmp, "station-history.db"))
    port = "emu:%s,state=%s" % (CHIP, b.state("history"))
    p = run([MTKFLASH, "-q", "--json", "--port", port, "flash", b.scatter, "--policy", pol, "--yes"], env=env)
    log = json.loads(p.stdout).get("audit_log")
    jobs = json.loads(run([MTKFLASH, "--json", "--history", line_db, "history"], env=b.env).stdout)["jobs"]
    check([j for j in jobs if j.get("audit_log") == log], "history: the job is in the policy's history (%s)" % jobs)
    check(not os.path.exists(env["MTKFLASH_HISTORY"]), "history: not in $MTKFLASH_HISTORY's")
    other_db = os.path.join(b.tmp, "typed-history.db")
    p = run([MTKFLASH, "-q", "--json", "--history", other_db, "--port", port, "flash", b.scatter, "--policy", pol,
             "--yes"], env=env)
    log = json.loads(p.stdout).get("audit_log")
    jobs = json.loads(run([MTKFLASH, "--json", "--history", other_db, "history"], env=b.env).stdout)["jobs"]
    check([j for j in jobs if j.get("audit_log") == log], "history: --history outranks the policy's (%s)" % jobs)


def body(tmp):
    b = Bench(tmp)
    file_format(b)
    plan_rules(b)
    flash_refusal_writes_nothing(b)
    no_loosening(b)
    history_rule(b)
    station(b)
    allowed(b)


sys.exit(in_tmpdir("mtk-policy-", body))
