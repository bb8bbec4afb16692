package sync

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	stdsync "sync"
	"time"
)

// progressLine turns the workers' running total into one log line per
// interval: the rows synced since the previous line (synced) next to the
// running total (synced_total). An idle interval (nothing synced, nothing
// waiting) is logged at debug level, so an idle worker does not fill the
// log; work done or work waiting is logged at info.
type progressLine struct {
	last int64 // synced_total of the previous line
}

func (p *progressLine) log(ctx context.Context, log *slog.Logger, total, backlog int64, oldest time.Duration) {
	synced := total - p.last
	p.last = total
	level := slog.LevelInfo
	if synced == 0 && backlog == 0 {
		level = slog.LevelDebug
	}
	log.Log(ctx, level, "sync progress", "synced", synced, "synced_total", total,
		"backlog", backlog, "oldest", oldest.Round(time.Millisecond))
}

// countingProgress adds up progress from several goroutines.
type countingProgress struct {
	mu    stdsync.Mutex
	done  int64
	total int64
	fn    func(done, total int64)
}

// begin reports (0, total) before any work is done, so a reporter starts
// its clock (and its rate) with the work rather than at the first page.
func (p *countingProgress) begin() {
	if p.fn != nil {
		p.fn(0, p.total)
	}
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
