package sync

import (
	"slices"
	"strings"
	stdsync "sync"
)

// countingProgress adds up progress from several goroutines.
type countingProgress struct {
	mu    stdsync.Mutex
	done  int64
	total int64
	fn    func(done, total int64)
}

func (p *countingProgress) add(n int64) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.fn(p.done, p.total)
}

// sortByAge orders index names oldest first: "<prefix>-initial" before the
// timestamped ones, which sort by time.
func sortByAge(names []string) []string {
	out := slices.Clone(names)
	slices.SortFunc(out, func(a, b string) int {
		ai, bi := strings.HasSuffix(a, "-initial"), strings.HasSuffix(b, "-initial")
		switch {
		case ai && !bi:
			return -1
		case bi && !ai:
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}
