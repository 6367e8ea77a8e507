package config

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// contentCache remembers the content of bodies decoded into a type: a
// block's body is decoded once per instance of its for_each, and what it
// holds (which attributes, which blocks, and what is wrong with them) is
// syntax, the same for every instance; only the values differ. Working it
// out again per instance was a third of decoding one. Safe for concurrent
// use; only syntax bodies are remembered.
type contentCache struct {
	m sync.Map // contentKey → *bodyContent
}

type contentKey struct {
	body  *hclsyntax.Body
	shape *structShape
}

type bodyContent struct {
	content *hcl.BodyContent
	byType  map[string]hcl.Blocks
	diags   hcl.Diagnostics
}

// content is body.Content(s.schema) and its blocks by type. Each caller
// gets diagnostics of its own, since callers rewrite them.
func (cc *contentCache) content(body hcl.Body, s *structShape) (*hcl.BodyContent, map[string]hcl.Blocks, hcl.Diagnostics) {
	syntax, ok := body.(*hclsyntax.Body)
	if cc == nil || !ok {
		c := contentOf(body, s)
		return c.content, c.byType, c.diags
	}
	key := contentKey{syntax, s}
	v, ok := cc.m.Load(key)
	if !ok {
		v, _ = cc.m.LoadOrStore(key, contentOf(body, s))
	}
	c := v.(*bodyContent)
	return c.content, c.byType, copyDiags(c.diags)
}

func contentOf(body hcl.Body, s *structShape) *bodyContent {
	content, diags := body.Content(s.schema)
	c := &bodyContent{content: content, diags: diags}
	if content != nil {
		c.byType = content.Blocks.ByType()
	}
	return c
}

func copyDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	if diags == nil {
		return nil
	}
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		c := *d
		out[i] = &c
	}
	return out
}

// parallelFrom is the number of instances from which a block's instances
// are decoded on several goroutines (a variable for tests).
var parallelFrom = 256

// eachInstance calls f(i) for i in [0, n), on up to GOMAXPROCS goroutines
// when n is large: instances are independent (each evaluates in a context
// of its own, and functions are pure), and a for_each of 10,000 was most
// of a large configuration's load on one core. f must only write to what
// belongs to instance i.
func eachInstance(n int, f func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < parallelFrom || workers < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	const chunk = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					f(i)
				}
			}
		})
	}
	wg.Wait()
}
