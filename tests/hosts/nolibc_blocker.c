/* A shared library linked at the same fixed address as the no-libc library under test and
 * loaded before it (tests/nolibc_pin.rs): it takes that address, so the loader must map the
 * library under test elsewhere and relocate it (its link_map's l_addr is then a bias, not the
 * address of its ELF header). */
int nolibc_blocker(void) { return 7; }
