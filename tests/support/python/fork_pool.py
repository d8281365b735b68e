"""tests/fork_policy.rs: a Python `multiprocessing` pool with the fork start method over forky
(on_fork = reinit), through ctypes. The parent loads the library, then either waits for its
init (`after`: the pool's workers are forked after init) or not (`during`: they are forked while
init runs, FORKY_INIT_SLEEP_MS), and maps TASKS tasks over a Pool(4), one at a time (each worker's first task waits until all four
workers have one, so every worker takes part). Each task calls the
exports in its worker and returns what they answered; a task is right when its answers came
from the worker's own init (its pid), its worker thread and its tokio runtime. The map is
bounded (60 s): a pool that hangs is reported and terminated. Prints key=value lines.

usage: python3 fork_pool.py <path to libforky.so> after|during <tasks>"""

import ctypes
import multiprocessing
import os
import sys
import time

so, mode, tasks = sys.argv[1], sys.argv[2], int(sys.argv[3])
lib = ctypes.CDLL(so)
for name in ("forky_init_pid", "forky_square", "forky_tokio", "forky_worker_tid"):
    getattr(lib, name).restype = ctypes.c_longlong
for name in ("forky_square", "forky_tokio"):
    getattr(lib, name).argtypes = [ctypes.c_longlong]
lib.forky_kind.restype = ctypes.c_char_p


WORKERS = 4
# Each worker's first task waits here until every worker has one, so all of them take part.
barrier = None
first_task = True


def keep_barrier(b):
    global barrier
    barrier = b


def task(n):
    """Runs in a pool worker: what the library answers there."""
    global first_task
    if first_task:
        first_task = False
        barrier.wait(timeout=30)
    return {
        "n": n,
        "pid": os.getpid(),
        "init_pid": lib.forky_init_pid(),
        "square": lib.forky_square(n),
        "tokio": lib.forky_tokio(n),
        "inits": lib.forky_inits(),
        "kind": lib.forky_kind().decode(),
    }


def right(r):
    n = r["n"]
    return (r["init_pid"] == r["pid"] and r["square"] == n * n and r["tokio"] == n * n * n
            and r["inits"] == 1 and r["kind"] == "ok")


if mode == "after":
    assert lib.forky_square(4) == 16, "the parent's first answer"
print(f"parent_state_at_fork={lib.forky_state()}", flush=True)
t0 = time.monotonic()
results, hung = [], 0
ctx = multiprocessing.get_context("fork")
pool = ctx.Pool(WORKERS, initializer=keep_barrier, initargs=(ctx.Barrier(WORKERS),))
try:
    results = pool.map_async(task, range(1, tasks + 1), chunksize=1).get(timeout=60)
    pool.close()
except multiprocessing.TimeoutError:
    hung = 1
    pool.terminate()
pool.join()
wrong = [r for r in results if not right(r)]
print(f"hung={hung}")
print(f"tasks={len(results)}")
print(f"right={len(results) - len(wrong)}")
print(f"first_wrong={wrong[0] if wrong else '(none)'}")
print(f"workers={len({r['pid'] for r in results})}")
print(f"parent_pid={os.getpid()}")
print(f"workers_not_parent={int(all(r['pid'] != os.getpid() for r in results))}")
print(f"map_s={time.monotonic() - t0:.2f}")
print(f"parent_init_pid={lib.forky_init_pid()}")
print(f"parent_square={lib.forky_square(6)}")
print(f"parent_tokio={lib.forky_tokio(6)}")
print(f"parent_inits={lib.forky_inits()}")
