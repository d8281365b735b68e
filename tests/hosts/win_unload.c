/* Unloading the demo DLL (tests/windows_wine.rs), loaded with LoadLibraryW. rt0 pins the DLL
 * for the life of the process, so FreeLibrary never unloads it:
 *   win_unload during-init   FreeLibrary while init sleeps (RT0_DEMO_INIT_SLEEP_MS): it returns
 *                            at once; the DLL stays, also after init ended, and answers
 *   win_unload rounds N      N rounds of LoadLibraryW, rt0_demo_ready, FreeLibrary: every round
 *                            finds the one library ready (one init thread); it is still loaded
 *                            afterwards, and no thread of rt0's is left
 * rt0's own threads are told apart from the loader's (a real Windows loader starts and ends
 * worker threads of its own, so the process's thread count says nothing about rt0): a thread
 * is rt0's when it starts in rt0_demo.dll's image. Each is held by a handle from the moment it
 * is seen, so its id cannot be reused before the check that it ended.
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

typedef LONG (NTAPI *query_thread_fn)(HANDLE, int, void *, ULONG, ULONG *);

/* Where a thread started (its CreateThread start routine): NtQueryInformationThread's
 * ThreadQuerySetWin32StartAddress (9), or NULL when it cannot be read. */
static void *start_address(HANDLE thread) {
  static query_thread_fn query;
  void *start = NULL;
  if (!query) query = (query_thread_fn)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationThread");
  if (!query || query(thread, 9, &start, sizeof start, NULL) != 0) return NULL;
  return start;
}

/* A handle on thread `tid` when it is alive, in this process and started inside `module`'s
 * image (rt0's init thread, whose start routine is rt0 code linked into the DLL); NULL when it
 * is gone (or its id now names another thread). */
static HANDLE rt0_thread(HMODULE module, DWORD tid) {
  const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)module;
  const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)((const char *)module + dos->e_lfanew);
  const char *lo = (const char *)module, *hi = lo + nt->OptionalHeader.SizeOfImage;
  HANDLE t = OpenThread(SYNCHRONIZE | THREAD_QUERY_INFORMATION, FALSE, tid);
  if (!t) return NULL;
  const char *start = start_address(t);
  if (GetProcessIdOfThread(t) != GetCurrentProcessId() || start < lo || start >= hi) {
    CloseHandle(t);
    return NULL;
  }
  return t;
}

/* Handles on the threads of this process that run rt0 code of `module`; returns how many. */
static int rt0_threads_now(HMODULE module, HANDLE *out, int max) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  THREADENTRY32 te;
  int n = 0;
  te.dwSize = sizeof te;
  if (snap == INVALID_HANDLE_VALUE) return -1;
  if (Thread32First(snap, &te)) do {
    if (te.th32OwnerProcessID != GetCurrentProcessId() || te.th32ThreadID == GetCurrentThreadId()) continue;
    HANDLE t = rt0_thread(module, te.th32ThreadID);
    if (t && n < max) out[n++] = t; else if (t) CloseHandle(t);
  } while (Thread32Next(snap, &te));
  CloseHandle(snap);
  return n;
}

/* How many of the held threads still run after up to 10 s (an init thread ends right after
 * init). Closes the handles. */
static int still_running(HANDLE *held, int n) {
  ULONGLONG t0 = GetTickCount64();
  int left = 0;
  for (int i = 0; i < n; i++) {
    ULONGLONG spent = GetTickCount64() - t0;
    DWORD wait = spent >= 10000 ? 0 : (DWORD)(10000 - spent);
    if (WaitForSingleObject(held[i], wait) != WAIT_OBJECT_0) left++;
    CloseHandle(held[i]);
  }
  return left;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "during-init";
  static HANDLE held[1024];
  int n_held = 0;
  int base = threads_of_this_process();
  printf("threads_before=%d\n", base);
  if (!strcmp(mode, "during-init")) {
    HMODULE h = LoadLibraryW(L"rt0_demo.dll");
    if (!h) { printf("loadlibrary_error=%lu\n", GetLastError()); return 2; }
    /* Init sleeps: its thread is alive now, and must be the one thread of rt0's. */
    n_held = rt0_threads_now(h, held, 1024);
    printf("rt0_threads_seen=%d\n", n_held);
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
    int rounds = argc > 2 ? atoi(argv[2]) : 200, ok = 0, accounted = 0, distinct = 0;
    long long first_tid = 0;
    if (rounds > 1024) rounds = 1024;
    for (int i = 0; i < rounds; i++) {
      HMODULE h = LoadLibraryW(L"rt0_demo.dll");
      if (!h) { printf("loadlibrary_error=%lu round=%d\n", GetLastError(), i); return 2; }
      int (*ready)(void) = (void *)GetProcAddress(h, "rt0_demo_ready");
      long long (*init_tid)(void) = (void *)GetProcAddress(h, "rt0_demo_init_tid");
      ok += ready() == 1;
      /* Init is done, so its thread may already have ended: either it is gone or it is held. */
      long long tid = init_tid();
      if (tid > 0) {
        if (tid != first_tid) distinct++;
        if (!first_tid) first_tid = tid;
        HANDLE t = rt0_thread(h, (DWORD)tid);
        if (t) held[n_held++] = t;
        accounted++;
      }
      FreeLibrary(h);
    }
    printf("rounds_ready=%d\n", ok);
    printf("init_threads_accounted=%d\n", accounted);
    printf("init_threads_distinct=%d\n", distinct);
    printf("loaded_after_rounds=%d\n", GetModuleHandleW(L"rt0_demo.dll") != NULL);
  }
  printf("rt0_threads_held=%d\n", n_held);
  printf("rt0_threads_left=%d\n", still_running(held, n_held));
  /* The whole process's count, for the record (under Wine no other thread comes or goes: the
   * test compares it there; a real loader's worker threads make it vary). */
  int now = threads_of_this_process();
  for (int i = 0; i < 400 && now > base; i++) { Sleep(5); now = threads_of_this_process(); }
  printf("threads_after=%d\n", now);
  return 0;
}
