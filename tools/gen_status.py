#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The status-code catalogue: data/status/*.codes + texts.txt + MTK_E_* of
include/mtkflash/core.h -> a C table (build time) and docs/status-codes.md.

  gen_status.py SRCROOT --c OUT.c       the table lib/core/status.c searches
  gen_status.py SRCROOT --md OUT.md     the generated documentation
  gen_status.py SRCROOT --check-md MD   exit 1 if MD is not what --md writes

The data stays the one source of truth: the BootROM and xflash status names the
library prints come from the same table (lib/core/status.c)."""
import re
import sys
from pathlib import Path

# Table key -> where its numbers come from (printed with every match: the same
# name can carry another number in another generation, anchors.md §0).
TABLES = {
    'spft5': 'SP Flash Tool v5.1952.00 BROM-DLL (BootRom/mtk_status.h)',
    'maui': 'older (MAUI-era) BROM-DLL and legacy-DA numbering, where it differs from v5.1952',
    'spft5-tool': 'SP Flash Tool v5 tool level (FlashToolErrorCodeDef.h, fw_defs.h)',
    'spft-tool-old': 'older SP Flash Tool builds, tool level (community reports)',
    'spft6-tool': 'SP Flash Tool V6 v6.2136.00 tool level (CFlashToolErrorCode.h)',
    'brom': 'BootROM/preloader status word (device side; names as mtkclient prints them)',
    'xflash': 'xflash DA status missing from v5.1952 (names ours; mtkclient describes them)',
    'mtkflash': "mtkflash's own error codes (include/mtkflash/core.h)",
}

# Spelling out a name for codes without a text of their own.
WORDS = {
    'FAIL': 'failed', 'FAILED': 'failed', 'ERR': 'error', 'DL': 'download', 'SEC': 'security',
    'CFG': 'config', 'CHKSUM': 'checksum', 'CKSUM': 'checksum', 'IMG': 'image', 'IMGAE': 'image',
    'VFY': 'verification', 'PL': 'preloader', 'BL': 'bootloader', 'HW': 'hardware', 'SW': 'software',
    'VER': 'version', 'NOT': 'not', 'ADDR': 'address', 'LEN': 'length', 'SZ': 'size', 'BUF': 'buffer',
    'CMD': 'command', 'INFO': 'information', 'PUBK': 'public key', 'SIG': 'signature', 'SCAT': 'scatter',
    'TBL': 'table', 'PT': 'partition table', 'PART': 'partition', 'EXT': 'external', 'INT': 'internal',
    'BBCHIP': 'baseband chip', 'OP': 'operation', 'RO': 'read-only', 'CUST': 'customer', 'PARA': 'parameter',
    'FTHND': 'flash tool handle', 'DLIST': 'download list', 'FT': 'flash tool', 'NFB': 'NAND boot',
    'IDX': 'index', 'AVALIABLE': 'available', 'PARTITON': 'partition', 'STOR': 'storage', 'EXCEED': 'exceeds',
    'UNSUPPORT': 'unsupported', 'ARGUMETS': 'arguments', 'PRGRAM': 'program', 'FLOARTING': 'floating',
    'UNACCESSABLE': 'inaccessible', 'DEVIE': 'device', 'UNKNOW': 'unknown', 'EXSIT': 'exist',
}
KEEP_UPPER = {'DA', 'BROM', 'NAND', 'NOR', 'EMMC', 'UFS', 'OTP', 'DRAM', 'SRAM', 'RAM', 'EMI', 'PLL', 'GPT',
              'PMT', 'USB', 'UART', 'COM', 'SLA', 'DAA', 'SBC', 'RSA', 'AES', 'GFH', 'OID', 'ASN1', 'MAUI',
              'FAT', 'FOTA', 'UA', 'ID', 'ECC', 'NFI', 'SDMMC', 'SOC', 'MBA', 'SV5', 'PSS', 'OAEP', 'EFUSE',
              'SECCFG', 'SECRO', 'MAC', 'RPMB', 'PC', 'IMEI', 'PID', 'SWV', 'MSP', 'DSP', 'CRC', 'EPP', 'VPP', 'FTL',
              'MMC', 'XML', 'RSC', 'SWID', 'DRAMC', 'BMT', 'ME', 'CS1', 'GADGET', 'META', 'CFT'}
PREFIXES = ('STATUS_SEC_', 'STATUS_', 'S_SECURITY_', 'S_BROM_', 'S_DA_', 'S_FT_', 'S_EPP_', 'S_PL_', 'S_',
            'XFLASH_SEC_', 'XFLASH_', 'CFT_', 'FT_', 'ERROR_', 'MTK_E_')


def fail(where, msg):
    sys.exit(f'gen_status: {where}: {msg}')


def spell(name):
    rest = name
    for p in PREFIXES:
        if rest.startswith(p) and len(rest) > len(p):
            rest = rest[len(p):]
            break
    out = []
    for w in rest.split('_'):
        up = w.upper()
        if up in WORDS:
            out.append(WORDS[up])
        elif up in KEEP_UPPER or any(c.isdigit() for c in w):
            out.append(up)
        else:
            out.append(w.lower())
    text = ' '.join(out)
    return text[:1].upper() + text[1:]


def parse_codes(path):
    table, cur, rows = None, None, []
    for no, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split('#', 1)[0].strip()
        where = f'{path.name}:{no}'
        if not line:
            continue
        if line.startswith('@table '):
            table, cur = line.split()[1], None
            if table not in TABLES:
                fail(where, f'unknown table {table}')
            continue
        parts = line.split()
        if len(parts) == 2:
            cur = int(parts[0], 0)
        elif len(parts) == 1 and cur is not None:
            cur += 1
        else:
            fail(where, 'expected "VALUE NAME" or "NAME"')
        if table is None:
            fail(where, 'code before @table')
        if not re.fullmatch(r'[A-Za-z][A-Za-z0-9_]*', parts[-1]):
            fail(where, f'bad name {parts[-1]!r}')
        rows.append({'table': table, 'value': cur, 'name': parts[-1], 'where': where})
    return rows


def parse_mtk_e(path):
    rows = []
    for no, line in enumerate(path.read_text().splitlines(), 1):
        m = re.match(r'\s*(MTK_E_[A-Z]+)\s*=\s*(-\d+),', line)
        if m:
            rows.append({'table': 'mtkflash', 'value': int(m.group(2)), 'name': m.group(1),
                         'where': f'{path.name}:{no}'})
    if not rows:
        fail(path.name, 'no MTK_E_* found')
    return rows


def parse_texts(path):
    groups, texts = [], {}
    for no, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        where = f'{path.name}:{no}'
        if not line or line.startswith('#'):
            continue
        fields = [f.strip() for f in line.split('|')]
        if len(fields) != 4:
            fail(where, 'expected 4 fields separated by |')
        if fields[0].startswith('@group '):
            g = fields[0].split()
            if len(g) != 4 or g[1] not in TABLES:
                fail(where, '@group TABLE LO HI')
            groups.append({'table': g[1], 'lo': int(g[2], 0), 'hi': int(g[3], 0), 'label': fields[1],
                           'causes': fields[2], 'fix': fields[3]})
        else:
            if fields[0] in texts:
                fail(where, f'{fields[0]} described twice')
            texts[fields[0]] = {'meaning': fields[1], 'causes': fields[2], 'fix': fields[3], 'where': where}
    return groups, texts


def build(root):
    data = root / 'data' / 'status'
    rows = parse_codes(data / 'spft5.codes') + parse_codes(data / 'other.codes')
    # An older generation's row that says what v5.1952 says is the same fact: keep one.
    v5 = {(r['name'], r['value']) for r in rows if r['table'] == 'spft5'}
    rows = [r for r in rows if r['table'] != 'maui' or (r['name'], r['value']) not in v5]
    rows += parse_mtk_e(root / 'include' / 'mtkflash' / 'core.h')
    groups, texts = parse_texts(data / 'texts.txt')
    seen = set()
    for r in rows:
        key = (r['table'], r['name'])
        if key in seen:
            fail(r['where'], f'{r["name"]} twice in table {r["table"]}')
        seen.add(key)
        g = next((g for g in groups if g['table'] == r['table'] and g['lo'] <= r['value'] <= g['hi']), None)
        if g is None:
            fail(r['where'], f'{r["name"]} ({r["value"]:#x}) has no @group')
        t = texts.get(r['name'], {})
        r['described'] = bool(t.get('meaning'))
        r['meaning'] = t.get('meaning') or f'{g["label"]}: {spell(r["name"])}.'
        r['causes'] = t.get('causes') or g['causes']
        r['fix'] = t.get('fix') or g['fix']
        r['group'] = g['label']
    names = {r['name'] for r in rows}
    for name, t in texts.items():
        if name not in names:
            fail(t['where'], f'text for unknown code {name}')
    order = list(TABLES)
    rows.sort(key=lambda r: (r['value'], order.index(r['table'])))  # stable: file order within a table
    return rows


def c_str(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def write_c(rows, out):
    lines = ['/* Generated by tools/gen_status.py from data/status/: do not edit. */',
             '#include "core/status_table.h"', '',
             'const struct mtk_status_table mtk_status_tables[] = {']
    for key, desc in TABLES.items():
        lines.append(f'\t{{ {c_str(key)}, {c_str(desc)} }},')
    lines += ['\t{ NULL, NULL },', '};', '',
              '/* Sorted by value, then by table: lib/core/status.c searches it. */',
              'const struct mtk_status mtk_status_entries[] = {']
    for r in rows:
        lines.append(f'\t{{ {c_str(r["name"])}, {c_str(r["table"])}, {r["value"]}LL, {c_str(r["meaning"])},')
        lines.append(f'\t  {c_str(r["causes"])}, {c_str(r["fix"])}, {"true" if r["described"] else "false"} }},')
    lines += ['};', 'const size_t mtk_status_entry_count = sizeof mtk_status_entries / sizeof mtk_status_entries[0];',
              '']
    if len(rows) > 0xFFFF:
        fail('data/status', f'{len(rows)} entries: the name index holds 16-bit positions')
    # Upper-cased ASCII compares as lib/core/status.c compares (toupper, byte
    # by byte, a prefix first); equal names keep the entries' order.
    by_name = sorted(range(len(rows)), key=lambda i: (rows[i]['name'].upper(), i))
    lines += ['/* Positions in mtk_status_entries, by name without regard to case. */',
              'const uint16_t mtk_status_by_name[] = {']
    for k in range(0, len(by_name), 12):
        lines.append('\t' + ' '.join(f'{i},' for i in by_name[k:k + 12]))
    lines += ['};', '']
    return '\n'.join(lines)


def forms(r):
    v = r['value']
    if v < 0:
        return str(v), ''
    if v > 0x7FFFFFFF:
        return f'{v:#010X}'.replace('0X', '0x'), f'{v - (1 << 32)}'
    return str(v), f'0x{v:X}'


def md_cell(s):
    return s.replace('|', '\\|')


def write_md(rows):
    out = ['<!-- Generated by tools/gen_status.py from data/status/: edit the data, then run',
           '     `tools/gen_status.py . --md docs/status-codes.md` (the test status_docs checks it). -->',
           '# Status codes', '',
           '`mtkflash explain CODE|NAME|LOG-LINE` prints one of these entries. Every number is shown with the '
           'table it comes from, because the same name can carry a different number in another SP Flash Tool '
           'generation, and the same number can mean different things.', '',
           f'{len(rows)} entries. Tables:', '']
    for key, desc in TABLES.items():
        n = sum(1 for r in rows if r['table'] == key)
        out.append(f'- `{key}` ({n}): {desc}')
    out.append('')
    out.append('Entries marked * have their own text; the others are described by their range and name.')
    for key, desc in TABLES.items():
        out += ['', f'## {key}: {desc}', '', '| Name | Value | Other form | Meaning | Likely causes | What to do |',
                '|---|---|---|---|---|---|']
        for r in (r for r in rows if r['table'] == key):
            a, b = forms(r)
            star = '*' if r['described'] else ''
            out.append(f'| `{r["name"]}`{star} | {a} | {b} | {md_cell(r["meaning"])} | {md_cell(r["causes"])} '
                       f'| {md_cell(r["fix"])} |')
    return '\n'.join(out) + '\n'


def main(argv):
    if len(argv) != 4 or argv[2] not in ('--c', '--md', '--check-md'):
        sys.exit(__doc__)
    root, mode, path = Path(argv[1]), argv[2], Path(argv[3])
    rows = build(root)
    if mode == '--c':
        path.write_text(write_c(rows, path))
    elif mode == '--md':
        path.write_text(write_md(rows))
    elif path.read_text() != write_md(rows):
        sys.exit(f'{path} is out of date: run tools/gen_status.py . --md {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
