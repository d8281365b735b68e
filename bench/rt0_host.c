/* (d)/(e) rt0 host: calls one rt0-demo export, which waits for the demo's init (run at load on
 * its own thread by rt0_lib_entry). Linked against the demo built with or without `raw`. */
#include "rt0_demo.h"
int main(void) { return rt0_demo_ready() == 1 ? 0 : 1; }
