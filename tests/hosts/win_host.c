/* A Windows host of the demo library (tests/windows_wine.rs): linked against rt0_demo.dll's
 * import library, or, built with -DRT0_LOADLIBRARY, loading it with LoadLibraryW at run time.
 *   win_host report     ready, creator, argv as init saw it, which threads ran entry and init
 *   win_host threads    16 threads call rt0_demo_ready during a slow init; all must get 1
 *   win_host fail       init fails on request: ready 0 and the failure message
 * Output: key=value lines on stdout. */
#include <windows.h>
#include <stdio.h>
#include <string.h>

typedef int (*ready_fn)(void);
typedef long long (*tid_fn)(void);
typedef int (*argc_fn)(void);
typedef const char *(*argv_fn)(int);
typedef const char *(*str_fn)(void);

static ready_fn demo_ready;
static tid_fn demo_entry_tid, demo_init_tid;
static argc_fn demo_argc, demo_state;
static argv_fn demo_argv;
static str_fn demo_path, demo_error;

#ifdef RT0_LOADLIBRARY
static void load(void) {
  HMODULE h = LoadLibraryW(L"rt0_demo.dll");
  if (!h) { printf("loadlibrary_error=%lu\n", GetLastError()); exit(2); }
#define GET(var, name) var = (void *)GetProcAddress(h, #name)
#else
#include "rt0_demo.h"
static void load(void) {
#define GET(var, name) var = (void *)&name
#endif
  GET(demo_ready, rt0_demo_ready); GET(demo_entry_tid, rt0_demo_entry_tid);
  GET(demo_init_tid, rt0_demo_init_tid); GET(demo_argc, rt0_demo_argc);
  GET(demo_argv, rt0_demo_argv); GET(demo_path, rt0_demo_path);
  GET(demo_error, rt0_demo_error); GET(demo_state, rt0_demo_state);
}

static volatile LONG ready_count;
static DWORD WINAPI waiter(LPVOID unused) {
  (void)unused;
  if (demo_ready() == 1) InterlockedIncrement(&ready_count);
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "report";
  load();
  printf("main_tid=%lu\n", GetCurrentThreadId());
  if (!strcmp(mode, "threads")) {
    HANDLE t[16];
    printf("state_before=%d\n", demo_state());
    for (int i = 0; i < 16; i++) t[i] = CreateThread(NULL, 0, waiter, NULL, 0, NULL);
    WaitForMultipleObjects(16, t, TRUE, 60000);
    printf("ready_threads=%ld\n", ready_count);
    return 0;
  }
  int ready = demo_ready();
  printf("ready=%d\n", ready);
  if (!strcmp(mode, "fail")) {
    const char *e = demo_error();
    printf("error=%s\n", e ? e : "(none)");
    return 0;
  }
  printf("path=%s\n", demo_path());
  printf("entry_tid=%lld\ninit_tid=%lld\n", demo_entry_tid(), demo_init_tid());
  int n = demo_argc();
  printf("argc=%d\n", n);
  for (int i = 0; i < n; i++) printf("argv[%d]=%s\n", i, demo_argv(i));
  return 0;
}
