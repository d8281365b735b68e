/* printf of a double: the emulated libSystem does not format floating point, so the run must
 * stop (status 125) naming the conversion, never print something else. */
#include <stdio.h>

int main(void) {
    printf("before\n");
    printf("%f\n", 1.0);
    printf("after\n");
    return 0;
}
