# SPDX-License-Identifier: MIT
"""What the GUI tests share: starting mtkflash-gtk on an emulated phone
under the test's own X server and accessibility bus (run_gui.sh made
both), finding its controls by accessible name and role through AT-SPI
(dogtail), pressing keys, and screenshots for docs/gui.md.

Waiting is on the accessibility tree: wait_for() polls a condition on
what the window shows until it holds or the time is up."""
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import mtkutil  # noqa: E402
from mtkutil import MTKEMU, MTKFLASH, check, environment, run  # noqa: E402,F401

os.environ.setdefault("GTK_A11Y", "atspi")
# dogtail refuses to start unless it believes accessibility is on; GTK 4
# speaks AT-SPI without the GTK 2/3 bridge this variable used to name.
os.environ.setdefault("GTK_MODULES", "gail:atk-bridge")
from dogtail import predicate, rawinput, tree  # noqa: E402
# The settings object: `from dogtail import config` is the module, and
# setting its attributes changed nothing.
from dogtail.config import config  # noqa: E402
import pyatspi  # noqa: E402
from gi.repository import GLib  # noqa: E402

config.searchCutoffCount = 3
config.searchBackoffDuration = 0.2
# dogtail sleeps after every action (1 s), key (0.1 s) and key combination
# (0.5 s) for scripts that do not wait; these tests wait on what the window
# shows, so the sleeps were only time (half of gui_refused's 50 s).
config.actionDelay = 0
config.typingDelay = 0
config.defaultDelay = 0
config.logDebugToFile = False
config.logDebugToStdOut = False

MTKFLASH_GTK = os.environ.get("MTKFLASH_GTK", "mtkflash-gtk")
SHOTS = os.environ.get("MTKGUI_SHOTS")
TIMEOUT = float(os.environ.get("MTKGUI_TIMEOUT", "180"))


def wait_for(cond, what, timeout=TIMEOUT):
    """cond() until it returns something true; that value, or an AssertionError naming `what`."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # a node went away while we looked: look again
            last = e
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s (%s)" % (what, last))


class FocusEvents:
    """The AT-SPI focus events: one per widget that gains the focus, so
    that a key press which moves the focus is waited for exactly, not for
    a guessed time."""

    def __init__(self):
        self.gained = 0
        pyatspi.Registry.registerEventListener(self._seen, "object:state-changed:focused")

    def _seen(self, event):
        if event.detail1:
            self.gained += 1

    def press(self, key, timeout=5.0):
        """Press `key`; True once a widget has gained the focus from it, False after `timeout` s."""
        ctx = GLib.MainContext.default()
        while ctx.iteration(False):  # events of earlier presses are not this one's
            pass
        before = self.gained
        late = []
        # libatspi reads the bus only while its main context runs: run it
        # until the event, or until this timer says the time is up.
        timer = GLib.timeout_add(int(timeout * 1000), lambda: late.append(True) and False)
        rawinput.pressKey(key)
        while self.gained == before and not late:
            ctx.iteration(True)
        if not late:
            GLib.source_remove(timer)
        return self.gained != before


_focus = None


def focus_events():
    global _focus
    if _focus is None:
        _focus = FocusEvents()
    return _focus


def mkfirmware(tmp, chip="mt6737", variant=None):
    out = os.path.join(tmp, "pkg-%s-%s" % (chip, variant or "good"))
    if not os.path.isdir(out):
        run([MTKEMU, "mkfirmware", "--chip", chip, "--out", out] + (["--variant", variant] if variant else []))
    return out


def provision(tmp, chip="mt6737", tag="a"):
    state = os.path.join(tmp, "state-%s-%s" % (chip, tag))
    run([MTKEMU, "provision", "--chip", chip, "--state", state])
    return state


class Window:
    """mtkflash-gtk started on a port and a package, seen through AT-SPI."""

    def __init__(self, env, port, package):
        self.env = env
        self.proc = subprocess.Popen([MTKFLASH_GTK, "--port", port, package], env=env)
        self.app = wait_for(lambda: self._find_app(), "mtkflash-gtk on the accessibility bus")

    def _find_app(self):
        for a in tree.root.children:
            if a.name == "mtkflash-gtk" and a.children:
                return a
        return None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind or mtkutil.failures:
            print("the window's text when it failed:\n  " + "\n  ".join(t for t in self.labels() if t != "GtkLabel"))
            self.screenshot("failed")
        self.close()
        return False

    def close(self):
        """The window's own Close button (it saves its settings then); SIGTERM if that fails."""
        try:
            if self.proc.poll() is None:
                self.app.findChild(predicate.GenericPredicate(name="Close", roleName="push button"),
                                   retry=False).doActionNamed("click")
                self.proc.wait(timeout=30)
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def find(self, name, role=None, prefix=False):
        def match(n):
            if role and n.roleName != role:
                return False
            return n.name.startswith(name) if prefix else n.name == name
        return self.app.findChild(match, retry=False, requireResult=False)

    def need(self, name, role=None, prefix=False):
        return wait_for(lambda: self.find(name, role, prefix), "%s %r" % (role or "node", name))

    def labels(self):
        return [n.name for n in self.app.findChildren(predicate.GenericPredicate(roleName="label"))]

    def result(self):
        n = self.find("Result: ", "label", prefix=True)
        return n.name[len("Result: "):] if n else ""

    def wait_result(self, *words):
        """The result once it holds one of `words` (and the flash has ended)."""
        return wait_for(lambda: next((r for r in [self.result()] if any(w in r for w in words)), None),
                        "a result with one of %s" % (words,))

    def flash_button(self):
        return self.need("Flash", "push button")

    def wait_flash_sensitive(self, want=True):
        return wait_for(lambda: self.flash_button().sensitive == want or None,
                        "Flash %s" % ("enabled" if want else "disabled"))

    def click(self, name, role="push button"):
        """A push button by its AT-SPI action; tick boxes and radio buttons
        offer none in GTK 4.8, so those are reached with Tab and Space."""
        node = self.need(name, role)
        if role == "push button":
            node.doActionNamed("click")
        elif role == "radio button":
            self.choose_radio(node)
        else:
            self.tab_to(node)
            rawinput.pressKey("space")

    def choose_radio(self, node):
        """Tab enters a radio group at its checked button; arrows move the choice."""
        group = [n for n in node.parent.children if n.roleName == "radio button"]
        self.tab_to(next(n for n in group if n.checked))
        for _ in range(len(group)):
            if node.checked:
                return
            focus_events().press("Right")
            try:
                wait_for(lambda: node.checked, "radio", timeout=0.5)
            except AssertionError:
                pass
        raise AssertionError("arrows never chose %r" % node.name)

    def text_with(self, words):
        """The first label holding `words`."""
        return wait_for(lambda: next((t for t in self.labels() if words in t), None), "a label with %r" % words)

    def tab_to(self, node, limit=120):
        """Tab until `node` has the focus (keyboard only)."""
        for _ in range(limit):
            if node.focused:
                return True
            focus_events().press("Tab")
        raise AssertionError("Tab never reached %r" % node.name)

    def screenshot(self, name):
        """docs/gui/NAME.png when MTKGUI_SHOTS names a folder."""
        if not SHOTS:
            return
        os.makedirs(SHOTS, exist_ok=True)
        import gi
        gi.require_version("Gdk", "3.0")
        from gi.repository import Gdk
        root = Gdk.get_default_root_window()
        # The window sits at the top left of a bare X server; crop to it.
        w, h = self.app.children[0].size if self.app.children else (root.get_width(), root.get_height())
        w = min(max(w, 400), root.get_width())
        h = min(max(h, 300), root.get_height())
        pix = Gdk.pixbuf_get_from_window(root, 0, 0, w, h)
        pix.savev(os.path.join(SHOTS, name + ".png"), "png", [], [])


