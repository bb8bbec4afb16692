package sync

import (
	"context"
	"log/slog"
	stdsync "sync"
	"testing"
	"time"
)

// captured is a slog handler keeping every record, for tests.
type captured struct {
	mu   stdsync.Mutex
	recs []slog.Record
}

func (c *captured) Enabled(context.Context, slog.Level) bool { return true }
func (c *captured) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r.Clone())
	return nil
}
func (c *captured) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *captured) WithGroup(string) slog.Handler      { return c }

// lines returns the records with message msg, each as its level and its
// int64 attributes.
func (c *captured) lines(msg string) []progressRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []progressRecord
	for _, r := range c.recs {
		if r.Message != msg {
			continue
		}
		pr := progressRecord{level: r.Level, attrs: map[string]int64{}}
		r.Attrs(func(a slog.Attr) bool {
			if a.Value.Kind() == slog.KindInt64 {
				pr.attrs[a.Key] = a.Value.Int64()
			}
			return true
		})
		out = append(out, pr)
	}
	return out
}

type progressRecord struct {
	level slog.Level
	attrs map[string]int64
}

func TestProgressLineLevelsAndCounts(t *testing.T) {
	t.Parallel()
	h := &captured{}
	log := slog.New(h)
	var line progressLine
	ctx := context.Background()
	steps := []struct {
		total, backlog int64
		level          slog.Level
		synced         int64
	}{
		{total: 0, backlog: 0, level: slog.LevelDebug, synced: 0},      // idle from the start
		{total: 120, backlog: 0, level: slog.LevelInfo, synced: 120},   // work done
		{total: 120, backlog: 0, level: slog.LevelDebug, synced: 0},    // idle again: not a second 120
		{total: 120, backlog: 7, level: slog.LevelInfo, synced: 0},     // stuck work is worth seeing
		{total: 5300, backlog: 0, level: slog.LevelInfo, synced: 5180}, // per-interval count, not the total
	}
	for _, s := range steps {
		line.log(ctx, log, s.total, s.backlog, 0)
	}
	got := h.lines("sync progress")
	if len(got) != len(steps) {
		t.Fatalf("%d lines; want %d", len(got), len(steps))
	}
	for i, s := range steps {
		g := got[i]
		if g.level != s.level || g.attrs["synced"] != s.synced || g.attrs["synced_total"] != s.total || g.attrs["backlog"] != s.backlog {
			t.Errorf("line %d = %v %v; want %v synced=%d synced_total=%d backlog=%d", i, g.level, g.attrs, s.level, s.synced, s.total, s.backlog)
		}
	}
}

// TestRunWorkersLogsProgressThenGoesQuiet runs the worker set on a real
// outbox with a short interval: the lines add up to what was synced, and
// once the outbox is empty they drop to debug level.
func TestRunWorkersLogsProgressThenGoesQuiet(t *testing.T) {
	t.Parallel()
	f := setup(t, 150)
	h := &captured{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runWorkers(ctx, f.pool, f.idx, slog.New(h), WorkerConfig{BatchSize: 40}, 2, 50*time.Millisecond)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		lines := h.lines("sync progress")
		idleAfterDone := 0
		reached := false
		for _, l := range lines {
			if reached && l.attrs["synced"] == 0 {
				idleAfterDone++
			}
			if l.attrs["synced_total"] == 150 && l.attrs["backlog"] == 0 {
				reached = true
			}
		}
		if idleAfterDone >= 3 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("outbox did not drain with idle lines after it; lines: %v", lines)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, l := range h.lines("sync progress") {
		sum += l.attrs["synced"]
		idle := l.attrs["synced"] == 0 && l.attrs["backlog"] == 0
		if idle != (l.level == slog.LevelDebug) {
			t.Errorf("line %v at %v: idle lines (and only those) belong at debug level", l.attrs, l.level)
		}
		if l.attrs["synced_total"] != sum {
			t.Errorf("line %v: synced_total is not the sum of the synced counts so far (%d)", l.attrs, sum)
		}
	}
	if sum != 150 {
		t.Errorf("synced counts add up to %d; want 150", sum)
	}
}

// TestReindexReportsTotalBeforeWork: the first progress call is (0, total),
// before any page is read, so a reporter's clock starts with the work; the
// last one is at the total.
func TestReindexReportsTotalBeforeWork(t *testing.T) {
	t.Parallel()
	f := setup(t, 300)
	var mu stdsync.Mutex
	var calls [][2]int64
	_, err := Reindex(context.Background(), f.pool, f.idx, quiet(), ReindexConfig{PageSize: 50, Progress: func(done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, [2]int64{done, total})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 2 || calls[0] != [2]int64{0, 300} || calls[len(calls)-1] != [2]int64{300, 300} {
		t.Errorf("progress calls %v; want (0, 300) first and (300, 300) last", calls)
	}
}
