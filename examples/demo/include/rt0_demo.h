/* rt0_demo.h: the C interface of rt0's demo library.
 *
 * Every function waits for the library's init first (rt0::wait_init_done), except where noted.
 * Environment knobs read by init from the environment saved at load time:
 *   RT0_DEMO_INIT_SLEEP_MS=N   init takes N ms
 *   RT0_DEMO_INIT_FAIL=1       init fails
 *   RT0_DEMO_STACK_BYTES=N     the init thread's stack size
 *   RT0_DEMO_INIT_OVERFLOW=1   init recurses until its stack overflows (dies on the guard page)
 *   RT0_DEMO_INIT_CALLS_EXPORT=1  init calls rt0_demo_ready() itself (must not deadlock)
 *   RT0_DEMO_WATCH=NAME        at its end, init reads NAME (see rt0_demo_init_watched)
 */
#ifndef RT0_DEMO_H
#define RT0_DEMO_H

#ifdef __cplusplus
extern "C" {
#endif

int rt0_demo_ready(void);                 /* 1 when init completed, 0 when it failed */
long long rt0_demo_entry_tid(void);       /* OS thread id that ran the load-time entry */
long long rt0_demo_init_tid(void);        /* OS thread id that ran init (darwin: thread_selfid) */
int rt0_demo_argc(void);                  /* argc as init saw it */
const char *rt0_demo_argv(int i);         /* argv[i] as init saw it, NULL past the end */
const char *rt0_demo_path(void);          /* "pthread" or "raw": which creator the entry used */
unsigned long long rt0_demo_init_sigmask(void); /* low 64 bits of init's blocked-signal mask (bit N-1 = signal N) */

/* Extras (not waiting, for tests and tools): */
int rt0_demo_state(void);                 /* 0 pending, 1 running, 2 done, 3 failed, 4 forked: no wait */
const char *rt0_demo_error(void);         /* the failure message, NULL when init did not fail; waits */
long long rt0_demo_thread_id(void);       /* the calling thread's OS thread id; no wait */
int rt0_demo_init_export_result(void);   /* init's own rt0_demo_ready(): 0 = returned 0 at once
                                             (CalledFromInit), -1 = not asked; waits */
unsigned long long rt0_demo_init_stack_addr(void); /* address of a local of init, 0 until set; no wait */

char *const *rt0_demo_envp(void);         /* the envp vector rt0 keeps (its copy); no wait */
const char *rt0_demo_init_watched(void);  /* at init's end, the value of RT0_DEMO_WATCH's NAME, or NULL; waits */
int rt0_demo_init_env_count(void);        /* environment entries init saw at its end; waits */
const char *rt0_demo_env(const char *name); /* name's value in rt0's copy of the environment, or NULL; no wait */
/* Calls rt0::newosproc0(stack_bytes, ...) with a start routine that does nothing: on failure the
 * process prints rt0's exact message on fd 2 and exits 1. Returns 0 once the thread exists. */
int rt0_demo_newosproc0(unsigned long long stack_bytes);
/* The fallible form: 0, or the errno; changes nothing on failure. */
int rt0_demo_try_newosproc0(unsigned long long stack_bytes);

#ifdef __cplusplus
}
#endif

#endif
