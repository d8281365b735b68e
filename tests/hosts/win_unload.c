/* Unloading the demo DLL (tests/windows_wine.rs), loaded with LoadLibraryW. rt0 pins the DLL
 * for the life of the process, so FreeLibrary never unloads it:
 *   win_unload during-init   FreeLibrary while init sleeps (RT0_DEMO_INIT_SLEEP_MS): it returns
 *                            at once; the DLL stays, also after init ended, and answers
 *   win_unload rounds N      N rounds of LoadLibraryW, rt0_demo_ready, FreeLibrary: every round
 *                            finds the library ready; it is still loaded afterwards, and no
 *                            extra thread is left
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
    fflush(stdout);
    /* Past init's end: the pinned DLL is still there, and its exports answer. */
    HMODULE still = GetModuleHandleW(L"rt0_demo.dll");
    int (*ready)(void) = still ? (void *)GetProcAddress(still, "rt0_demo_ready") : NULL;
    printf("ready_after_free=%d\n", ready ? ready() : -1);
    printf("loaded_after_init=%d\n", GetModuleHandleW(L"rt0_demo.dll") != NULL);
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
    printf("loaded_after_rounds=%d\n", GetModuleHandleW(L"rt0_demo.dll") != NULL);
  }
  /* The init thread ends when init returns: give it a moment to be gone. */
  int now = threads_of_this_process();
  for (int i = 0; i < 400 && now > base; i++) { Sleep(5); now = threads_of_this_process(); }
  printf("threads_after=%d\n", now);
  return 0;
}
