"""Loads tests/crates/panic-init with ctypes (PANIC_STACK_SIZE=1 in the environment: its
stack_size function panics on the loader's thread, during ctypes.CDLL) and prints what the
exports answer. Usage: panic_stack_size.py LIBRARY. Prints key=value lines."""
import ctypes
import sys

lib = ctypes.CDLL(sys.argv[1])
lib.panicky_kind.restype = ctypes.c_char_p
lib.panicky_error.restype = ctypes.c_char_p
error = lib.panicky_error()
print(f"ready={lib.panicky_ready()}")
print(f"kind={lib.panicky_kind().decode()}")
print(f"error={'(none)' if error is None else error.decode()}")
print("host_alive=1")
