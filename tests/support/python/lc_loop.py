"""tests/lifecycle.rs (a): ctypes.CDLL(path), an export call, _ctypes.dlclose(handle), N times in
one process. rt0 pins the library for the life of the process, so the first load runs its entry
and init and the others find it loaded: every dlclose must leave it mapped, the same mappings
each time. Then it waits (up to 20 s) until the thread count is back where it started (init's
thread and tokio's workers gone). Prints key=value lines.

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
ok = unmapped = 0
maps_pinned = None
for i in range(iterations):
    lib = ctypes.CDLL(so)
    lib.std_init_thread_sum.restype = ctypes.c_longlong
    lib.std_init_tokio_sum.restype = ctypes.c_longlong
    ok += lib.std_init_ready() == 1 and lib.std_init_thread_sum() == 55 and lib.std_init_tokio_sum() == 204
    _ctypes.dlclose(lib._handle)
    del lib
    maps_pinned = lib_maps() if maps_pinned is None else maps_pinned
    unmapped += lib_maps() != maps_pinned

settled = wait_until(lambda: threads() == threads_start, 20)
print(f"iterations={iterations}")
print(f"ok={ok}")
print(f"maps_changed_after_close={unmapped}")
print(f"lib_maps_pinned={maps_pinned}")
print(f"settled={int(settled)}")
print(f"threads_start={threads_start}")
print(f"threads_end={threads()}")
print(f"lib_maps_start={maps_start}")
print(f"lib_maps_end={lib_maps()}")
