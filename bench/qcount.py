"""Counts the instructions a function executes (callees included) on the thread that calls it,
for a non-PIE program run under qemu-user: the aarch64 counterpart of bench/icount.c.

usage: qcount.py ADDR_HEX QEMU_LOG

QEMU_LOG comes from `qemu-aarch64-static -singlestep -d exec,nochain -D QEMU_LOG prog`: one
"Trace CPU: HOST [FLAGS/PC/...]" line per executed instruction (singlestep makes every
translation block one instruction), CPU being qemu-user's per-thread index. The count runs on the
thread that first reaches ADDR, from ADDR until control returns to the instruction after the
call that reached it (the calling `bl`/`blr` plus 4).
"""
import re
import sys

addr = int(sys.argv[1], 16)
line_re = re.compile(r"^Trace (\d+): \S+ \[[0-9a-f]+/([0-9a-f]+)/")
prev = {}
cpu = ret = None
count = 0
with open(sys.argv[2]) as f:
    for line in f:
        m = line_re.match(line)
        if not m:
            continue
        c, pc = int(m.group(1)), int(m.group(2), 16)
        if cpu is None:
            if pc == addr:
                cpu, ret, count = c, prev.get(c, 0) + 4, 1
            prev[c] = pc
            continue
        if c != cpu:
            continue
        if pc == ret:
            print(count)
            sys.exit(0)
        count += 1
sys.exit("qcount: the function never returned (or never ran)")
