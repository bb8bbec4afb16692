package store

import (
	"log/slog"
	"time"
)

// ImportProgress receives an import's progress: Phase when a phase starts
// (total units of unit, -1 when unknown), Add as units are done.
type ImportProgress interface {
	Phase(name, unit string, total int64)
	Add(n int64)
}

// The phases an import reports, in order.
const (
	// ImportPhaseLoad reads, parses and stages the records; counted in
	// assets staged.
	ImportPhaseLoad = "load"
	// ImportPhaseMerge merges the staged assets into the tables and
	// commits; counted in steps (importMergeSteps).
	ImportPhaseMerge = "merge"
)

// importMergeSteps are the steps of the merge phase: check references,
// upsert assets, memberships, deletes, commit. The upsert is most of
// the time, but a step count still says where a long merge stands.
const importMergeSteps = 5

// importProgressBatch is how many staged assets are counted before they
// are reported: a call per asset would cost a lock per row.
const importProgressBatch = 1000

// ReportProgress makes Import report its phases to p: ImportPhaseLoad with
// assets as its total (-1 when the caller does not know), then
// ImportPhaseMerge. Each phase ends at its total when the import succeeds.
func ReportProgress(p ImportProgress, assets int64) ImportOption {
	return func(o *importOptions) { o.progress, o.assets = p, assets }
}

// importTracker logs the phases' durations (LogPhases) and reports the
// progress (ReportProgress) of one import.
type importTracker struct {
	log     *slog.Logger
	p       ImportProgress
	total   int64 // expected assets, -1 when unknown
	start   time.Time
	pending int64 // staged assets not yet reported
	steps   int64 // merge steps reported
}

func newImportTracker(o importOptions) *importTracker {
	t := &importTracker{log: o.log, p: o.progress, total: o.assets, start: time.Now()}
	if t.p != nil {
		t.p.Phase(ImportPhaseLoad, "assets", t.total)
	}
	return t
}

// staged counts one asset staged.
func (t *importTracker) staged() {
	if t.p == nil {
		return
	}
	t.pending++
	if t.pending >= importProgressBatch {
		t.p.Add(t.pending)
		t.pending = 0
	}
}

// phaseDone logs that the step name ended; "copy" ends the load phase,
// the others are steps of the merge.
func (t *importTracker) phaseDone(name string) {
	if t.log != nil {
		t.log.Debug("import phase done", "phase", name, "elapsed", time.Since(t.start).Round(time.Millisecond))
	}
	if t.p == nil {
		return
	}
	if name == "copy" {
		t.p.Add(t.pending)
		t.pending = 0
		t.p.Phase(ImportPhaseMerge, "steps", importMergeSteps)
		return
	}
	if t.steps < importMergeSteps-1 { // the last step is the commit
		t.steps++
		t.p.Add(1)
	}
}

// committed ends the merge phase at its total: the steps an import without
// assets skips are done too.
func (t *importTracker) committed() {
	if t.p != nil {
		t.p.Add(importMergeSteps - t.steps)
		t.steps = importMergeSteps
	}
}
