package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// RegressionThresholdDefault is how much worse (as a fraction) a figure
// may get against the previous run before it is flagged.
const RegressionThresholdDefault = 0.10

// Kinds of figure compared between runs. Ratios compare sides measured in
// the same run, so they survive machine noise: a worse ratio is a
// regression. Absolute figures (latencies, rates) move with the load of
// the machine: a worse one is only a note.
const (
	KindRatio    = "ratio"
	KindLatency  = "p50 latency"
	KindAbsolute = "absolute"
)

// Flags of a compared figure.
const (
	FlagRegression = "regression"
	FlagNote       = "note"
)

// figure is one number of a report that can be compared between runs.
type figure struct {
	key         string
	kind        string
	unit        string // "x", "ms", or the unit a target states
	value       float64
	lowerBetter bool
	met         *bool // for targets
}

// Delta is one figure beside its value in the previous run.
type Delta struct {
	Figure   string  `json:"figure"`
	Kind     string  `json:"kind"`
	Unit     string  `json:"unit"`
	Previous float64 `json:"previous"` // 0: not in the previous run
	Current  float64 `json:"current"`  // 0: not in this run
	// Worse is the fraction by which the figure got worse (negative when
	// better): current/previous-1 when lower is better, else the inverse.
	Worse float64 `json:"worse"`
	Flag  string  `json:"flag,omitempty"`
	Why   string  `json:"why,omitempty"`
}

// RunInfo identifies a run in the comparison's heading.
type RunInfo struct {
	Date   string `json:"date"`
	CPUs   int    `json:"cpus"`
	Assets int    `json:"assets"`
}

// Comparison is a run beside the previous one.
type Comparison struct {
	Current      RunInfo  `json:"current"`
	Previous     *RunInfo `json:"previous,omitempty"`
	PreviousFile string   `json:"previous_file,omitempty"`
	Threshold    float64  `json:"threshold"`
	Rows         []Delta  `json:"rows"`
}

// Compare sets every figure of cur beside the same figure of prev (nil on
// the first run) and flags those worse by more than threshold.
func Compare(prev, cur *Report, threshold float64) Comparison {
	c := Comparison{Current: runInfo(cur), Threshold: threshold}
	if prev == nil {
		for _, f := range figures(cur) {
			c.Rows = append(c.Rows, Delta{Figure: f.key, Kind: f.kind, Unit: f.unit, Current: f.value})
		}
		return c
	}
	p := runInfo(prev)
	c.Previous = &p
	before := map[string]figure{}
	for _, f := range figures(prev) {
		before[f.key] = f
	}
	seen := map[string]bool{}
	for _, f := range figures(cur) {
		seen[f.key] = true
		b, ok := before[f.key]
		if !ok {
			c.Rows = append(c.Rows, Delta{Figure: f.key, Kind: f.kind, Unit: f.unit, Current: f.value, Why: "new"})
			continue
		}
		c.Rows = append(c.Rows, compareFigure(b, f, threshold))
	}
	for _, f := range figures(prev) {
		if !seen[f.key] {
			c.Rows = append(c.Rows, Delta{Figure: f.key, Kind: f.kind, Unit: f.unit, Previous: f.value, Why: "not measured in this run"})
		}
	}
	return c
}

// compareFigure flags cur against prev.
func compareFigure(prev, cur figure, threshold float64) Delta {
	d := Delta{Figure: cur.key, Kind: cur.kind, Unit: cur.unit, Previous: prev.value, Current: cur.value}
	if prev.value > 0 && cur.value > 0 {
		if cur.lowerBetter {
			d.Worse = cur.value/prev.value - 1
		} else {
			d.Worse = prev.value/cur.value - 1
		}
		// Rounded, so that exactly the threshold is not flagged by a
		// floating-point hair.
		d.Worse = math.Round(d.Worse*1e9) / 1e9
		if d.Worse > threshold {
			d.Flag, d.Why = FlagNote, fmt.Sprintf("worse by more than %.0f%%", threshold*100)
			if cur.kind == KindRatio {
				d.Flag = FlagRegression
			}
		}
	}
	if prev.met != nil && cur.met != nil && *prev.met && !*cur.met {
		d.Flag, d.Why = FlagRegression, "target met before, missed now"
	}
	return d
}

