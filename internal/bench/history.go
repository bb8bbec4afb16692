package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// HistoryDirDefault is where the committed runs live, relative to the
// repository root (the folder holding go.mod). .bench/ stays the working
// folder; this one is the history that later runs compare with.
const HistoryDirDefault = "docs/bench"

// HistoryMinAssetsDefault is the smallest data set whose run is recorded
// in the history by default: only full-size runs are comparable with each
// other, so small experimental runs must not become the baseline.
const HistoryMinAssetsDefault = 1_000_000

// Names of the files written beside the history: the comparison with the
// previous run and the latency chart the README shows.
const (
	LatestMarkdownName = "latest.md"
	LatestChartName    = "latest.svg"
)

// historyTimeLayout starts every history file name; it sorts by date.
const historyTimeLayout = "2006-01-02T15-04Z"

// HistoryConfig says where a run's history goes and whether it is recorded.
type HistoryConfig struct {
	// Dir holds the committed runs; the previous run is read from it.
	Dir string
	// Record writes this run, the comparison and the chart into Dir.
	Record bool
	// WorkDir (the --out folder) always gets the comparison and chart.
	WorkDir string
	// Threshold is the fraction by which a figure may get worse unflagged.
	Threshold float64
}

// HistoryResult is what Record did.
type HistoryResult struct {
	Comparison Comparison
	Recorded   string   // the history file written, or ""
	Written    []string // every file written
}

// RecordsHistory is the rule for recording a run: never with --no-history,
// always when --history was given explicitly, else only for full-size runs.
func RecordsHistory(assets int, noHistory, explicitDir bool) bool {
	switch {
	case noHistory:
		return false
	case explicitDir:
		return true
	}
	return assets >= HistoryMinAssetsDefault
}

// RepoRoot is the nearest folder at or above dir that holds go.mod, or dir
// itself when there is none, so that the history lands in the repository
// whichever folder the bench runs from.
func RepoRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return abs
		}
	}
}

// HistoryName is the file name of a run in the history: its date to the
// minute and its CPU count, e.g. 2026-11-27T16-10Z-2cpu.json.
func HistoryName(r *Report) string {
	return fmt.Sprintf("%s-%dcpu.json", r.Date.UTC().Format(historyTimeLayout), r.Machine.CPUs)
}

// WriteHistory stores the report, as is, in dir under its history name.
func WriteHistory(dir string, r *Report) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding the report: %w", err)
	}
	path := filepath.Join(dir, HistoryName(r))
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("writing the history entry: %w", err)
	}
	return path, nil
}

// LoadReport reads a report written by Write or WriteHistory.
func LoadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decoding the report %s: %w", path, err)
	}
	return &r, nil
}

// PreviousRun is the newest run in dir dated before the given time, by the
// date its file name starts with; files named otherwise are ignored. It
// returns "" and no error when there is none (the first run, or no dir).
func PreviousRun(dir string, before time.Time) (string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("listing the history in %s: %w", dir, err)
	}
	// Compare to the minute: that is all a file name keeps.
	limit := before.UTC().Truncate(time.Minute)
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".json") || len(n) < len(historyTimeLayout) {
			continue
		}
		t, err := time.Parse(historyTimeLayout, n[:len(historyTimeLayout)])
		if err != nil || !t.Before(limit) {
			continue
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return "", nil
	}
	slices.Sort(names)
	return filepath.Join(dir, names[len(names)-1]), nil
}

// Record compares the run with the previous one in cfg.Dir, writes the
// comparison and the chart into cfg.WorkDir and, when cfg.Record, the run
// itself with the comparison and the chart into cfg.Dir.
func Record(r *Report, cfg HistoryConfig) (*HistoryResult, error) {
	res := &HistoryResult{}
	var prev *Report
	var prevPath string
	if cfg.Dir != "" {
		var err error
		if prevPath, err = PreviousRun(cfg.Dir, r.Date); err != nil {
			return nil, err
		}
		if prevPath != "" {
			if prev, err = LoadReport(prevPath); err != nil {
				return nil, err
			}
		}
	}
	res.Comparison = Compare(prev, r, cfg.Threshold)
	if prevPath != "" {
		res.Comparison.PreviousFile = filepath.Base(prevPath)
	}
	md := []byte(res.Comparison.Markdown() + "\n![Latency per read, side by side](" + LatestChartName + ")\n\n" + r.Markdown())
	svg, err := Chart(r)
	if err != nil {
		return nil, err
	}
	dirs := []string{}
	if cfg.WorkDir != "" {
		dirs = append(dirs, cfg.WorkDir)
	}
	if cfg.Record && cfg.Dir != "" {
		path, err := WriteHistory(cfg.Dir, r)
		if err != nil {
			return nil, err
		}
		res.Recorded = path
		res.Written = append(res.Written, path)
		dirs = append(dirs, cfg.Dir)
	}
	for _, d := range dirs {
		paths, err := writeLatest(d, md, svg)
		if err != nil {
			return nil, err
		}
		res.Written = append(res.Written, paths...)
	}
	return res, nil
}

// writeLatest writes the comparison and the chart into dir.
func writeLatest(dir string, md, svg []byte) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	mdPath, svgPath := filepath.Join(dir, LatestMarkdownName), filepath.Join(dir, LatestChartName)
	if err := os.WriteFile(mdPath, md, 0o644); err != nil {
		return nil, fmt.Errorf("writing the comparison: %w", err)
	}
	if err := os.WriteFile(svgPath, svg, 0o644); err != nil {
		return nil, fmt.Errorf("writing the chart: %w", err)
	}
	return []string{mdPath, svgPath}, nil
}
