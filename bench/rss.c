/* rss: the peak resident set of one run of a program, its own address space only.
 *
 *   rss PROGRAM [ARGS...]     prints "VmHWM_KiB exit_status RssAnon_KiB RssFile_KiB minor_faults"
 *
 * getrusage/wait4's ru_maxrss (and so `/usr/bin/time -f %M`) is useless for small programs on
 * Linux: exec folds the forking parent's peak into the child's maxrss, so every small host
 * "uses" as much as its launcher. Instead the program runs under ptrace with
 * PTRACE_O_TRACEEXIT; at the exit stop its memory still exists and /proc/PID/status's VmHWM is
 * the peak of the address space exec created, all threads included. RssAnon and RssFile (at the
 * exit stop, not peaks) split it: private memory, and file pages mapped (shared text of the
 * program and its libraries, which the kernel's fault-around maps 64 KiB at a time). The minor
 * page faults come from /proc/PID/stat (all threads; a handful are the fork child's before exec).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: rss PROGRAM [ARGS...]\n"); return 2; }
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 2; }
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execv(argv[1], argv + 1);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) { perror("exec stop"); return 2; }
    ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)PTRACE_O_TRACEEXIT);
    ptrace(PTRACE_CONT, pid, 0, 0);
    long hwm = -1, anon = -1, file = -1, minflt = -1;
    for (;;) {
        if (waitpid(pid, &st, 0) < 0) { perror("wait"); return 2; }
        if (WIFEXITED(st) || WIFSIGNALED(st)) break;
        int sig = WSTOPSIG(st);
        if (sig == SIGTRAP && (st >> 16) == PTRACE_EVENT_EXIT) {
            char path[64], line[1024];
            snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
            FILE *f = fopen(path, "r");
            while (f && fgets(line, sizeof line, f))
                if (strncmp(line, "VmHWM:", 6) == 0) sscanf(line + 6, "%ld", &hwm);
                else if (strncmp(line, "RssAnon:", 8) == 0) sscanf(line + 8, "%ld", &anon);
                else if (strncmp(line, "RssFile:", 8) == 0) sscanf(line + 8, "%ld", &file);
            if (f) fclose(f);
            snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
            f = fopen(path, "r");
            if (f && fgets(line, sizeof line, f)) {
                char *p = strrchr(line, ')'); /* fields after the command name; minflt is the 10th */
                if (p) sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %ld", &minflt);
            }
            if (f) fclose(f);
            sig = 0;
        } else if (sig == SIGTRAP) {
            sig = 0;
        }
        ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    printf("%ld %d %ld %ld %ld\n", hwm, code, anon, file, minflt);
    return hwm < 0 || code != 0;
}
