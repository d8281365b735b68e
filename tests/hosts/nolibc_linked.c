/* A program with the no-libc raw library linked in (its static library): a static-pie, a
 * static musl program, an aarch64 program bound lazily. Prints dynamic= (the program's own
 * dynamic section, _DYNAMIC; 0 in a program without one), then what the library's export
 * returns once init is over (42, or -1 when init failed or was refused), then "host done". */
#include <elf.h>
#include <link.h>
#include <stdio.h>

extern ElfW(Dyn) _DYNAMIC[] __attribute__((weak));
int nolibc_value(void);

int main(void) {
    printf("dynamic=%p\n", (void *)_DYNAMIC);
    fflush(stdout);
    printf("value=%d\n", nolibc_value());
    fflush(stdout);
    fprintf(stderr, "host done\n");
    printf("host_alive=1\n");
    return 0;
}
