/* printf("%s") of a pointer nothing is mapped at: like the real libSystem, the thread dies of
 * SIGSEGV at that address (status 139), after the text before it. */
#include <stdio.h>

int main(void) {
    printf("before\n");
    printf("s=%s\n", (const char *)0x18);
    printf("after\n");
    return 0;
}
