# SPDX-License-Identifier: MIT
"""Each emulator fault kind under a real `mtkflash write`, in-process
(emu:CHIP,state=DIR): the exit status the client gives, the state files
holding exactly the committed prefix (whole DA write packets of new content,
old content after), and the next connect coming up in the mode the boot
model (`mtkemu boot-check`) says."""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtkutil import MTKEMU, check, flash, in_tmpdir, pick, read_file, run, state_bytes, write_file  # noqa: E402

CHIP = "mt6737"
PACKET = 1 << 20      # mtkflash's legacy DA write packet; the emulator commits whole packets
FRAME = PACKET + 4    # ready byte, packet, checksum (2), CONT: link bytes per packet
IMG_LEN = 6 << 20
NO_DEVICE = 3         # exit status: no device answered / disconnected / timed out


def port(state, extra=""):
    return "emu:%s,state=%s%s" % (CHIP, state, extra)


def boot_check(state):
    p = run([MTKEMU, "boot-check", "--state", state, "--json"], expect=None)
    check(p.returncode in (0, 1), "boot-check exit %d: %s" % (p.returncode, p.stderr))
    doc = json.loads(p.stdout)
    check((p.returncode == 0) == doc["boots"], "boot-check exit status says what the document says")
    return doc


def connect_mode(state, extra=""):
    """The mode the phone enumerates in at the next connect."""
    return flash(port(state, extra), "detect", json_out=True)["mode"]


def power_ini(state):
    text = read_file(os.path.join(state, "power.ini")).decode()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def fresh_phone(tmp, name):
    """A provisioned phone, just plugged in (preloader mode), and where boot is."""
    state = os.path.join(tmp, name)
    run([MTKEMU, "provision", "--chip", CHIP, "--state", state])
    boot = pick(flash(port(state), "printgpt", json_out=True)["partitions"], "boot")
    check(connect_mode(state, ",plug=replug") == "preloader", "a provisioned phone comes up in preloader mode")
    return state, boot["start"]


def board_preloader(tmp, state):
    """The factory preloader from boot1: the EMI settings a BROM-mode write needs."""
    return write_file(os.path.join(tmp, "preloader.bin"), state_bytes(state, "boot1", 0, 64 << 10))


def committed_prefix(state, off, new, old):
    """Where the stored bytes switch from `new` to `old`; -1 when they are not
    exactly a prefix of the new image followed by the old content."""
    now = state_bytes(state, "user", off, len(new))
    k = 0
    while k < len(new) and now[k:k + PACKET] == new[k:k + PACKET]:
        k += PACKET
    while k < len(new) and now[k:k + 512] == new[k:k + 512]:
        k += 512
    return k if now[k:] == old[k:] else -1


def cut_write(tmp, state, off, fault, img, want_exit=NO_DEVICE):
    old = state_bytes(state, "user", off, len(img))
    path = write_file(os.path.join(tmp, "img.bin"), img)
    p = flash(port(state, ",faults=" + fault), "write", "--preloader", board_preloader(tmp, state), "boot", path,
              expect=None)
    check(p.returncode == want_exit, "%s: exit %d, wanted %d (%s)" % (fault, p.returncode, want_exit, p.stderr))
    return committed_prefix(state, off, img, old), p


def check_torn(k, what):
    """A write cut inside the image: some whole packets committed, not all."""
    check(0 < k < IMG_LEN and k % PACKET == 0, "%s: a whole-packet prefix is committed (%d)" % (what, k))


def random_image():
    return os.urandom(IMG_LEN)


def android_image():
    img = bytearray(os.urandom(IMG_LEN))
    img[0:8] = b"ANDROID!"
    return bytes(img)


