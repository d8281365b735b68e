/* The start-mode rows' host (ci/bench): calls one export of the library it is linked to,
 * READY() (bench_ready, or the hand-written C library's c_ready), after START() where the
 * library starts explicitly. With an argument it _exits right after (exec-to-ready). */
#include <unistd.h>
int READY(void);
#ifdef START
void START(void);
#endif
int main(int argc, char **argv) {
    (void)argv;
#ifdef START
    START();
#endif
    int status = READY() == 1 ? 0 : 1;
    if (argc > 1) _exit(status);
    return status;
}
