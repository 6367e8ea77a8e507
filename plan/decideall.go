package plan

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// decideAll decides every input, in order; a large configuration's on
// every core, since each decision reads only its input (the world and
// prior are shared and only read).
func decideAll(inputs []input) []*Change {
	out := make([]*Change, len(inputs))
	workers := min(runtime.GOMAXPROCS(0), len(inputs)/decideShare)
	if workers < 2 {
		for i, in := range inputs {
			out[i] = decide(in)
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(inputs); i = int(next.Add(1) - 1) {
				out[i] = decide(inputs[i])
			}
		})
	}
	wg.Wait()
	return out
}

// decideShare is how many addresses a worker of decideAll takes at least:
// below it, starting goroutines costs more than it saves.
const decideShare = 256
