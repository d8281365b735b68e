/* A Windows host that loads tests/crates/modes (modes.dll, one build per start mode) with
 * LoadLibraryW at run time and finds its exports with GetProcAddress, typed from the header
 * cbindgen made (tests/start_modes_cross.rs). Compiled by MinGW-w64 with -Wall -Werror.
 *   modes_win_loadlibrary            loads the DLL, reports where init stands, calls the exports
 *   modes_win_loadlibrary explicit   calls an export before modes_start(), then starts init
 * Prints key=value lines. */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "modes.h"

/* A pointer of the header's type for the export `name`, or exit 3 naming it. */
#define GET(name)                                                        \
    __typeof__(&name) p_##name = (__typeof__(&name))(void *)GetProcAddress(h, #name); \
    if (!p_##name) {                                                     \
        printf("missing=%s\n", #name);                                   \
        return 3;                                                        \
    }

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "calls";
    printf("main_tid=%lu\n", GetCurrentThreadId());
    HMODULE h = LoadLibraryW(L"modes.dll");
    if (!h) {
        printf("loadlibrary_error=%lu\n", GetLastError());
        return 2;
    }
    GET(modes_status);
    GET(modes_add);
    GET(modes_start);
    GET(modes_init_runs);
    GET(modes_init_tid);
    GET(modes_entry_tid);
    /* Right after the load: nothing called yet that waits or starts init. */
    printf("status_after_load=%d\nruns_after_load=%u\nentry_tid=%llu\n", p_modes_status(NULL),
           p_modes_init_runs(), (unsigned long long)p_modes_entry_tid());
    if (!strcmp(what, "explicit")) {
        printf("add_before_start=%d\n", p_modes_add(2));
        printf("status_before_start=%d\nruns_before_start=%u\n", p_modes_status(NULL),
               p_modes_init_runs());
        p_modes_start();
    }
    printf("add=%d\n", p_modes_add(2));
    p_modes_start();
    printf("add_again=%d\n", p_modes_add(0));
    const char *message = "(not written)";
    int status = p_modes_status(&message);
    printf("status=%d\nstatus_message=%s\n", status, message ? message : "(null)");
    printf("runs=%u\ninit_tid=%llu\n", p_modes_init_runs(),
           (unsigned long long)p_modes_init_tid());
    fflush(stdout);
    return 0;
}
