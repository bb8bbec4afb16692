package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// ProgressIntervalDefault is how often a Progress without a terminal logs
// a line (ASSETS_PROGRESS_INTERVAL changes it).
const ProgressIntervalDefault = 5 * time.Second

// ProgressModeDefault is the ASSETS_PROGRESS mode when unset: bars when
// stderr is a terminal, log lines otherwise.
const ProgressModeDefault = "auto"

// barThrottle keeps a terminal bar from redrawing more than five times a
// second: more is unreadable and costs the work CPU.
const barThrottle = 200 * time.Millisecond

// ProgressConfig says where a Progress reports.
type ProgressConfig struct {
	// Terminal draws a bar per phase on Out; otherwise Log gets a line
	// every Interval and one at the end of each phase.
	Terminal bool
	Out      io.Writer
	Log      *slog.Logger
	// Interval between the lines of a non-terminal Progress;
	// ProgressIntervalDefault when zero.
	Interval time.Duration
	// Quiet reports nothing at all.
	Quiet bool
}

// Progress reports a command's work, phase by phase: a bar per phase on a
// terminal, periodic log lines (phase, done, total, rate, ETA) otherwise,
// so a run under a supervisor or in CI is not silent until the end. Each
// phase's clock starts when the phase does, before its work, so the rate
// is the phase's true average. It is safe for concurrent use.
type Progress struct {
	cfg     ProgressConfig
	mu      sync.Mutex
	name    string // current phase; "" before the first and after Finish
	unit    string
	total   int64 // -1 when unknown
	done    int64
	started time.Time
	bar     *progressbar.ProgressBar
	stop    chan struct{}
	stopped chan struct{}
}

// NewProgress starts a Progress; Close it when the command ends.
func NewProgress(cfg ProgressConfig) *Progress {
	if cfg.Interval <= 0 {
		cfg.Interval = ProgressIntervalDefault
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Quiet {
		cfg.Terminal, cfg.Log = false, slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Progress{cfg: cfg, stop: make(chan struct{}), stopped: make(chan struct{})}
	if cfg.Terminal || cfg.Quiet {
		close(p.stopped)
		return p
	}
	go p.tick()
	return p
}

// NewCommandProgress is the Progress of a command, as ASSETS_PROGRESS
// says: "auto" (ProgressModeDefault) draws bars when stderr is a terminal
// and logs lines on log otherwise, "bar" and "log" force one of them,
// "off" reports nothing. Lines come every ASSETS_PROGRESS_INTERVAL (a Go
// duration, default ProgressIntervalDefault). Bad values are bad input.
func NewCommandProgress(log *slog.Logger) (*Progress, error) {
	cfg := ProgressConfig{Out: os.Stderr, Log: log, Interval: ProgressIntervalDefault}
	if s := os.Getenv("ASSETS_PROGRESS_INTERVAL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, BadInput(fmt.Errorf("ASSETS_PROGRESS_INTERVAL %q: want a positive duration such as 5s", s))
		}
		cfg.Interval = d
	}
	mode := os.Getenv("ASSETS_PROGRESS")
	if mode == "" {
		mode = ProgressModeDefault
	}
	switch strings.ToLower(mode) {
	case "auto":
		cfg.Terminal = term.IsTerminal(int(os.Stderr.Fd()))
	case "bar":
		cfg.Terminal = true
	case "log":
	case "off":
		cfg.Quiet = true
	default:
		return nil, BadInput(fmt.Errorf("ASSETS_PROGRESS %q: want auto, bar, log or off", mode))
	}
	return NewProgress(cfg), nil
}

// Phase ends the current phase (it completed) and starts the next: total
// units of unit to do, or -1 when the total is not known.
func (p *Progress) Phase(name, unit string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endPhase()
	p.name, p.unit, p.total, p.done, p.started = name, unit, total, 0, time.Now()
	if p.cfg.Terminal {
		p.bar = p.newBar()
	}
}

// Add counts n more units done in the current phase.
func (p *Progress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.bar != nil {
		_ = p.bar.Add64(n)
	}
}

// Set makes done the units done in the current phase.
func (p *Progress) Set(done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	if p.bar != nil {
		_ = p.bar.Set64(done)
	}
}

// Counter adapts p to a func(done, total) callback (as ReindexConfig's):
// its first call starts phase name, the following ones set its count.
func (p *Progress) Counter(name, unit string) func(done, total int64) {
	var once sync.Once
	return func(done, total int64) {
		once.Do(func() { p.Phase(name, unit, total) })
		p.Set(done)
	}
}

// Finish ends the last phase: it completed.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endPhase()
}

// Close stops the periodic lines. A phase still running (the command
// failed) is left as it stands: its bar is not filled, no "done" is logged.
func (p *Progress) Close() {
	p.mu.Lock()
	if p.bar != nil {
		_ = p.bar.Exit() // ends the line (OnCompletion)
		p.bar = nil
	}
	p.name = ""
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.mu.Unlock()
	<-p.stopped
}

// endPhase closes the current phase's bar or logs its last line; p.mu held.
func (p *Progress) endPhase() {
	if p.name == "" {
		return
	}
	if p.bar != nil {
		if p.total < 0 {
			// A spinner ends as a full bar of what was done.
			p.bar.ChangeMax64(p.done)
		}
		_ = p.bar.Finish()
		p.bar = nil
	} else {
		p.logLine("progress phase done", true)
	}
	p.name = ""
}

func (p *Progress) newBar() *progressbar.ProgressBar {
	return progressbar.NewOptions64(p.total,
		progressbar.OptionSetWriter(p.cfg.Out),
		progressbar.OptionSetDescription(p.name),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(p.unit),
		progressbar.OptionSetPredictTime(true), progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(barThrottle),
		// Drawing at once starts the bar's clock now, before the work: a
		// bar started at the first update would divide the first batch by
		// microseconds.
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.cfg.Out) }),
	)
}

// tick logs a line of the current phase every interval until Close.
func (p *Progress) tick() {
	defer close(p.stopped)
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		if p.name != "" {
			p.logLine("progress", false)
		}
		p.mu.Unlock()
	}
}

// logLine logs the current phase: done, total, rate since the phase began
// and, while it runs with a known total, the ETA; p.mu held.
func (p *Progress) logLine(msg string, end bool) {
	elapsed := time.Since(p.started)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(p.done) / s
	}
	attrs := []any{"phase", p.name, "done", p.done}
	if p.total >= 0 {
		attrs = append(attrs, "total", p.total)
	}
	attrs = append(attrs, "unit", p.unit, "per_second", int64(rate), "elapsed", elapsed.Round(time.Millisecond))
	if !end && p.total >= 0 && rate > 0 {
		eta := time.Duration(float64(max(p.total-p.done, 0)) / rate * float64(time.Second))
		attrs = append(attrs, "eta", eta.Round(time.Second))
	}
	p.cfg.Log.Info(msg, attrs...)
}
