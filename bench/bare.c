/* (a) bare host: the floor every other host is compared with. It does nothing a C program
 * would not do anyway; exec-to-exit here is the cost of the kernel, ld.so and libc start-up. */
int main(void) { return 0; }
