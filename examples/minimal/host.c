/* cc host.c -L../../target/debug -lrt0_minimal -Wl,-rpath,../../target/debug && ./a.out x y */
#include <stdio.h>

const char *minimal_greeting(void);

int main(void) {
    const char *greeting = minimal_greeting();   /* waits for the library's init */
    printf("%s\n", greeting ? greeting : "init failed");
    return greeting ? 0 : 1;
}
