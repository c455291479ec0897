#!/usr/bin/env python3
"""Seed corpus for fuzz_xflash_client: device replies (after one selector
byte) for a DA1 -> DA2 start from the preloader and from the BootROM, then a
partition-table read, a write, an erase (da-xflash.md §2, §3)."""
import hashlib
import os
import struct
import sys

def pkt(payload):
    return struct.pack('<III', 0xFEEEEEEF, 1, len(payload)) + payload

def st(v):
    return pkt(struct.pack('<I', v))

def get(resp):
    return st(0) + st(0) + pkt(resp) + st(0)

def setter():
    return st(0) + st(0) + st(0)

CID = bytes.fromhex('90014a48414734650412345678a12300')

def emmc():
    b = struct.pack('<II', 1, 512) + struct.pack('<QQQQQQQQ', 0x400000, 0x400000, 0x400000, 0, 0, 0, 0, 0x4000000)
    return b + CID + bytes(8) + bytes(8)

def da1(agent):
    return b'\xc0' + st(0) + st(0) + st(0x434E5953) + setter() + setter() + get(agent)

def boot_and_reinit():
    out = st(0) + st(0) + st(0x434E5953) + get(bytes(4))
    out += get(struct.pack('<IIQQIIQQ', 2, 0, 0x100000, 0x40000, 1, 0, 0x40000000, 0x80000000))
    out += get(emmc())
    out += (st(0) + st(0xC0010004)) * 3
    out += get(bytes.fromhex('6607008a00ca000000000000')) + get(b'1.0') + get(b'high-speed')
    out += get(struct.pack('<II', 0x200, 0x400)) + get(struct.pack('<I', 0x64))
    return out

def read(n):
    return st(0) + st(0) + st(0) + pkt(bytes(n)) + st(0)

def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    seeds = [
        b'\x03' + da1(b'preloader') + boot_and_reinit() + read(0x400),
        b'\x02' + da1(b'brom') + get(emmc()) + st(0) + st(0) + boot_and_reinit(),
        b'\x03' + da1(b'preloader') + boot_and_reinit() + st(0) + st(0) + st(0x40040004) + st(50) + st(0x40040005),
    ]
    for s in seeds:
        with open(os.path.join(out_dir, hashlib.sha1(s).hexdigest()), 'wb') as f:
            f.write(s)

if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus', 'xflash_client'))
