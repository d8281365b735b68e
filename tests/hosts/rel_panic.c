/* Panic path: calls the exports of tests/crates/panic-init, a std + panic=unwind library
 * whose init panics on request; the host must live on and read the kept message. */
#include <stdio.h>

int panicky_ready(void);
const char *panicky_kind(void);
const char *panicky_error(void);

int main(void) {
    int ready = panicky_ready();
    const char *err = panicky_error();
    printf("ready=%d\nkind=%s\nerror=%s\nhost_alive=1\n", ready, panicky_kind(), err ? err : "(none)");
    return 0;
}
