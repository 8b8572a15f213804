#!/usr/bin/env python3
"""Issue 10, item 5 on real Xen: the five boots' raw figures (runN.raw,
the RXB lines of make bench-realxen with RX_BENCH_POLL_US="200 2000")
-> per-boot figures and ratios, and their median (min-max) over boots.
    python3 summary.py [DIR]"""
import glob, statistics as st, sys, re, os
from collections import defaultdict

runs = sorted(glob.glob((sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))) + '/run[0-9]*.raw'),
              key=lambda p: int(re.search(r'run(\d+)', p).group(1)))
polls = ['xp200', 'xp2000']
V = ['x'] + polls + ['u']
conns = ['sock', 'pty']

def load(path):
    vals = defaultdict(list); cpu = defaultdict(lambda: [0, 0, 0])
    for line in open(path):
        f = line.split()
        if not f: continue
        k = f[0]
        if k.startswith('cpu.'):
            c = cpu[k[4:]]
            c[0] += int(f[1]); c[1] += int(f[2]); c[2] += int(f[3])
        elif k.split('.')[0] in ('g2h', 'h2g', 'rtt'):
            vals[k].append(float(f[1]))
    return vals, cpu

per = []  # per run: dict of (metric, conn, variant) -> value
for p in runs:
    vals, cpu = load(p)
    d = {}
    for c in conns:
        for v in V:
            for m in ('g2h', 'h2g'):
                xs = vals.get(f'{m}.pv.{v}.{c}', [])
                if xs:
                    d[(m, c, v)] = max(xs)
                    d[(m + '_med', c, v)] = st.median(xs)
                cc = cpu.get(f'{m}.pv.{v}.{c}')
                if cc and cc[0]:
                    d[('cpu_' + m, c, v)] = cc[2] / 1e6 / (cc[0] / 1048576)  # ms per MiB
            xs = vals.get(f'rtt.pv.{v}.{c}', [])
            if xs:
                d[('rtt', c, v)] = st.median(xs)
            cc = cpu.get(f'rtt.pv.{v}.{c}')
            if cc and cc[0]:
                d[('cpu_rtt', c, v)] = cc[2] / 1e3 / cc[0]  # us per request
    per.append((p, d))

def mm(xs):
    return st.median(xs), min(xs), max(xs)

def fmt(t, nd=2):
    m, lo, hi = t
    return f'{m:.{nd}f} ({lo:.{nd}f}–{hi:.{nd}f})'

labels = {'g2h': 'guest→host KiB/s (best of rounds)',
          'h2g': 'host→guest KiB/s (best of rounds)',
          'g2h_med': 'guest→host KiB/s (median of rounds)',
          'h2g_med': 'host→guest KiB/s (median of rounds)',
          'rtt': 'round trip ms (median)',
          'cpu_g2h': 'CPU ms/MiB, guest→host',
          'cpu_h2g': 'CPU ms/MiB, host→guest',
          'cpu_rtt': 'CPU µs/round trip'}
print(f'{len(per)} runs:', ', '.join(os.path.basename(p)[:-4] for p, _ in per))
print()
print('## Figures, median (min–max) over runs')
print('| measure | kind | no poll | poll 200 | poll 2000 | QEMU |')
print('|---|---|---:|---:|---:|---:|')
for m in ('g2h', 'h2g', 'rtt', 'cpu_g2h', 'cpu_h2g', 'cpu_rtt', 'g2h_med', 'h2g_med'):
    for c in conns:
        cells = []
        for v in V:
            xs = [d[(m, c, v)] for _, d in per if (m, c, v) in d]
            cells.append(fmt(mm(xs), 2 if m == 'rtt' else 0) if xs else '-')
        print(f'| {labels[m]} | {c} | ' + ' | '.join(cells) + ' |')
print()
print('## Ratios, per run then median (min–max) over runs')
print('| measure | kind | no poll / QEMU | poll 200 / no poll | poll 200 / QEMU | poll 2000 / no poll | poll 2000 / QEMU |')
print('|---|---|---:|---:|---:|---:|---:|')
for m in ('g2h', 'h2g', 'rtt', 'cpu_g2h', 'cpu_h2g', 'cpu_rtt', 'g2h_med', 'h2g_med'):
    for c in conns:
        cells = []
        for a, b in (('x', 'u'), ('xp200', 'x'), ('xp200', 'u'), ('xp2000', 'x'), ('xp2000', 'u')):
            xs = [d[(m, c, a)] / d[(m, c, b)] for _, d in per
                  if (m, c, a) in d and (m, c, b) in d and d[(m, c, b)] > 0]
            cells.append(fmt(mm(xs)) if xs else '-')
        print(f'| {labels[m]} | {c} | ' + ' | '.join(cells) + ' |')
print()
print('## Per run (poll/no-poll ratios)')
for p, d in per:
    name = os.path.basename(p)[:-4]
    row = []
    for m in ('g2h', 'h2g', 'rtt', 'cpu_g2h', 'cpu_h2g', 'cpu_rtt'):
        for c in conns:
            r = [f"{d[(m,c,v)]/d[(m,c,'x')]:.2f}" if (m,c,v) in d and (m,c,'x') in d else '-' for v in polls]
            row.append(f'{m}/{c} ' + '/'.join(r))
    print(name + ': ' + '; '.join(row))
