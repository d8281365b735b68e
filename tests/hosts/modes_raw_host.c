/* A host linked to tests/crates/modes/raw (the raw creator; tests/start_modes.rs), compiled with
 * -Wall -Werror against the header cbindgen made from it. Prints key=value lines.
 *   modes_raw_host            the status at main, then the export (its first call)
 *   modes_raw_host explicit   the export before modes_raw_start(), then after */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "modes_raw.h"

static void report_status(const char *key) {
    const char *message = "(not written)";
    int code = modes_raw_status(&message);
    printf("%s=%d\n%s_message=%s\n", key, code, key, message ? message : "(null)");
}

int main(int argc, char **argv) {
    printf("pid=%d\n", (int)getpid());
    report_status("status_at_main");
    printf("runs_at_main=%u\ninit_tid_at_main=%llu\n", modes_raw_init_runs(),
           (unsigned long long)modes_raw_init_tid());
    if (argc > 1 && !strcmp(argv[1], "explicit")) {
        printf("add_before_start=%d\n", modes_raw_add(1));
        report_status("status_before_start");
        modes_raw_start();
    }
    printf("add=%d\n", modes_raw_add(2));
    report_status("status");
    printf("runs=%u\ninit_tid=%llu\nis_raw=%d\n", modes_raw_init_runs(),
           (unsigned long long)modes_raw_init_tid(), modes_raw_is_raw());
    return 0;
}
