// A Go program that calls the exports of tests/crates/std-init through cgo (tests/lifecycle.rs):
// a host whose runtime has threads, signal handlers and a scheduler of its own. While the
// library's init still runs (STD_INIT_SLEEP_MS), eight goroutines call an export at once; each
// must wait and get "ok". Prints key=value lines. Linked with CGO_LDFLAGS naming the library.
package main

/*
int std_init_state(void);
const char *std_init_kind(void);
long long std_init_thread_sum(void);
long long std_init_tokio_sum(void);
*/
import "C"

import (
	"fmt"
	"sync"
)

func main() {
	fmt.Printf("state_at_main=%d\n", C.std_init_state())
	kinds := make([]string, 8)
	var wg sync.WaitGroup
	for i := range kinds {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			kinds[i] = C.GoString(C.std_init_kind())
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, k := range kinds {
		if k == "ok" {
			ok++
		}
	}
	fmt.Printf("goroutines_ok=%d\n", ok)
	fmt.Printf("state_after=%d\n", C.std_init_state())
	fmt.Printf("thread_sum=%d\ntokio_sum=%d\n", C.std_init_thread_sum(), C.std_init_tokio_sum())
}
