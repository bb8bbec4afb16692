package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/openinventory/assets/internal/bench"
	"github.com/openinventory/assets/internal/cli"
)

func quietEnv() *cli.Env {
	return &cli.Env{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// storedReport writes a small report as a bench run would, and returns
// its path.
func storedReport(t *testing.T, assets int) string {
	t.Helper()
	r := &bench.Report{Machine: bench.Machine{CPUs: 2}, Dataset: bench.DatasetInfo{Assets: assets},
		Measurements: []bench.Measurement{{Name: "list", Sides: []bench.Stats{{Side: "API", P50: 12, P99: 20}, {Side: "Elasticsearch", P50: 10, P99: 15}},
			Ratios: []bench.Ratio{{Of: "API", To: "Elasticsearch", P50: 1.2}}}}}
	path, err := bench.WriteHistory(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func runBench(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newBenchCmd(quietEnv())
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestBenchHistoryFlags(t *testing.T) {
	report := storedReport(t, 1_000_000)
	small := storedReport(t, 50_000)
	for _, tc := range []struct {
		name       string
		args       func(hist, work string) []string
		wantRecord bool
		wantErr    bool
	}{
		{"full-size run is recorded", func(h, w string) []string {
			return []string{"--from-report", report, "--history", h, "--out", w}
		}, true, false},
		{"--no-history leaves it alone", func(h, w string) []string {
			return []string{"--from-report", report, "--history", h, "--no-history", "--out", w}
		}, false, false},
		{"bad threshold", func(h, w string) []string {
			return []string{"--from-report", report, "--history", h, "--regression-threshold", "-1", "--out", w}
		}, false, true},
		{"unreadable report", func(h, w string) []string {
			return []string{"--from-report", filepath.Join(w, "none.json"), "--history", h, "--out", w}
		}, false, true},
		{"small run with an explicit --history is recorded", func(h, w string) []string {
			return []string{"--from-report", small, "--history", h, "--out", w}
		}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hist, work := filepath.Join(t.TempDir(), "history"), t.TempDir()
			out, err := runBench(t, tc.args(hist, work)...)
			if tc.wantErr {
				var ee *cli.ExitError
				if !errors.As(err, &ee) || ee.Code != cli.ExitBadInput {
					t.Fatalf("error %v, want bad input", err)
				}
				if _, err := os.Stat(hist); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("bad input touched the history: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "## Against the previous run") {
				t.Errorf("stdout lacks the comparison:\n%s", out)
			}
			if _, err := os.Stat(filepath.Join(work, bench.LatestChartName)); err != nil {
				t.Errorf("no chart in --out: %v", err)
			}
			_, err = os.Stat(filepath.Join(hist, bench.LatestChartName))
			if recorded := err == nil; recorded != tc.wantRecord {
				t.Errorf("recorded %v, want %v", recorded, tc.wantRecord)
			}
		})
	}
}

// TestBenchHistoryDefaultDir: the default history is docs/bench at the
// repository root, and a small run is not recorded there.
func TestBenchHistoryDefaultDir(t *testing.T) {
	var h historyFlags
	cmd := &cobra.Command{Use: "bench"}
	h.register(cmd)
	cfg := h.config(cmd, 50_000, t.TempDir())
	root := bench.RepoRoot(".")
	if cfg.Dir != filepath.Join(root, bench.HistoryDirDefault) || cfg.Record {
		t.Errorf("history %s record %v, want %s and false", cfg.Dir, cfg.Record, filepath.Join(root, bench.HistoryDirDefault))
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("the root %s has no go.mod: %v", root, err)
	}
}
