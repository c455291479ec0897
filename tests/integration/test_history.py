#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The flash history (docs/history.md) through the real CLI.

SQLite (the default, in the test's XDG folders): after an emulated flash
`history --json` lists it with its device, package, mode, station, parts,
audit log and chain head; `history show` gives the same record; a failed
and a refused flash are recorded as such and the filters pick them out; 16
jobs at once (threads of one process, and four processes of four) lose no
record.

PostgreSQL: a real server started by this test (initdb + pg_ctl from
/usr/lib/postgresql/*/bin, in a temp folder, on a unix socket only; as the
`postgres` user when we are root, since the server refuses root).  A
schema-1 database is migrated on first open.  16
concurrent jobs lose nothing; two stations (own XDG folders, own station
ids) show up in one history; a station whose server is down still flashes,
warns and queues the record, and the next run that reaches the server sends
it (once).  Skipped, saying why, only when no server can be started."""
import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKEMU, MTKFLASH, check, environment, finish, read_line, run, start_emu, stop_emu  # noqa: E402

HISTLOAD = os.environ.get("MTK_HISTLOAD", "histload")
SKIP = 77  # meson's "skipped"


def mkfirmware(tmp, variant=None):
    out = os.path.join(tmp, "pkg-" + (variant or "good"))
    if not os.path.isdir(out):
        run([MTKEMU, "mkfirmware", "--chip", "mt6737", "--out", out] + (["--variant", variant] if variant else []))
    return glob.glob(os.path.join(out, "*_Android_scatter.txt"))[0]


def provision(tmp, tag):
    state = os.path.join(tmp, "state-" + tag)
    run([MTKEMU, "provision", "--chip", "mt6737", "--state", state])
    return state


def station_env(tmp, name, history=None):
    """A station: its own XDG folders and station id; the history URL if given."""
    base = os.path.join(tmp, "station-" + name)
    os.makedirs(base, exist_ok=True)
    env = environment(base)
    env["MTKFLASH_STATION"] = name
    env["MTKFLASH_OPERATOR"] = "op-" + name
    env.pop("MTKFLASH_HISTORY", None)
    if history:
        env["MTKFLASH_HISTORY"] = history
    return env


def flash(env, state, scatter, *args, expect=0, faults=None):
    port = "emu:mt6737,state=%s" % state + (",faults=" + faults if faults else "")
    p = run([MTKFLASH, "-q", "--json", "--port", port, "flash", scatter] + list(args), expect=expect, env=env)
    return json.loads(p.stdout), p


def history(env, *args, expect=0):
    p = run([MTKFLASH, "--json", "history"] + list(args), expect=expect, env=env)
    return json.loads(p.stdout)


def queue_files(env):
    return glob.glob(os.path.join(env["XDG_STATE_HOME"], "mtkflash", "history-queue", "*.json"))


# ------------------------------------------------------------------ SQLite

def check_flash_record(env, doc, job, scatter, tag):
    check(job["job_id"] == doc.get("job_id"), "%s: the flash's job id %s is listed" % (tag, doc.get("job_id")))
    check(job["kind"] == "flash" and job["result"] == "verified", "%s: a verified flash: %s/%s"
          % (tag, job["kind"], job["result"]))
    check(job["device_id"].startswith("mt6737-"), "%s: device id %s" % (tag, job["device_id"]))
    check("MT6737" in job["fingerprint"] and "emmc" in job["fingerprint"], "%s: fingerprint summary %r"
          % (tag, job["fingerprint"]))
    check(job["scatter"] == os.path.realpath(scatter), "%s: package path %s" % (tag, job["scatter"]))
    sums = os.path.join(os.path.dirname(scatter), "SHA256SUMS")
    want = run(["sha256sum", sums]).stdout.split()[0]
    check(job["manifest_sha256"] == want, "%s: the manifest's hash" % tag)
    check(len(job["signer"]) == 16, "%s: the signer's key id %r" % (tag, job["signer"]))
    check((job["mode"], job["scene"]) == ("safe", "download"), "%s: mode and scene" % tag)
    check((job["station"], job["operator"]) == ("bench-a", "op-bench-a"), "%s: station and operator" % tag)
    check(job["started"] <= job["ended"] and job["started"].endswith("Z"), "%s: start/end UTC" % tag)
    check(job["audit_log"] == doc["audit_log"], "%s: the audit log's path" % tag)
    v = json.loads(run([MTKFLASH, "--json", "log", "verify", doc["audit_log"]], env=env).stdout)
    check(job["chain_head"] == v["head"], "%s: the audit log's chain head" % tag)
    steps = [s for s in doc["flash"]["steps"] if s["stage"] == "write"]
    parts = {p["name"]: p for p in job["parts"] if p["stage"] == "write"}
    check(set(parts) == {s["partition"] for s in steps}, "%s: every written partition: %s" % (tag, sorted(parts)))
    check(all(p["verified"] and p["state"] == "done" and len(p["sha256"]) == 64 for p in parts.values()),
          "%s: each part verified with its SHA-256" % tag)


def sqlite_flash(tmp):
    env = station_env(tmp, "bench-a")
    scatter = mkfirmware(tmp)
    doc, _ = flash(env, provision(tmp, "a"), scatter, "--yes")
    db = os.path.join(env["XDG_DATA_HOME"], "mtkflash", "history.db")
    check(os.stat(db).st_mode & 0o777 == 0o600, "sqlite: history.db is 0600")
    jobs = history(env)["jobs"]
    check(len(jobs) == 1, "sqlite: one job after one flash (%d)" % len(jobs))
    check_flash_record(env, doc, jobs[0], scatter, "sqlite list")
    shown = history(env, "show", doc["job_id"][:10])["job"]
    check(shown == jobs[0], "sqlite: history show JOB gives the listed record")
    text = run([MTKFLASH, "history", "show", doc["job_id"]], env=env).stdout
    check("Chain head" in text and "boot" in text and "verified" in text, "sqlite: show for people")

    # A flash that fails (boot never reads back right) and one refused.
    plan = json.loads(run([MTKFLASH, "-q", "--json", "--port", "emu:mt6737,state=" + provision(tmp, "p"), "plan",
                           scatter], env=env).stdout)["plan"]
    boot = [e for e in plan["entries"] if e["partition"] == "boot"][0]
    bad, _ = flash(env, provision(tmp, "bad"), scatter, "--yes", expect=5,
                   faults="corrupt-write=user:%#x:16" % (boot["offset"] + 0x3000))
    refused, _ = flash(env, provision(tmp, "ref"), mkfirmware(tmp, "wrong-chip"), "--yes", expect=6)
    failed = history(env, "--result", "failed")["jobs"]
    check([j["job_id"] for j in failed] == [bad["job_id"]], "sqlite: --result failed finds the failed flash")
    check(failed and "boot" in failed[0]["error"], "sqlite: the failure's message is kept: %r"
          % (failed[0]["error"] if failed else None))
    ref = history(env, "--result", "refused")["jobs"]
    check([j["job_id"] for j in ref] == [refused["job_id"]], "sqlite: --result refused finds the refused one")
    check(len(history(env, "--since", "2000-01-01")["jobs"]) == 3, "sqlite: --since an old date: all three")
    check(history(env, "--since", "2999-01-01")["jobs"] == [], "sqlite: --since the future: none")
    check(history(env, "--device", "no-such-device")["jobs"] == [], "sqlite: --device filters")
    run([MTKFLASH, "history", "--result", "maybe"], expect=2, env=env)
    run([MTKFLASH, "history", "--since", "yesterday"], expect=2, env=env)
    run([MTKFLASH, "history", "show", "ffffffff"], expect=3, env=env)


def concurrent_jobs(env, target, station, tag):
    """16 jobs at once: 16 threads of one process, then 4 processes of 4 threads."""
    queue = os.path.join(env["XDG_STATE_HOME"], "mtkflash", "history-queue")
    p = run([HISTLOAD, target, queue, station + "-t", "16"], expect=None, env=env)
    check(p.returncode == 0, "%s: 16 threads saved without queuing: %s" % (tag, p.stderr.strip()[-500:]))
    ids = set(p.stdout.split())
    procs = [subprocess.Popen([HISTLOAD, target, queue, "%s-p%d" % (station, i), "4"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for i in range(4)]
    for pr in procs:
        out, err = pr.communicate(timeout=120)
        check(pr.returncode == 0, "%s: a process of 4 saved without queuing: %s" % (tag, err.strip()[-500:]))
        ids |= set(out.split())
    listed = {j["job_id"] for j in history(env, "--history", target)["jobs"]}
    check(len(ids) == 32 and ids <= listed, "%s: all 32 concurrent jobs in the history (%d of %d)"
          % (tag, len(ids & listed), len(ids)))


def batch_phones(tmp):
    """Each phone of a batch is a job of its own, recorded from its thread."""
    env = station_env(tmp, "bench-b")
    scatter = mkfirmware(tmp)
    phones, links = [], []
    try:
        for i in range(2):
            link = os.path.join(tmp, "batch-tty%d" % i)
            proc = start_emu(["--chip", "mt6737", "--state", provision(tmp, "batch%d" % i), "--link", link], env=env)
            phones.append(proc)
            if read_line(proc) != "ready " + link:
                raise AssertionError("batch: mtkemu %d did not come up" % i)
            links.append(link)
        run([MTKFLASH, "-q", "batch", "--package", scatter, "--ports", ",".join(links), "--count", "2", "--yes"],
            env=env)
    finally:
        for proc in phones:
            stop_emu(proc)
    jobs = history(env)["jobs"]
    check(len(jobs) == 2 and all(j["kind"] == "batch" and j["result"] == "verified" for j in jobs),
          "batch: two verified batch jobs: %s" % [(j["kind"], j["result"]) for j in jobs])
    check(len({j["device_id"] for j in jobs}) == 2 and all(j["parts"] and j["audit_log"] for j in jobs),
          "batch: one job per phone, each with its parts and audit log")


def sqlite_concurrent(tmp):
    env = station_env(tmp, "bench-c")
    db = os.path.join(env["XDG_DATA_HOME"], "mtkflash", "history.db")
    concurrent_jobs(env, db, "bench-c", "sqlite concurrent")


# -------------------------------------------------------------- PostgreSQL

def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2].split(".")[0]))
    return dirs[-1] if dirs and os.access(os.path.join(dirs[-1], "initdb"), os.X_OK) else None


class Server:
    """A throw-away PostgreSQL cluster on a unix socket in `base`."""

    def __init__(self, base, bindir):
        self.bindir, self.data = bindir, os.path.join(base, "pgdata")
        self.sock, self.log = os.path.join(base, "sock"), os.path.join(base, "server.log")
        self.prefix = []
        os.makedirs(self.sock)
        if os.getuid() == 0:  # "initdb: cannot be run as root"
            pw = pwd.getpwnam("postgres")
            os.chmod(base, 0o755)
            os.chown(base, pw.pw_uid, pw.pw_gid)
            os.chown(self.sock, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.url = "postgresql://mtk@/postgres?host=%s" % self.sock

    def pg(self, tool, *args):
        return subprocess.run(self.prefix + [os.path.join(self.bindir, tool)] + list(args), capture_output=True,
                              text=True, timeout=120)

    def init(self):
        return self.pg("initdb", "-D", self.data, "-U", "mtk", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self):
        # -w: pg_ctl returns once the server accepts connections (no polling here).
        return self.pg("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                       "-k %s -c listen_addresses='' -c fsync=off -c max_connections=60" % self.sock, "start")

    def stop(self):
        return self.pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")


def start_server(base):
    """(server, None) or (None, why it could not be started)."""
    bindir = pg_bindir()
    if not bindir:
        return None, "no PostgreSQL server installed (/usr/lib/postgresql/*/bin/initdb; Debian: postgresql)"
    if os.getuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return None, "running as root and there is no 'postgres' user to run the server as"
        if not shutil.which("runuser"):
            return None, "running as root and there is no runuser to drop to 'postgres'"
    s = Server(base, bindir)
    for step in (s.init, s.start):
        p = step()
        if p.returncode != 0:
            log = open(s.log).read()[-800:] if os.path.exists(s.log) else ""
            return None, "%s failed: %s %s %s" % (step.__name__, p.stdout[-400:], p.stderr[-400:], log)
    return s, None


def two_stations(tmp, srv):
    scatter = mkfirmware(tmp)
    a = station_env(tmp, "pg-a", history=srv.url)   # through $MTKFLASH_HISTORY
    b = station_env(tmp, "pg-b")                      # through --history
    da, _ = flash(a, provision(tmp, "pga"), scatter, "--yes")
    db, pb = flash(b, provision(tmp, "pgb"), scatter, "--yes", "--history", srv.url)
    check("warning: history" not in pb.stderr, "postgresql: no history warning: %s" % pb.stderr.strip()[-300:])
    for env, doc, name in ((a, da, "pg-a"), (b, db, "pg-b")):
        job = history(env, "--history", srv.url, "show", doc["job_id"])["job"]
        check(job["station"] == name and job["result"] == "verified" and job["parts"],
              "postgresql: %s's flash is in the shared history" % name)
    stations = {j["station"] for j in history(a, "--history", srv.url)["jobs"]}
    check({"pg-a", "pg-b"} <= stations, "postgresql: one history shows both stations: %s" % sorted(stations))
    check(not os.path.exists(os.path.join(a["XDG_DATA_HOME"], "mtkflash", "history.db")),
          "postgresql: no local SQLite history written meanwhile")
    return a, scatter


def offline_queue(tmp, srv, env, scatter):
    check(srv.stop().returncode == 0, "postgresql: server stopped")
    doc, p = flash(env, provision(tmp, "off"), scatter, "--yes")
    check(doc.get("result") == "verified", "offline: the flash itself succeeds")
    check("warning: history" in p.stderr and "queued" in p.stderr, "offline: warns that the record is queued: %s"
          % p.stderr.strip()[-400:])
    q = queue_files(env)
    check([os.path.basename(f) for f in q] == [doc["job_id"] + ".json"], "offline: one queued record: %s" % q)
    check(all(os.stat(f).st_mode & 0o777 == 0o600 for f in q), "offline: the queued record is 0600")
    run([MTKFLASH, "history"], expect=8, env=env)  # no server, no history to show
    check(srv.start().returncode == 0, "postgresql: server started again")
    jobs = history(env)["jobs"]  # this run reaches the server: it sends the queue first
    check([j["job_id"] for j in jobs].count(doc["job_id"]) == 1, "offline: the queued job arrived, once")
    check(queue_files(env) == [], "offline: the queue is empty after the drain")
    sent = [j for j in jobs if j["job_id"] == doc["job_id"]]
    check(sent and sent[0]["audit_log"] == doc["audit_log"] and sent[0]["parts"],
          "offline: the queued record arrived whole")


def migrate_v1(tmp, srv):
    """A PostgreSQL history at schema 1 is migrated on the first open."""
    p = srv.pg("createdb", "-h", srv.sock, "-U", "mtk", "oldhist")
    check(p.returncode == 0, "postgresql: createdb: %s" % p.stderr)
    url = srv.url.replace("/postgres?", "/oldhist?")
    run([HISTLOAD, url, "v1"])
    env = station_env(tmp, "pg-m", history=url)
    job = history(env, "show", "c0ffee")["job"]
    check(job["device_id"] == "old-dev" and job["station"] == "", "postgresql v1: the old job, no station")
    check([(x["name"], x["state"], x["bytes"], x["verified"]) for x in job["parts"]]
          == [("boot", "done", 512, True), ("lk", "failed", 7, False)], "postgresql v1: parts moved to rows: %s"
          % job["parts"])


def postgres(tmp):
    base = tempfile.mkdtemp(prefix="mtkpg-")
    t_start = time.monotonic()
    srv, why = start_server(base)
    try:
        if not srv:
            print("SKIP postgresql: cannot start a server: %s" % why)
            return False
        migrate_v1(tmp, srv)
        t0 = time.monotonic()
        concurrent_jobs(station_env(tmp, "pg-c", history=srv.url), srv.url, "pg-c", "postgresql concurrent")
        t1 = time.monotonic()
        env, scatter = two_stations(tmp, srv)
        t2 = time.monotonic()
        offline_queue(tmp, srv, env, scatter)
        print("postgresql: server %.1f s, concurrent %.1f s, two stations %.1f s, offline %.1f s"
              % (t0 - t_start, t1 - t0, t2 - t1, time.monotonic() - t2))
        return True
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(base, ignore_errors=True)


def main():
    with tempfile.TemporaryDirectory(prefix="history") as tmp:
        for part in (sqlite_flash, batch_phones, sqlite_concurrent):
            try:
                t0 = time.monotonic()
                part(tmp)
                print("%s: %.1f s" % (part.__name__, time.monotonic() - t0))
            except AssertionError as e:
                check(False, "%s: %s" % (part.__name__, e))
        try:
            ran = postgres(tmp)
        except AssertionError as e:
            check(False, "postgresql: %s" % e)
            ran = True
    st = finish()
    return SKIP if st == 0 and not ran else st


if __name__ == "__main__":
    sys.exit(main())
