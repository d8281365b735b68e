"""tests/lifecycle.rs (a): ctypes.CDLL(path), an export call, _ctypes.dlclose(handle), N times in
one process; every 4th time the loop waits until the library is unmapped, so at least N/4 loads
are fresh ones that run rt0's entry and init again. Then it waits (up to 20 s) until the thread
count and the library's mappings are back where they started. Prints key=value lines.

usage: python3 lc_loop.py <path to the cdylib> <iterations>"""

import _ctypes
import ctypes
import os
import sys
import time

so, iterations = sys.argv[1], int(sys.argv[2])


def threads():
    return len(os.listdir("/proc/self/task"))


def lib_maps():
    with open("/proc/self/maps") as f:
        return sum(so in line for line in f)


def wait_until(cond, seconds):
    end = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.001)
    return True


threads_start, maps_start = threads(), lib_maps()
ok = fresh = waits_failed = 0
for i in range(iterations):
    fresh += lib_maps() == 0
    lib = ctypes.CDLL(so)
    lib.std_init_thread_sum.restype = ctypes.c_longlong
    lib.std_init_tokio_sum.restype = ctypes.c_longlong
    ok += lib.std_init_ready() == 1 and lib.std_init_thread_sum() == 55 and lib.std_init_tokio_sum() == 204
    _ctypes.dlclose(lib._handle)
    del lib
    if i % 4 == 3 and not wait_until(lambda: lib_maps() == 0, 10):
        waits_failed += 1

settled = wait_until(lambda: threads() == threads_start and lib_maps() == maps_start, 20)
print(f"iterations={iterations}")
print(f"ok={ok}")
print(f"fresh_loads={fresh}")
print(f"waits_failed={waits_failed}")
print(f"settled={int(settled)}")
print(f"threads_start={threads_start}")
print(f"threads_end={threads()}")
print(f"lib_maps_start={maps_start}")
print(f"lib_maps_end={lib_maps()}")
