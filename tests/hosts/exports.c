/* Calls the exports of tests/crates/exports (linked statically or as a shared library) and
 * prints what they returned, as key=value lines. */
#include <stdio.h>

int ex_plain(void);
int ex_add(int x);
int ex_panic(int x);
void ex_unit(void);
int ex_init_state(void);
int ex_wait_ms(int ms);
const char *ex_error(void);

int main(void) {
    printf("state_at_main=%d\n", ex_init_state());   /* 1 during a slow init */
    printf("wait_10ms=%d\n", ex_wait_ms(10));        /* 1: timed out during a slow init */
    printf("add=%d\n", ex_add(2));                    /* waits: 42, or -1 after a failed init */
    printf("state_after_add=%d\n", ex_init_state());
    printf("wait_after=%d\n", ex_wait_ms(0));        /* 0: done, at once */
    printf("plain=%d\n", ex_plain());                 /* 41, or -100 */
    printf("panic_0=%d\n", ex_panic(0));              /* 0 */
    fflush(stdout);
    printf("panic_1=%d\n", ex_panic(1));              /* -2: the panic stopped at the boundary */
    ex_unit();
    printf("unit=returned\n");
    printf("error=%s\n", ex_error());
    printf("host_alive=1\n");
    return 0;
}
