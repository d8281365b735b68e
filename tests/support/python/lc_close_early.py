"""tests/lifecycle_unload.rs: load std-init (argv[1]) with ctypes.CDLL, dlclose it at once while
its init runs (_ctypes.dlclose), sleep argv[2] ms past init's end, print one line, exit 0."""
import _ctypes
import ctypes
import sys
import time

lib = ctypes.CDLL(sys.argv[1])
_ctypes.dlclose(lib._handle)
time.sleep(int(sys.argv[2]) / 1000)
print("python host done")
