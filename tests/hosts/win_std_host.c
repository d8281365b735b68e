/* A Windows host of the std library tests/hosts/win_std_lib.rs (tests/windows_wine.rs): linked
 * against win_std_user.dll's import library or its static library, or, built with
 * -DWIN_STD_LOADLIBRARY, loading the DLL with LoadLibraryW at run time.
 *   win_std_host [args...]   every argument is reported back as init saw it
 * Argument "twice" is counted by the library's HashMap; the worker thread is asked for n = 10.
 * With WIN_STD_FREE=1 (the LoadLibraryW host), the host then FreeLibrary()s the DLL while the
 * ticker init started keeps running, and lives on for 500 ms: the DLL must still be loaded.
 * Output: key=value lines on stdout. */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*int_fn)(void);
typedef long long (*tid_fn)(void);
typedef const char *(*str_fn)(void);
typedef const char *(*argv_fn)(int);
typedef int (*count_fn)(const char *);
typedef long long (*ask_fn)(long long);

static int_fn std_ready, std_argc;
static str_fn std_error;
static argv_fn std_argv;
static count_fn std_count;
static tid_fn std_init_tid, std_entry_tid, std_worker_tid, std_answer_during_init;
static ask_fn std_ask_worker;
static tid_fn std_ticks;
#ifdef WIN_STD_LOADLIBRARY
static HMODULE module;
#endif

#ifdef WIN_STD_LOADLIBRARY
static void load(void) {
  HMODULE h = module = LoadLibraryW(L"win_std_user.dll");
  if (!h) { printf("loadlibrary_error=%lu\n", GetLastError()); exit(2); }
#define GET(var, name) var = (void *)GetProcAddress(h, #name); if (!var) { printf("missing=%s\n", #name); exit(3); }
#else
int win_std_ready(void);
const char *win_std_error(void);
int win_std_argc(void);
const char *win_std_argv(int);
int win_std_count(const char *);
long long win_std_init_tid(void), win_std_entry_tid(void), win_std_worker_tid(void);
long long win_std_answer_during_init(void);
long long win_std_ask_worker(long long);
long long win_std_ticks(void);
static void load(void) {
#define GET(var, name) var = &name
#endif
  GET(std_ready, win_std_ready); GET(std_error, win_std_error);
  GET(std_argc, win_std_argc); GET(std_argv, win_std_argv); GET(std_count, win_std_count);
  GET(std_init_tid, win_std_init_tid); GET(std_entry_tid, win_std_entry_tid);
  GET(std_worker_tid, win_std_worker_tid);
  GET(std_answer_during_init, win_std_answer_during_init);
  GET(std_ask_worker, win_std_ask_worker); GET(std_ticks, win_std_ticks);
}

int main(void) {
  load();
  printf("main_tid=%lu\n", GetCurrentThreadId());
  int ready = std_ready();
  printf("ready=%d\n", ready);
  if (!ready) {
    const char *e = std_error();
    printf("error=%s\n", e ? e : "(none)");
    return 0;
  }
  printf("entry_tid=%lld\ninit_tid=%lld\nworker_tid=%lld\n", std_entry_tid(), std_init_tid(),
         std_worker_tid());
  int n = std_argc();
  printf("argc=%d\n", n);
  for (int i = 0; i < n; i++) printf("argv[%d]=%s\n", i, std_argv(i));
  printf("count_twice=%d\n", std_count("twice"));
  printf("answer_during_init=%lld\n", std_answer_during_init());
  printf("answer_after_init=%lld\n", std_ask_worker(10));
#ifdef WIN_STD_LOADLIBRARY
  const char *free_it = getenv("WIN_STD_FREE");
  if (free_it && !strcmp(free_it, "1")) {
    fflush(stdout);
    printf("free_result=%d\n", FreeLibrary(module) != 0);
    fflush(stdout);
    Sleep(500); /* the ticker wakes 50 times meanwhile: in the DLL's code */
    HMODULE still = GetModuleHandleW(L"win_std_user.dll");
    printf("loaded_after_free=%d\n", still != NULL);
    tid_fn ticks = still ? (void *)GetProcAddress(still, "win_std_ticks") : NULL;
    printf("ticks_after_free=%lld\n", ticks ? ticks() : -1);
    printf("alive_after_free=1\n");
  }
#endif
  return 0;
}