def test_power_loss(tmp):
    state, off = fresh_phone(tmp, "power")
    base = 3 << 20
    k1, p = cut_write(tmp, state, off, "power-loss-at=%d" % base, random_image())
    check("partition boot may now be partially written" in p.stderr, "message names the partition: %s" % p.stderr)
    check_torn(k1, "power loss")
    check(power_ini(state)["run"] == "boot", "after a power loss the phone is off: the next connect boots it")
    # The same write on an identical phone, one packet's link bytes later:
    # exactly one more packet is committed.
    state2, off2 = fresh_phone(tmp, "power2")
    k2, _ = cut_write(tmp, state2, off2, "power-loss-at=%d" % (base + FRAME), android_image())
    check(k2 == k1 + PACKET, "commit granularity: %d link bytes later %d, wanted %d" % (FRAME, k2, k1 + PACKET))
    # A torn boot image (random header) does not boot: BROM mode, as boot-check says.
    doc = boot_check(state)
    check(not doc["boots"] and doc["failed"] == "boot", "boot-check after a torn boot: %s" % doc)
    check(connect_mode(state) == "brom", "a phone with a torn boot image comes back in BROM mode")
    # A torn write whose committed part holds a valid header boots.
    check(boot_check(state2)["boots"], "boot-check: a valid boot header boots")
    check(connect_mode(state2) == "preloader", "and the phone comes back in preloader mode")
    # From BROM mode (EMI settings from --preloader) the prefix is whole packets too.
    k3, _ = cut_write(tmp, state, off, "power-loss-at=%d" % base, android_image())
    check_torn(k3, "BROM-mode write")
    check(connect_mode(state) == "preloader", "header restored: preloader mode at the next connect")


def test_unplug(tmp):
    state, off = fresh_phone(tmp, "unplug")
    k, p = cut_write(tmp, state, off, "unplug-at=%d" % (4 << 20), random_image())
    check_torn(k, "unplug")
    check("may now be partially written" in p.stderr, "unplug message: %s" % p.stderr)
    check(not boot_check(state)["boots"], "boot-check: a torn boot image does not boot")
    check(connect_mode(state) == "brom", "unplugged mid-boot-write: BROM mode, as boot-check says")
    # The old name is the same fault, on an identical phone.
    state2, off2 = fresh_phone(tmp, "unplug2")
    k_old, _ = cut_write(tmp, state2, off2, "disconnect-after=%d" % (4 << 20), android_image())
    check(k_old == k, "disconnect-after is unplug-at (%d, %d)" % (k_old, k))
    check(connect_mode(state2) == "preloader", "a valid header committed: preloader mode")


def test_da_hang(tmp):
    state, off = fresh_phone(tmp, "hang")
    k, p = cut_write(tmp, state, off, "da-hang-at=%d" % (3 << 20), random_image())
    check_torn(k, "da-hang-at")
    check("got 0 bytes" in p.stderr, "hang reported as no answer in time: %s" % p.stderr)
    check(power_ini(state)["run"] == "hung", "a hung DA stays hung between sessions")
    check(connect_mode(state, ",plug=replug") == "brom", "after a replug the boot model decides: BROM")


def test_da_hang_at_command(tmp):
    state, off = fresh_phone(tmp, "hangcmd")
    old = state_bytes(state, "user", off, IMG_LEN)
    k, p = cut_write(tmp, state, off, "da-hang-at-cmd=1", random_image())
    check(k == 0 and state_bytes(state, "user", off, IMG_LEN) == old, "a DA hung on its first command wrote nothing")
    check(power_ini(state)["run"] == "hung", "da-hang-at-cmd: hung until a replug")
    check(connect_mode(state, ",plug=power-cycle") == "preloader", "power cycle: the untouched phone boots")


def test_corrupt_write(tmp):
    state, off = fresh_phone(tmp, "corrupt")
    img = android_image()
    fault = "corrupt-write=user:%d:16" % (off + 0x2345)
    # A plain write does not read back (vwrite does): it succeeds.
    cut_write(tmp, state, off, fault, img, want_exit=0)
    now = state_bytes(state, "user", off + 0x2340, 32)
    want = img[0x2340:0x2345] + bytes(b ^ 0xFF for b in img[0x2345:0x2355]) + img[0x2355:0x2360]
    check(now == want, "corrupt-write stored exactly the 16 bytes inverted")


def scenario(tmp, t):
    """One scenario in its own folder (phones, images), so scenarios can run at once."""
    sub = os.path.join(tmp, t.__name__)
    os.mkdir(sub)
    try:
        t(sub)
    except AssertionError as e:
        check(False, "%s: %s" % (t.__name__, e))


def main(tmp):
    # The hangs spend their time in mtkflash's reply timeouts, not on a CPU:
    # they wait on threads while the others run.
    waiting = [threading.Thread(target=scenario, args=(tmp, t)) for t in (test_da_hang, test_da_hang_at_command)]
    for th in waiting:
        th.start()
    for t in (test_power_loss, test_unplug, test_corrupt_write):
        scenario(tmp, t)
    for th in waiting:
        th.join()


if __name__ == "__main__":
    sys.exit(in_tmpdir("mtkflash-faults-", main))
