/* Unloading the demo DLL (tests/windows_wine.rs), loaded with LoadLibraryW:
 *   win_unload during-init   FreeLibrary while init sleeps (RT0_DEMO_INIT_SLEEP_MS): it returns
 *                            at once, the DLL stays (the init thread's reference) until init
 *                            ends, then it is unloaded
 *   win_unload rounds N      N rounds of LoadLibraryW, rt0_demo_ready, FreeLibrary: afterwards
 *                            no module and no extra thread is left
 * Output: key=value lines on stdout. */
#include <windows.h>
#include <tlhelp32.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int threads_of_this_process(void) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  THREADENTRY32 te;
  int n = 0;
  te.dwSize = sizeof te;
  if (snap == INVALID_HANDLE_VALUE) return -1;
  if (Thread32First(snap, &te)) do {
    if (te.th32OwnerProcessID == GetCurrentProcessId()) n++;
  } while (Thread32Next(snap, &te));
  CloseHandle(snap);
  return n;
}

/* Milliseconds until rt0_demo.dll is no longer loaded (-1: still loaded after 20 s). */
static long long wait_unloaded(void) {
  ULONGLONG t0 = GetTickCount64();
  while (GetModuleHandleW(L"rt0_demo.dll")) {
    if (GetTickCount64() - t0 > 20000) return -1;
    Sleep(5);
  }
  return (long long)(GetTickCount64() - t0);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "during-init";
  int base = threads_of_this_process();
  printf("threads_before=%d\n", base);
  if (!strcmp(mode, "during-init")) {
    HMODULE h = LoadLibraryW(L"rt0_demo.dll");
    if (!h) { printf("loadlibrary_error=%lu\n", GetLastError()); return 2; }
    int (*state)(void) = (void *)GetProcAddress(h, "rt0_demo_state");
    printf("state_after_load=%d\n", state());
    ULONGLONG t0 = GetTickCount64();
    FreeLibrary(h);
    printf("free_ms=%llu\n", GetTickCount64() - t0);
    printf("loaded_after_free=%d\n", GetModuleHandleW(L"rt0_demo.dll") != NULL);
    printf("unloaded_after_ms=%lld\n", (long long)(GetTickCount64() - t0) + wait_unloaded());
  } else {
    int rounds = argc > 2 ? atoi(argv[2]) : 200, ok = 0;
    for (int i = 0; i < rounds; i++) {
      HMODULE h = LoadLibraryW(L"rt0_demo.dll");
      if (!h) { printf("loadlibrary_error=%lu round=%d\n", GetLastError(), i); return 2; }
      int (*ready)(void) = (void *)GetProcAddress(h, "rt0_demo_ready");
      ok += ready() == 1;
      FreeLibrary(h);
    }
    printf("rounds_ready=%d\n", ok);
    printf("unloaded_after_ms=%lld\n", wait_unloaded());
  }
  /* The init threads end with FreeLibraryAndExitThread: give them a moment to be gone. */
  int now = threads_of_this_process();
  for (int i = 0; i < 400 && now > base; i++) { Sleep(5); now = threads_of_this_process(); }
  printf("threads_after=%d\n", now);
  return 0;
}
