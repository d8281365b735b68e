/* A host linked to tests/crates/modes (tests/start_modes.rs), compiled with -Wall -Werror against
 * the header cbindgen made from the crate. Prints key=value lines.
 *   modes_host            what init did before main, then the exports' answers (no start call)
 *   modes_host idle       waits 300 ms, then reports init's runs and status, calling nothing that
 *                         waits or starts init
 *   modes_host explicit   calls the exports before modes_start() (timed), then starts init and
 *                         calls them again */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "modes.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* modes_status with its message, as `<key>=<code>` and `<key>_message=<text or (null)>`. */
static void report_status(const char *key) {
    const char *message = "(not written)";
    int code = modes_status(&message);
    printf("%s=%d\n%s_message=%s\n", key, code, key, message ? message : "(null)");
    if (modes_status(NULL) != code) printf("%s_without_message=%d\n", key, modes_status(NULL));
}

/* The exports that wait for init, stateful and stateless. */
static void report_calls(const char *suffix) {
    const int32_t values[] = {1, 2, 3};
    printf("add%s=%d\n", suffix, modes_add(2));
    printf("sum%s=%lld\n", suffix, (long long)modes_sum(values, 3));
    printf("ready%s=%d\n", suffix, modes_ready());
    printf("helper_tid%s=%llu\n", suffix, (unsigned long long)modes_helper_tid());
}

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "calls";
    printf("pid=%d\n", (int)getpid());
    report_status("status_at_main");
    printf("runs_at_main=%u\ninit_tid_at_main=%llu\nentry_tid=%llu\n", modes_init_runs(),
           (unsigned long long)modes_init_tid(), (unsigned long long)modes_entry_tid());
    if (!strcmp(what, "idle")) {
        struct timespec d = {0, 300 * 1000 * 1000};
        while (nanosleep(&d, &d) != 0) {}
        report_status("status_after_idle");
        printf("runs_after_idle=%u\n", modes_init_runs());
        return 0;
    }
    if (!strcmp(what, "explicit")) {
        double t0 = now_us();
        int add = modes_add(1);
        double t1 = now_us();
        printf("first_call_before_start=%d\nfirst_call_before_start_us=%.0f\n", add, t1 - t0);
        report_calls("_before_start");
        report_status("status_before_start");
        printf("runs_before_start=%u\n", modes_init_runs());
        modes_start();
    }
    report_calls("");
    /* A second start (or the first, in the modes that started already) does nothing. */
    modes_start();
    printf("add_again=%d\n", modes_add(0));
    report_status("status");
    printf("runs=%u\ninit_tid=%llu\n", modes_init_runs(), (unsigned long long)modes_init_tid());
    return 0;
}
