package bench

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestClosedLoop(t *testing.T) {
	t.Parallel()
	var calls, inFlight, peak atomic.Int64
	do := func(ctx context.Context) error {
		n := calls.Add(1)
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
		}
		time.Sleep(2 * time.Millisecond)
		if n%5 == 0 {
			return errors.New("every fifth fails")
		}
		return nil
	}
	s, err := closedLoop(context.Background(), 4, 200*time.Millisecond, do)
	if err != nil {
		t.Fatal(err)
	}
	if peak.Load() != 4 {
		t.Errorf("peak concurrency %d, want 4", peak.Load())
	}
	if s.Requests+s.Errors != int(calls.Load()) || s.Errors == 0 || s.FirstError != "every fifth fails" {
		t.Errorf("loop %+v after %d calls: want every call counted once, the failures apart", s, calls.Load())
	}
	// 4 clients, 2 ms a request, 0.2 s: about 400 requests, at least 100.
	if s.Requests < 100 || s.Seconds < 0.2 || s.PerSecond != float64(s.Requests)/s.Seconds {
		t.Errorf("loop %+v: too few requests, or a rate that is not requests / seconds", s)
	}
}

// TestClosedLoopSlowRequests: requests longer than the loop still count,
// and the loop's time runs until they finished.
func TestClosedLoopSlowRequests(t *testing.T) {
	t.Parallel()
	s, err := closedLoop(context.Background(), 3, 10*time.Millisecond, func(context.Context) error {
		time.Sleep(50 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 3 || s.Seconds < 0.05 {
		t.Errorf("loop %+v, want 3 requests over at least 50 ms", s)
	}
}

func TestClosedLoopCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := closedLoop(ctx, 2, time.Second, func(context.Context) error { return nil }); err == nil {
		t.Error("a canceled loop reported success")
	}
}

func TestAlternate(t *testing.T) {
	t.Parallel()
	var order []string
	run := func(name string, n int) func(context.Context) (LoopSide, error) {
		return func(context.Context) (LoopSide, error) {
			order = append(order, name)
			return LoopSide{Requests: n, Seconds: 1, ServeCPU: 0.5, CPU: CPU{Elasticsearch: 1}}, nil
		}
	}
	a, b, err := alternate(context.Background(), run("a", 10), run("b", 30))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ""); got != "abba" {
		t.Errorf("order %q, want abba", got)
	}
	if a.Requests != 20 || a.PerSecond != 10 || b.PerSecond != 30 || a.ServeCPU != 1 || b.CPU.Elasticsearch != 2 {
		t.Errorf("sums a %+v b %+v", a, b)
	}
}

func TestConcurrencyReport(t *testing.T) {
	t.Parallel()
	r := &Report{Concurrency: []ConcurrencyRun{
		{Name: "list: x", Clients: 16, API: LoopSide{Requests: 900, Seconds: 10, PerSecond: 90, ServeCPU: 4},
			Elasticsearch: LoopSide{Requests: 1000, Seconds: 10, PerSecond: 100}, Ratio: 0.9},
		{Name: "group values: class", Clients: 16, API: LoopSide{PerSecond: 50, Errors: 2}, Elasticsearch: LoopSide{PerSecond: 100}, Ratio: 0.5},
	}}
	r.checkTargets()
	if len(r.Targets) != 2 || !r.Targets[0].Met || r.Targets[1].Met || r.Targets[1].Got != "0.50x" {
		t.Fatalf("targets %+v: want the list's met, the group values' missed at 0.50x", r.Targets)
	}
	md := strings.Join(strings.Fields(r.Markdown()), " ")
	for _, want := range []string{
		"| list: x, 16 clients at once: API | 90 req/s (900 in 10 s; CPU s serve 4.0, Elasticsearch 0.0, PostgreSQL 0.0) |",
		"| list: x, 16 clients at once: API / Elasticsearch req/s | 0.90x |",
		"2 failed",
		"| group values: class, 16 clients: API / direct Elasticsearch req/s | >= 0.80x | 0.50x | **no** |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
