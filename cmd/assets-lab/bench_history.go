package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/openinventory/assets/internal/bench"
	"github.com/openinventory/assets/internal/cli"
)

// historyFlags are the bench's flags about the committed history of runs.
type historyFlags struct {
	dir        string
	noHistory  bool
	threshold  float64
	fromReport string
}

func (h *historyFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&h.dir, "history", bench.HistoryDirDefault,
		fmt.Sprintf("folder of the committed runs (relative: to the repository root); a run is recorded there when it has at least %d assets or when --history is given", bench.HistoryMinAssetsDefault))
	f.BoolVar(&h.noHistory, "no-history", false, "do not record this run in the history (it is still compared with it, and the comparison goes to --out)")
	f.Float64Var(&h.threshold, "regression-threshold", bench.RegressionThresholdDefault, "flag a figure worse than the previous run's by more than this fraction")
	f.StringVar(&h.fromReport, "from-report", "", "run nothing: compare and chart this stored JSON report (and record it, by the same rule)")
}

// check rejects flags that make no sense, before anything runs.
func (h *historyFlags) check() error {
	if h.threshold <= 0 || h.threshold >= 10 {
		return cli.BadInput(fmt.Errorf("--regression-threshold %v: a fraction above 0 and below 10 (0.10 is 10%%)", h.threshold))
	}
	if h.dir == "" {
		return cli.BadInput(fmt.Errorf("--history: empty; use --no-history to keep the history as it is"))
	}
	return nil
}

// config resolves the history folder and applies the recording rule.
func (h *historyFlags) config(cmd *cobra.Command, assets int, workDir string) bench.HistoryConfig {
	dir := h.dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(bench.RepoRoot("."), dir)
	}
	// Even an unrecorded run is compared with the history, read only.
	return bench.HistoryConfig{Dir: dir, WorkDir: workDir, Threshold: h.threshold,
		Record: bench.RecordsHistory(assets, h.noHistory, cmd.Flags().Changed("history"))}
}

// record compares the run with the previous one, writes the comparison
// and the chart, records the run when the rule says so, and prints the
// comparison after the report.
func (h *historyFlags) record(e *cli.Env, cmd *cobra.Command, rep *bench.Report, workDir string) error {
	out := cmd.OutOrStdout()
	cfg := h.config(cmd, rep.Dataset.Assets, workDir)
	res, err := bench.Record(rep, cfg)
	if err != nil {
		return fmt.Errorf("recording the run's history: %w", err)
	}
	fmt.Fprint(out, "\n"+res.Comparison.Markdown())
	if res.Recorded != "" {
		e.Logger.Info("bench: run recorded in the history", "file", res.Recorded)
	} else {
		e.Logger.Info("bench: run not recorded in the history", "assets", rep.Dataset.Assets,
			"rule", fmt.Sprintf("at least %d assets, or --history given; never with --no-history", bench.HistoryMinAssetsDefault))
	}
	e.Logger.Info("bench: comparison and chart written", "files", res.Written)
	for _, d := range res.Comparison.Rows {
		if d.Flag == bench.FlagRegression {
			e.Logger.Warn("bench: regression against the previous run", "figure", d.Figure, "previous", d.Previous, "now", d.Current, "why", d.Why)
		}
	}
	return nil
}

// replay is --from-report: the history steps over a stored report.
func (h *historyFlags) replay(e *cli.Env, cmd *cobra.Command, workDir string) error {
	rep, err := bench.LoadReport(h.fromReport)
	if err != nil {
		return cli.BadInput(fmt.Errorf("--from-report: %w", err))
	}
	return h.record(e, cmd, rep, workDir)
}
