package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// reindexUnderLoad runs `assets reindex` while updates are applied through
// the API: the alias must move to the new index, and nothing may drift.
func reindexUnderLoad(ctx context.Context, h *harness) Result {
	cfg := h.cfg
	r := Result{}
	before, err := h.es.AliasIndexes(ctx, h.cfg.IndexPrefix)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	load := h.startWrites(ctx, uint64(cfg.Seed)+5, 10*time.Minute)
	hn.SleepCtx(ctx, 3*time.Second)
	began := time.Now()
	// Small pages make the reindex take longer, so more updates land while
	// it reads.
	out, rerr := h.runChild(ctx, "reindex", 5*time.Minute, "reindex", "--keep", "1", "--page", "200")
	took := time.Since(began)
	hn.SleepCtx(ctx, 3*time.Second)
	st := load.stop()
	if rerr != nil {
		return r.passIf(false, rerr.Error())
	}
	var res struct {
		Index    string   `json:"index"`
		Docs     int64    `json:"docs"`
		Rate     int64    `json:"docs_per_second"`
		Previous []string `json:"previous"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return r.passIf(false, fmt.Sprintf("reading the reindex output: %v", err))
	}
	after, err := h.es.AliasIndexes(ctx, h.cfg.IndexPrefix)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	r.Measured = fmt.Sprintf("reindex of %d docs in %s (%d docs/s) during %s; alias %v -> %v",
		res.Docs, took.Round(100*time.Millisecond), res.Rate, st, before, after)
	rep, err := h.verify(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	r.Measured += "; " + rep.String()
	switch {
	case st.failed > 0:
		return r.passIf(false, fmt.Sprintf("%d updates failed, the first: %s", st.failed, st.firstFailure))
	case len(after) != 1 || after[0] != res.Index || slices.Contains(before, res.Index):
		return r.passIf(false, fmt.Sprintf("the alias points at %v, want the new index %s alone", after, res.Index))
	}
	return r.passIf(rep.ok(), "PostgreSQL and Elasticsearch drifted")
}
