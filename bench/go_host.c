/* (c) Go c-archive host: calls the archive's one export. */
#include "libgoready.h"
int main(void) { return GoReady() == 1 ? 0 : 1; }
