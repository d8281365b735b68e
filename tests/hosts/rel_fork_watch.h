/* For the fork hosts (rel_fork.c, rel_fork_after.c): a thread that watches /proc/self/task while
 * a fork child's first export waits, so the child can tell that its library's init ran on one
 * of its own threads (a thread id the watcher saw in the child's task list), not in the parent.
 * Under qemu-user /proc/self/task is the host's, where the guest's threads have the same ids. */
#ifndef REL_FORK_WATCH_H
#define REL_FORK_WATCH_H
#include "rel_api.h"
#include <pthread.h>

struct rel_watch {
    pthread_t thread;
    int stop;
    int count;
    long long tids[64];
};

static void *rel_watch_run(void *arg) {
    struct rel_watch *w = arg;
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        DIR *d = opendir("/proc/self/task");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            long long tid = atoll(e->d_name);
            int known = 0;
            for (int i = 0; i < w->count; i++) known |= w->tids[i] == tid;
            if (!known && w->count < 64) w->tids[w->count++] = tid;
        }
        if (d) closedir(d);
        rel_sleep_ms(1);
    }
    return NULL;
}

/* Starts watching; exits 2 if the thread cannot start. */
static void rel_watch_start(struct rel_watch *w) {
    memset(w, 0, sizeof *w);
    if (pthread_create(&w->thread, NULL, rel_watch_run, w) != 0) {
        fprintf(stderr, "rel_watch: pthread_create failed\n");
        exit(2);
    }
}

/* Stops watching; returns whether `tid` was ever one of this process's threads meanwhile. */
static int rel_watch_stop_saw(struct rel_watch *w, long long tid) {
    __atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
    pthread_join(w->thread, NULL);
    for (int i = 0; i < w->count; i++)
        if (w->tids[i] == tid) return 1;
    return 0;
}
#endif
