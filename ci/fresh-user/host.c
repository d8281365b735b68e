/* A C host of fresh-user, linked statically, dynamically or with musl-gcc -static: prints what
 * the exports returned as key=value lines, and exits 0 when init succeeded, 3 when it did not
 * (the host's own choice: a failed init is reported, not a crash). */
#include <stdint.h>
#include <stdio.h>

const char *fresh_greeting(void);
int64_t fresh_sum(void);
int64_t fresh_calls_here(void);
const char *fresh_outcome(void);

int main(void) {
    const char *greeting = fresh_greeting();
    int64_t sum = fresh_sum();
    printf("greeting=%s\n", greeting ? greeting : "(null)");
    printf("sum=%lld\n", (long long)sum);
    fresh_calls_here();
    printf("calls=%lld\n", (long long)fresh_calls_here());
    printf("outcome=%s\n", fresh_outcome());
    return sum < 0 ? 3 : 0;
}
