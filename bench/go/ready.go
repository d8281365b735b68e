// (c) Go's c-archive: one export, equivalent to rt0_demo_ready() and c_ready().
// Built with `go build -buildmode=c-archive`; the Go runtime starts at load time on its own
// thread (_rt0_amd64_lib) and every exported call waits for it (_cgo_wait_runtime_init_done).
package main

import "C"

//export GoReady
func GoReady() C.int { return 1 }

func main() {}
