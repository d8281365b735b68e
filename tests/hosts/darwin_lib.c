/* A host library for the Mach-O link check: it calls one export, nothing more, so the linker
 * pulls from librt0_demo.a only what that export needs. */
#include "rt0_demo.h"
int host_calls_demo(void) { return rt0_demo_ready(); }
