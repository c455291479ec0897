# SPDX-License-Identifier: MIT
"""Synthetic firmware images for tests and fuzz seeds, laid out as
docs/reference/formats.md describes: MediaTek preloaders (§4: GFH chain,
MTK_BLOADER_INFO with EMI records, EMMC_BOOT/UFS_BOOT + BRLYT wrappers),
Android sparse images (§3) and Android boot image headers (v0-v4)."""
import struct
import zlib

HDR_SIZE = 0x300
SIG_LEN = 0x124
REC_SIZE = 0xBC
LOAD_ADDR = 0x00200D00


def _gfh(size, gtype):
    return b"MMM\x01" + struct.pack("<HH", size, gtype)


def _bloader_block(name, count, seed):
    b = bytearray(0x70)
    b[0:20] = b"MTK_BLOADER_INFO_v20"
    nb = name.encode() + b"\0"
    b[0x1B:0x1B + len(nb)] = nb
    b[0x58:0x5C] = b"V116"
    struct.pack_into("<I", b, 0x5C, 0x33448822)
    b[0x64:0x6C] = b"MTK_BIN\0"
    struct.pack_into("<I", b, 0x6C, count)
    b += bytes((seed + i * 13) & 0xFF for i in range(count * REC_SIZE))
    return bytes(b)


def preloader(name="preloader_k6893v1_64.bin", count=2, seed=1):
    """A raw preloader .bin: GFH chain (FILE_INFO first), code, bloader info, length word, signature."""
    code = bytes((i * 3 + 1) & 0xFF for i in range(0x400))
    block = _bloader_block(name, count, seed) if name else b""
    body = code + block + struct.pack("<I", len(block)) + b"\x5A" * SIG_LEN
    file_len = HDR_SIZE + len(body)
    fi = bytearray(_gfh(0x38, 0) + b"FILE_INFO".ljust(12, b"\0"))
    fi += struct.pack("<IHBBIIIIIII", 1, 1, 5, 3, LOAD_ADDR, file_len, 0x40000, HDR_SIZE, SIG_LEN, HDR_SIZE, 1)
    chain = bytes(fi)
    for size, gtype in ((0x0C, 1), (0x64, 7), (0x214, 3), (0x14, 2), (0x30, 8)):
        chain += _gfh(size, gtype) + bytes(size - 8)
    assert len(chain) == HDR_SIZE
    return chain + body


def boot_area(binary, dev="EMMC_BOOT", unit=0x200, at=0x800, brlyt_type=0x10005):
    """Device header + BRLYT, the .bin at `at`, 0xFF padding to a 512-byte multiple."""
    padded = (len(binary) + 511) // 512 * 512
    out = bytearray(b"\xFF" * (at + padded))
    out[0:12] = dev.encode().ljust(12, b"\0")
    struct.pack_into("<II", out, 0x0C, 1, unit)
    out[0x200:0x208] = b"BRLYT\0\0\0"
    struct.pack_into("<IIIIIIII", out, 0x208, 1, at, at + padded, 0x42424242, brlyt_type, 0x0C, 0x10, 1)
    out[at:at + len(binary)] = binary
    return bytes(out)


RAW, FILL, DONT_CARE, CRC32 = 0xCAC1, 0xCAC2, 0xCAC3, 0xCAC4


def _zeros_crc(crc, n):
    block = bytes(1 << 20)
    while n:
        k = min(n, len(block))
        crc = zlib.crc32(block[:k], crc)
        n -= k
    return crc


def sparse(chunks, blk=4096, checksum=True, keep_expanded=True):
    """chunks: list of ("raw", bytes) | ("fill", pattern, blocks) | ("hole", blocks) | ("crc",).
    Returns (image, expanded bytes with holes as zeros, or None when keep_expanded is False).
    CRCs are computed piecewise, so big holes cost time but not memory."""
    body = b""
    expanded = bytearray()
    crc = 0
    blocks = 0
    for c in chunks:
        if c[0] == "raw":
            data = c[1]
            assert len(data) % blk == 0
            n = len(data) // blk
            body += struct.pack("<HHII", RAW, 0, n, 12 + len(data)) + data
            piece = data
        elif c[0] == "fill":
            n = c[2]
            body += struct.pack("<HHIII", FILL, 0, n, 16, c[1])
            piece = struct.pack("<I", c[1]) * (n * blk // 4)
        elif c[0] == "hole":
            n = c[1]
            body += struct.pack("<HHII", DONT_CARE, 0, n, 12)
            piece = None
            crc = _zeros_crc(crc, n * blk)
            if keep_expanded:
                expanded += bytes(n * blk)
        else:
            n = 0
            body += struct.pack("<HHIII", CRC32, 0, 0, 16, crc)
            piece = b""
        if piece is not None:
            crc = zlib.crc32(piece, crc)
            if keep_expanded:
                expanded += piece
        blocks += n
    hdr = struct.pack("<IHHHHIIII", 0xED26FF3A, 1, 0, 28, 12, blk, blocks, len(chunks), crc if checksum else 0)
    return hdr + body, bytes(expanded) if keep_expanded else None


def bootimg(version=2, page=2048, kernel=5000, ramdisk=3000):
    """An Android boot image whose length is exactly what its header promises."""
    p = 4096 if version >= 3 else page
    size = p + -(-kernel // p) * p + -(-ramdisk // p) * p
    b = bytearray(size)
    b[0:8] = b"ANDROID!"
    struct.pack_into("<I", b, 8, kernel)
    if version >= 3:
        struct.pack_into("<II", b, 12, ramdisk, 0)
        struct.pack_into("<I", b, 20, 1580 if version == 3 else 1584)
        b[44:57] = b"console=ttyS0"
    else:
        struct.pack_into("<I", b, 16, ramdisk)
        struct.pack_into("<I", b, 36, page)
        b[48:58] = b"k6765v1_64"
        b[64:86] = b"bootopt=64S3,32N2,64N2"
        if version >= 1:
            struct.pack_into("<I", b, 1644, 1648 if version == 1 else 1660)
    struct.pack_into("<I", b, 40, version)
    for i in range(p, size):
        b[i] = (i * 7) & 0xFF
    return bytes(b)