func runInfo(r *Report) RunInfo {
	return RunInfo{Date: r.Date.UTC().Format("2006-01-02 15:04 MST"), CPUs: r.Machine.CPUs, Assets: r.Dataset.Assets}
}

// figures lists the comparable numbers of a report, walking its lists so
// that measurements and targets added later are compared without changes
// here: each measurement's ratios and p50 per side, every other latency
// summary (any object with a side and a p50), and every target.
func figures(r *Report) []figure {
	var out []figure
	for _, m := range r.Measurements {
		for _, x := range m.Ratios {
			out = append(out, figure{key: fmt.Sprintf("%s: %s / %s, p50", m.Name, x.Of, x.To), kind: KindRatio, unit: "x", value: x.P50, lowerBetter: true})
		}
		for _, s := range m.Sides {
			out = append(out, figure{key: fmt.Sprintf("%s: %s", m.Name, s.Side), kind: KindLatency, unit: "ms", value: s.P50, lowerBetter: true})
		}
	}
	out = append(out, otherLatencies(r)...)
	for _, t := range r.Targets {
		out = append(out, targetFigure(t))
	}
	return out
}

// otherLatencies finds the latency summaries outside the measurements
// (sync lag and whatever comes next) in the report's JSON form.
func otherLatencies(r *Report) []figure {
	b, err := json.Marshal(r)
	if err != nil {
		return nil
	}
	var tree map[string]any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil
	}
	delete(tree, "measurements")
	delete(tree, "targets")
	var out []figure
	walkStats(tree, "", func(path, side string, p50 float64) {
		out = append(out, figure{key: fmt.Sprintf("%s: %s", path, side), kind: KindLatency, unit: "ms", value: p50, lowerBetter: true})
	})
	return out
}

// walkStats calls fn for every object under v with a side and a p50_ms,
// in key order so that the rows come out the same each time.
func walkStats(v any, path string, fn func(path, side string, p50 float64)) {
	switch x := v.(type) {
	case map[string]any:
		side, okSide := x["side"].(string)
		p50, okP50 := x["p50_ms"].(float64)
		if okSide && okP50 {
			fn(path, side, p50)
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			walkStats(x[k], strings.TrimPrefix(path+"."+k, "."), fn)
		}
	case []any:
		for i, e := range x {
			walkStats(e, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	}
}

// leadingNumber is a target's "got": a number, maybe with thousands
// separators, then its unit.
var leadingNumber = regexp.MustCompile(`^\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([^\s(]*)`)

// targetFigure reads a target: its number and unit from Got, the direction
// from Want ("<" lower is better, ">" higher), and whether it was met.
// A ratio ("1.48x") is a ratio; any other number is absolute.
func targetFigure(t Target) figure {
	met := t.Met
	f := figure{key: "target: " + t.Name, kind: KindAbsolute, met: &met}
	want := strings.TrimSpace(t.Want)
	if !strings.HasPrefix(want, "<") && !strings.HasPrefix(want, ">") {
		return f
	}
	m := leadingNumber.FindStringSubmatch(t.Got)
	if m == nil {
		return f
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
	if err != nil {
		return f
	}
	f.value, f.unit, f.lowerBetter = v, m[2], strings.HasPrefix(want, "<")
	if f.unit == "x" {
		f.kind = KindRatio
	}
	return f
}

// Counts are the numbers of regressions and notes.
func (c Comparison) Counts() (regressions, notes int) {
	for _, d := range c.Rows {
		switch d.Flag {
		case FlagRegression:
			regressions++
		case FlagNote:
			notes++
		}
	}
	return regressions, notes
}
