package bench

import (
	"strings"
	"testing"
	"time"
)

// benchReport is a small report with one measurement of two sides, a sync
// lag and two targets; p50s in ms.
func benchReport(api, es float64, listMet bool) *Report {
	r := &Report{Date: time.Date(2026, 11, 27, 16, 10, 0, 0, time.UTC), Machine: Machine{CPUs: 2}, Dataset: DatasetInfo{Assets: 1_000_000}}
	r.add(Measurement{Name: "list", Sides: []Stats{{Side: "API", N: 10, P50: api, P99: api * 2}, {Side: "Elasticsearch", N: 10, P50: es, P99: es * 2}}})
	r.SyncLag = &SyncLag{Stats: Stats{Side: "commit → visible", P50: 500}}
	r.Targets = []Target{
		{Name: "reindex / raw _bulk", Want: ">= 0.80x", Got: "0.90x", Met: true},
		{Name: "list API / direct Elasticsearch, p50", Want: "<= 1.20x", Got: "1.10x", Met: listMet},
	}
	return r
}

func findRow(t *testing.T, c Comparison, figure string) Delta {
	t.Helper()
	for _, d := range c.Rows {
		if d.Figure == figure {
			return d
		}
	}
	t.Fatalf("no row %q in %+v", figure, c.Rows)
	return Delta{}
}

func TestCompareFlags(t *testing.T) {
	const ratioRow, apiRow, esRow = "list: API / Elasticsearch, p50", "list: API", "list: Elasticsearch"
	for _, tc := range []struct {
		name             string
		prev, cur        *Report
		row              string
		wantFlag         string
		wantWorseAtLeast float64
		wantWorseAtMost  float64
	}{
		{"ratio better", benchReport(12, 10, true), benchReport(11, 10, true), ratioRow, "", -1, 0},
		{"ratio worse by 9%", benchReport(10, 10, true), benchReport(10.9, 10, true), ratioRow, "", 0.08, 0.1},
		{"ratio worse by 11%", benchReport(10, 10, true), benchReport(11.1, 10, true), ratioRow, FlagRegression, 0.1, 0.12},
		{"ratio worse by exactly 10%", benchReport(10, 10, true), benchReport(11, 10, true), ratioRow, "", 0.1, 0.1},
		{"p50 worse by 11% is a note", benchReport(10, 10, true), benchReport(11.1, 11.1, true), apiRow, FlagNote, 0.1, 0.12},
		{"same ratio, both sides slower: no regression", benchReport(10, 10, true), benchReport(11.1, 11.1, true), ratioRow, "", 0, 0},
		{"p50 worse by 9%", benchReport(10, 10, true), benchReport(10, 10.9, true), esRow, "", 0.08, 0.1},
		{"target met before, missed now", benchReport(10, 10, true), benchReport(10, 10, false), "target: list API / direct Elasticsearch, p50", FlagRegression, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(tc.prev, tc.cur, RegressionThresholdDefault)
			d := findRow(t, c, tc.row)
			if d.Flag != tc.wantFlag {
				t.Errorf("flag %q, want %q (%+v)", d.Flag, tc.wantFlag, d)
			}
			if d.Worse < tc.wantWorseAtLeast-1e-9 || d.Worse > tc.wantWorseAtMost+1e-9 {
				t.Errorf("worse %v, want in [%v, %v]", d.Worse, tc.wantWorseAtLeast, tc.wantWorseAtMost)
			}
		})
	}
}

func TestCompareHigherIsBetterTarget(t *testing.T) {
	prev, cur := benchReport(10, 10, true), benchReport(10, 10, true)
	cur.Targets[0].Got = "0.80x" // 0.90x before: 12.5% worse, still met
	d := findRow(t, Compare(prev, cur, RegressionThresholdDefault), "target: reindex / raw _bulk")
	if d.Kind != KindRatio || d.Flag != FlagRegression || d.Worse < 0.12 || d.Worse > 0.13 {
		t.Errorf("row %+v, want a ratio regression worse by 12.5%%", d)
	}
}

func TestCompareMissingRows(t *testing.T) {
	prev, cur := benchReport(10, 10, true), benchReport(10, 10, true)
	prev.add(Measurement{Name: "gone", Sides: []Stats{{Side: "API", P50: 3}}})
	cur.add(Measurement{Name: "added", Sides: []Stats{{Side: "API", P50: 4}}})
	c := Compare(prev, cur, RegressionThresholdDefault)
	if d := findRow(t, c, "gone: API"); d.Current != 0 || d.Previous != 3 || d.Flag != "" || d.Why == "" {
		t.Errorf("gone row %+v", d)
	}
	if d := findRow(t, c, "added: API"); d.Previous != 0 || d.Current != 4 || d.Flag != "" || d.Why != "new" {
		t.Errorf("new row %+v", d)
	}
	// A side with no samples (p50 0) is never flagged.
	cur.Measurements[0].Sides[0].P50 = 0
	if d := findRow(t, Compare(prev, cur, RegressionThresholdDefault), "list: API"); d.Flag != "" {
		t.Errorf("empty side flagged: %+v", d)
	}
}

func TestCompareFirstRun(t *testing.T) {
	c := Compare(nil, benchReport(10, 10, true), RegressionThresholdDefault)
	if c.Previous != nil || len(c.Rows) == 0 {
		t.Fatalf("first run: previous %v, %d rows", c.Previous, len(c.Rows))
	}
	if reg, notes := c.Counts(); reg != 0 || notes != 0 {
		t.Errorf("first run flagged %d regressions, %d notes", reg, notes)
	}
	if md := c.Markdown(); !strings.Contains(md, "none in the history") || !strings.Contains(md, "| list: API") {
		t.Errorf("first run markdown:\n%s", md)
	}
}

func TestComparisonFindsOtherLatencies(t *testing.T) {
	c := Compare(benchReport(10, 10, true), benchReport(10, 10, true), RegressionThresholdDefault)
	if d := findRow(t, c, "sync_lag.lag: commit → visible"); d.Kind != KindLatency || d.Current != 500 {
		t.Errorf("sync lag row %+v", d)
	}
}

func TestComparisonMarkdownFlags(t *testing.T) {
	c := Compare(benchReport(10, 10, true), benchReport(12, 10, true), RegressionThresholdDefault)
	c.PreviousFile = "2026-11-27T13-28Z-2cpu.json"
	md := c.Markdown()
	for _, want := range []string{"2026-11-27T13-28Z-2cpu.json", "**REGRESSION**", "note: worse by more than 10%", "20.0% worse", "1 regression(s), 1 note(s)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestTargetFigure(t *testing.T) {
	for _, tc := range []struct {
		got, want, kind, unit string
		value                 float64
		lower                 bool
	}{
		{"1.48x", "<= 1.20x (else profile)", KindRatio, "x", 1.48, true},
		{"0.83x (18,121 assets/s)", ">= 0.80x", KindRatio, "x", 0.83, false},
		{"11,387 docs/s", ">= 15,000 docs/s", KindAbsolute, "docs/s", 11387, false},
		{"1.10 s (4997 of 4997 visible)", "< 1.5 s", KindAbsolute, "s", 1.1, true},
		{"no", "yes", KindAbsolute, "", 0, false},
	} {
		f := targetFigure(Target{Name: "t", Want: tc.want, Got: tc.got})
		if f.kind != tc.kind || f.unit != tc.unit || f.value != tc.value || f.lowerBetter != tc.lower {
			t.Errorf("%q / %q: %+v", tc.got, tc.want, f)
		}
	}
}