def gui_env(tmp):
    env = environment(tmp)
    env["MTKFLASH_HISTORY"] = os.path.join(tmp, "history.db")
    # GTK and fontconfig keep their caches to the end by design: no leak report at exit.
    env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1"
    # The size the window remembers (settings.c): most of the X screen, for the screenshots.
    conf = os.path.join(env["XDG_CONFIG_HOME"], "mtkflash")
    os.makedirs(conf, exist_ok=True)
    with open(os.path.join(conf, "gtk.ini"), "w") as f:
        f.write("[window]\nwidth=1000\nheight=1000\n")
    return env


def set_passphrase(env, passphrase):
    r, w = os.pipe()
    os.write(w, (passphrase + "\n").encode())
    os.close(w)
    p = subprocess.run([MTKFLASH, "service", "set-passphrase", "--passphrase-fd", str(r)], env=env,
                       pass_fds=(r,), capture_output=True, text=True, timeout=60)
    os.close(r)
    check(p.returncode == 0, "service set-passphrase: %s" % p.stderr.strip())


def run_test(prefix, body):
    """body(tmp, env) in a temporary folder; the exit status of mtkutil.finish()."""
    def wrapped(tmp):
        body(tmp, gui_env(tmp))
    return mtkutil.in_tmpdir(prefix, wrapped)


def copy_tree(src, dst):
    shutil.copytree(src, dst)
    return dst


def partitions(env, port):
    """name -> printgpt entry of the phone at `port` (read with the CLI, as a technician would check)."""
    p = run([MTKFLASH, "-q", "--json", "--port", port, "printgpt"], env=env)
    import json
    return {e["name"]: e for e in json.loads(p.stdout)["partitions"]}


RAW_IMAGES = {"boot": "boot.img", "recovery": "recovery.img", "lk": "lk.bin", "logo": "logo.bin"}


def holds_package(state, parts, pkg):
    """Whether the phone's user area holds the package's raw images where its table puts them."""
    ok = True
    for name, file in RAW_IMAGES.items():
        with open(os.path.join(pkg, file), "rb") as f:
            want = f.read()
        got = mtkutil.state_bytes(state, "user", parts[name]["start"], len(want))
        ok &= check(got == want, "%s: the phone's %s holds %s" % (state, name, file))
    return ok


def user_snapshot(state, parts, names):
    return {n: mtkutil.content(state, "user", parts[n]["start"], parts[n]["size"]) for n in names}
