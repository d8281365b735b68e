/* The exports of tests/crates/std-init (tests/lifecycle.rs). */
#ifndef LC_STD_INIT_H
#define LC_STD_INIT_H
int std_init_ready(void);
long long std_init_thread_sum(void);
long long std_init_tokio_sum(void);
const char *std_init_kind(void);
int std_init_state(void);
int std_init_tls_dtor_ran(void);
#endif
