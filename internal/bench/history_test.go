package bench

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestHistoryJSONRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := benchReport(16.5, 11.1, true)
	same := false
	r.Measurements[0].SameAnswer, r.Measurements[0].Note = &same, "a note"
	r.Reindex = &Throughput{Docs: 1000, RawRuns: []float64{1, 2}, RawCPU: []CPU{{Elasticsearch: 1}}, Ratio: 0.8}
	r.Export = &ExportThroughput{PageSize: 1000, Ratio: 1}
	path, err := WriteHistory(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "2026-11-27T16-10Z-2cpu.json" {
		t.Errorf("history name %s", filepath.Base(path))
	}
	back, err := LoadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, back) {
		t.Errorf("round trip changed the report:\n%+v\n%+v", r, back)
	}
}

func TestPreviousRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, n := range []string{"2026-11-20T10-00Z-2cpu.json", "2026-11-27T13-28Z-2cpu.json", "2026-11-27T16-10Z-2cpu.json", "latest.md", "notes.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		dir    string
		before time.Time
		want   string
	}{
		{"newest older", dir, time.Date(2026, 11, 27, 16, 10, 30, 0, time.UTC), "2026-11-27T13-28Z-2cpu.json"},
		{"later run", dir, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "2026-11-27T16-10Z-2cpu.json"},
		{"first run: nothing older", dir, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), ""},
		{"no folder", filepath.Join(dir, "none"), time.Now(), ""},
	} {
		got, err := PreviousRun(tc.dir, tc.before)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if filepath.Base(got) != tc.want && !(tc.want == "" && got == "") {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRecordsHistory(t *testing.T) {
	for _, tc := range []struct {
		assets              int
		noHistory, explicit bool
		want                bool
	}{
		{1_000_000, false, false, true},
		{50_000, false, false, false},
		{50_000, false, true, true},
		{1_000_000, true, false, false},
		{1_000_000, true, true, false},
	} {
		if got := RecordsHistory(tc.assets, tc.noHistory, tc.explicit); got != tc.want {
			t.Errorf("RecordsHistory(%d, %v, %v) = %v", tc.assets, tc.noHistory, tc.explicit, got)
		}
	}
}

func TestRepoRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := RepoRoot(sub); got != root {
		t.Errorf("RepoRoot(%s) = %s, want %s", sub, got, root)
	}
}

// TestRecord: the first run compares with nothing; the second, a minute
// later and slower, is set beside the first and flagged; a run not
// recorded leaves the history as it was.
func TestRecord(t *testing.T) {
	t.Parallel()
	hist, work := t.TempDir(), t.TempDir()
	first := benchReport(10, 10, true)
	res, err := Record(first, HistoryConfig{Dir: hist, Record: true, WorkDir: work, Threshold: RegressionThresholdDefault})
	if err != nil {
		t.Fatal(err)
	}
	if res.Comparison.Previous != nil || filepath.Base(res.Recorded) != HistoryName(first) {
		t.Fatalf("first run: %+v", res)
	}
	for _, n := range []string{LatestMarkdownName, LatestChartName} {
		for _, d := range []string{hist, work} {
			if _, err := os.Stat(filepath.Join(d, n)); err != nil {
				t.Errorf("first run: %v", err)
			}
		}
	}
	second := benchReport(12, 10, true)
	second.Date = first.Date.Add(time.Hour)
	res, err = Record(second, HistoryConfig{Dir: hist, Record: true, WorkDir: work, Threshold: RegressionThresholdDefault})
	if err != nil {
		t.Fatal(err)
	}
	if res.Comparison.PreviousFile != HistoryName(first) {
		t.Errorf("second run compared with %q", res.Comparison.PreviousFile)
	}
	if reg, _ := res.Comparison.Counts(); reg != 1 {
		t.Errorf("second run: %d regressions, want 1", reg)
	}
	md, err := os.ReadFile(filepath.Join(hist, LatestMarkdownName))
	if err != nil || !strings.Contains(string(md), "**REGRESSION**") || !strings.Contains(string(md), "## Benchmark") {
		t.Errorf("latest.md (%v):\n%s", err, md)
	}

	small := benchReport(30, 10, true)
	small.Date = second.Date.Add(time.Hour)
	if _, err := Record(small, HistoryConfig{Dir: hist, WorkDir: work, Threshold: RegressionThresholdDefault}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(hist)
	if len(entries) != 4 { // two runs, latest.md, latest.svg
		t.Errorf("history after an unrecorded run: %d files", len(entries))
	}
	md, _ = os.ReadFile(filepath.Join(hist, LatestMarkdownName))
	if strings.Contains(string(md), "30.0 ms") {
		t.Error("an unrecorded run overwrote the history's latest.md")
	}
	md, _ = os.ReadFile(filepath.Join(work, LatestMarkdownName))
	if !strings.Contains(string(md), "30.0 ms") {
		t.Error("an unrecorded run did not write its comparison to the working folder")
	}
}
