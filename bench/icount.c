/* icount: counts the user-space instructions one function executes, call tree included, on the
 * thread that calls it, by single-stepping the traced program with ptrace.
 *
 *   icount OFFSET PROGRAM [ARGS...]
 *
 * OFFSET is the function's address in PROGRAM's ELF file (hex, from `nm`), for a PIE program
 * the offset from its load base. icount plants a breakpoint there, runs PROGRAM to it, then
 * single-steps until the function returns (the stack pointer rises above the return address
 * slot) and prints the count. Only the calling thread is traced: threads it creates run freely
 * (no PTRACE_O_TRACECLONE), so the count is what the loader's thread pays, the kernel excluded.
 * Used for the load-time entries (rt0_lib_entry, the C constructor, Go's _rt0_amd64_lib), where
 * valgrind cannot run rt0's raw path (its clone wrapper rejects CLONE_SETTLS with tls = 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(2); }

/* The lowest mapping of the program's own file: its load base (0 offset mapping). */
static uintptr_t load_base(pid_t pid, const char *prog) {
    char path[64], line[4096], exe[4096];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    if (n < 0) die("readlink exe");
    exe[n] = 0;
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) die("maps");
    uintptr_t base = 0;
    while (fgets(line, sizeof line, f)) {
        /* "lo-hi perms offset dev inode path" */
        char *p = line;
        unsigned long lo = strtoul(p, &p, 16);
        strtoul(p + 1, &p, 16);
        while (*p == ' ') p++;
        while (*p && *p != ' ') p++; /* perms */
        unsigned long off = strtoul(p, &p, 16);
        char *name = strchr(p, '/');
        if (name) name[strcspn(name, "\n")] = 0;
        if (name && off == 0 && strcmp(name, exe) == 0) {
            base = lo;
            break;
        }
    }
    fclose(f);
    if (!base) { fprintf(stderr, "icount: %s not found in maps\n", prog); exit(2); }
    return base;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: icount OFFSET PROGRAM [ARGS...]\n"); return 2; }
    uintptr_t offset = strtoull(argv[1], 0, 16);
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execv(argv[2], argv + 2);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) die("exec stop");
    /* A non-PIE program (ET_EXEC) has its symbols at absolute addresses already. */
    uintptr_t base = load_base(pid, argv[2]);
    uintptr_t addr = offset >= base ? offset : base + offset;
    errno = 0;
    long word = ptrace(PTRACE_PEEKTEXT, pid, (void *)addr, 0);
    if (errno) die("peek");
    if (ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)((word & ~0xffL) | 0xcc)) < 0) die("poke");
    if (ptrace(PTRACE_CONT, pid, 0, 0) < 0) die("cont");
    for (;;) {
        if (waitpid(pid, &st, 0) < 0) die("wait");
        if (WIFEXITED(st) || WIFSIGNALED(st)) { fprintf(stderr, "icount: function never ran\n"); return 1; }
        if (WSTOPSIG(st) == SIGTRAP) break;
        ptrace(PTRACE_CONT, pid, 0, (void *)(long)WSTOPSIG(st));
    }
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, pid, 0, &r);
    if (r.rip != addr + 1) { fprintf(stderr, "icount: unexpected trap at %llx\n", r.rip); return 1; }
    ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)word); /* restore, rewind to the entry */
    r.rip = addr;
    ptrace(PTRACE_SETREGS, pid, 0, &r);
    unsigned long long entry_sp = r.rsp; /* points at the return address */
    unsigned long long count = 0;
    for (;;) {
        if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0) die("step");
        if (waitpid(pid, &st, 0) < 0) die("wait");
        if (WIFEXITED(st) || WIFSIGNALED(st)) break;
        count++;
        if (WSTOPSIG(st) != SIGTRAP) { /* a signal: deliver it and keep stepping */
            ptrace(PTRACE_SINGLESTEP, pid, 0, (void *)(long)WSTOPSIG(st));
            continue;
        }
        ptrace(PTRACE_GETREGS, pid, 0, &r);
        if (r.rsp > entry_sp) break; /* `ret` popped the return address: the function returned */
    }
    printf("%llu\n", count);
    /* Let the rest of the program run untraced; report its exit status. */
    ptrace(PTRACE_DETACH, pid, 0, 0);
    while (waitpid(pid, &st, 0) >= 0 && !(WIFEXITED(st) || WIFSIGNALED(st))) {}
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
