/* dlclose while init runs (the demo's init sleeps; run with RT0_TRACE=1): dlclose returns at
 * once. Right after it returned the host writes `host: dlclose returned` to fd 2, where rt0's
 * trace lines go too, so the order of that line and the init thread's `init done` shows whether
 * dlclose waited. Then the image stays mapped (rt0 pins it for the life of the process, both
 * creators), so the host may still call the export it resolved before and watch init finish
 * there. Built with -DRT0_DLOPEN only. */
#include "rel_api.h"
#include <unistd.h>

static void say(const char *line) {
    if (write(2, line, strlen(line)) < 0) exit(3);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    const char *so = getenv("RT0_DEMO_SO");
    int threads_start = rel_count_threads();
    rel_load();
    int state_before_close = rt0_demo_state();       /* does not wait */
    int threads_with_init = rel_count_threads();
    int close_result = dlclose(rel_handle);
    say("host: dlclose returned\n");
    int lib_maps_after_close = rel_count_maps(so);
    int threads_after_close = rel_count_threads();
    printf("state_before_close=%d\nclose_result=%d\nlib_maps_after_close=%d\n", state_before_close, close_result,
           lib_maps_after_close);
    printf("threads_start=%d\nthreads_with_init=%d\nthreads_after_close=%d\n", threads_start, threads_with_init,
           threads_after_close);
    /* The image is pinned for good: the pointers resolved before dlclose stay valid. */
    printf("state_after_close=%d\n", rt0_demo_state());
    int state = 1;
    for (int i = 0; i < 10000 && (state = rt0_demo_state()) == 1; i++) rel_sleep_ms(1);
    printf("state_end=%d\n", state);
    printf("threads_end=%d\n", rel_settled_threads(threads_start));
    printf("lib_maps_end=%d\n", rel_count_maps(so));
    void *still = dlopen(so, RTLD_NOW | RTLD_NOLOAD);
    printf("loaded_end=%d\n", still != NULL);
    if (still) dlclose(still);
    return 0;
}
