"""A Python host that changes its environment around loading the demo library with ctypes, as
tests/hosts/env_around_load.c does in C: os.environ[...] = ... calls setenv, so glibc's environ
becomes its own heap array before the load and is realloc'ed (the old array freed) by the 3000
new names after it. Usage: env_around_load.py LIBRARY [clearenv]. Prints key=value lines."""
import ctypes
import os
import sys

libc = ctypes.CDLL(None)


def count_environ():
    environ = ctypes.POINTER(ctypes.c_char_p).in_dll(libc, "environ")
    n = 0
    while environ[n] is not None:
        n += 1
    return n


os.environ["RT0_ENV_LOADTIME"] = "before"
os.environ["RT0_ENV_PUT"] = "put-before"
print(f"env_count_at_load={count_environ()}")
lib = ctypes.CDLL(sys.argv[1])
for i in range(3000):
    os.environ[f"RT0_ENV_NEW_{i}"] = "x"
os.environ["RT0_ENV_LOADTIME"] = "changed"
os.environ["RT0_ENV_PUT"] = "put-after"
if len(sys.argv) > 2 and sys.argv[2] == "clearenv":
    libc.clearenv()
print(f"host_sees_loadtime={os.getenv('RT0_ENV_LOADTIME')}")
sys.stdout.flush()

lib.rt0_demo_init_watched.restype = ctypes.c_char_p
lib.rt0_demo_env.restype = ctypes.c_char_p
lib.rt0_demo_env.argtypes = [ctypes.c_char_p]


def show(value):
    return "(null)" if value is None else value.decode()


print(f"init_watched={show(lib.rt0_demo_init_watched())}")
print(f"init_env_count={lib.rt0_demo_init_env_count()}")
for key, name in [("loadtime", b"RT0_ENV_LOADTIME"), ("put", b"RT0_ENV_PUT"),
                  ("new_0", b"RT0_ENV_NEW_0"), ("new_2999", b"RT0_ENV_NEW_2999")]:
    print(f"kept_{key}={show(lib.rt0_demo_env(name))}")
print("host_alive=1")
