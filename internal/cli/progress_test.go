package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a slog handler keeping every record, for tests.
type recorder struct {
	mu   sync.Mutex
	recs []map[string]any
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	m := map[string]any{"msg": rec.Message}
	rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.Any(); return true })
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, m)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) records() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.recs...)
}

// TestProgressLinesWithoutTerminal: without a terminal, every phase gets
// periodic lines with its counts and a rate that matches the pace of the
// work, and a last line at its total.
func TestProgressLinesWithoutTerminal(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	p := NewProgress(ProgressConfig{Log: slog.New(rec), Interval: 20 * time.Millisecond})
	start := time.Now()
	p.Phase("load", "records", -1)
	for i := 0; i < 20; i++ { // 200 records in ~100 ms: ~2000/s
		p.Add(10)
		time.Sleep(5 * time.Millisecond)
	}
	loadTook := time.Since(start)
	p.Phase("merge", "steps", 4)
	for i := 0; i < 4; i++ {
		time.Sleep(30 * time.Millisecond)
		p.Add(1)
	}
	p.Finish()
	p.Close()

	periodic := map[string]int{}
	ends := map[string]map[string]any{}
	for _, r := range rec.records() {
		phase, _ := r["phase"].(string)
		switch r["msg"] {
		case "progress":
			periodic[phase]++
			done, rate := r["done"].(int64), r["per_second"].(int64)
			if _, ok := r["elapsed"].(time.Duration); !ok {
				t.Errorf("line without elapsed: %v", r)
			}
			// The rate is the phase's average: never above what the work
			// could have reached (done within the phase's first 5 ms
			// at the least), and well below absurd figures.
			if rate < 0 || rate > 20000 {
				t.Errorf("absurd rate in %v", r)
			}
			if phase == "merge" {
				if r["total"] != int64(4) || done > 4 {
					t.Errorf("merge line %v: want done <= total 4", r)
				}
				if _, ok := r["eta"]; !ok && done < 4 && rate > 0 {
					t.Errorf("merge line without ETA: %v", r)
				}
			}
		case "progress phase done":
			ends[phase] = r
		}
	}
	if periodic["load"] < 2 || periodic["merge"] < 2 {
		t.Errorf("periodic lines per phase = %v; want at least 2 each", periodic)
	}
	if e := ends["load"]; e == nil || e["done"] != int64(200) {
		t.Errorf("load end line = %v; want done=200", e)
	} else if r := e["per_second"].(int64); float64(r) > 200/loadTook.Seconds()*1.2+1 || r < 200 {
		t.Errorf("load rate %d/s; the load ran at %.0f/s", r, 200/loadTook.Seconds())
	}
	if e := ends["merge"]; e == nil || e["done"] != int64(4) || e["total"] != int64(4) {
		t.Errorf("merge end line = %v; want done=4 total=4", e)
	}
}

// TestProgressBarFirstFrameRate: a terminal bar's clock starts with its
// phase, so the first frame after some work shows the real pace, not
// the first batch divided by a few microseconds.
func TestProgressBarFirstFrameRate(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := NewProgress(ProgressConfig{Terminal: true, Out: &out})
	update := p.Counter("reindexing", "docs")
	update(0, 1000)
	time.Sleep(250 * time.Millisecond) // past the bar's throttle
	update(500, 1000)                  // ~2000 docs/s
	p.Finish()
	p.Close()
	s := out.String()
	rates := regexp.MustCompile(`(\d+) docs/s`).FindAllStringSubmatch(s, -1)
	if len(rates) == 0 {
		t.Fatalf("no rate drawn: %q", s)
	}
	for _, m := range rates {
		if n, _ := strconv.Atoi(m[1]); n > 10000 {
			t.Errorf("rate %d docs/s drawn for ~2000 docs/s of work: %q", n, s)
		}
	}
	if !regexp.MustCompile(`reindexing.*500/1000`).MatchString(s) || !regexp.MustCompile(`1000/1000`).MatchString(s) {
		t.Errorf("bar frames = %q; want 500/1000 then 1000/1000", s)
	}
}

func TestNewCommandProgressRejectsBadSettings(t *testing.T) {
	for _, env := range [][2]string{{"ASSETS_PROGRESS_INTERVAL", "often"}, {"ASSETS_PROGRESS_INTERVAL", "-1s"}, {"ASSETS_PROGRESS", "fancy"}} {
		t.Setenv(env[0], env[1])
		_, err := NewCommandProgress(nil)
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != ExitBadInput || !strings.Contains(err.Error(), env[0]) {
			t.Errorf("%s=%s: err = %v; want bad input naming it", env[0], env[1], err)
		}
		t.Setenv(env[0], "")
	}
	t.Setenv("ASSETS_PROGRESS_INTERVAL", "250ms")
	p, err := NewCommandProgress(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.cfg.Interval != 250*time.Millisecond {
		t.Errorf("interval = %v", p.cfg.Interval)
	}
	for mode, terminal := range map[string]bool{"bar": true, "LOG": false} {
		t.Setenv("ASSETS_PROGRESS", mode)
		p, err := NewCommandProgress(nil)
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
		if p.cfg.Terminal != terminal {
			t.Errorf("ASSETS_PROGRESS=%s: terminal = %v", mode, p.cfg.Terminal)
		}
	}
}

func TestProgressOffSaysNothing(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	var out bytes.Buffer
	p := NewProgress(ProgressConfig{Quiet: true, Terminal: true, Out: &out, Log: slog.New(rec), Interval: time.Millisecond})
	p.Phase("load", "assets", 10)
	p.Add(10)
	time.Sleep(10 * time.Millisecond)
	p.Finish()
	p.Close()
	if out.Len() > 0 || len(rec.records()) > 0 {
		t.Errorf("quiet progress wrote %q and %v", out.String(), rec.records())
	}
}
