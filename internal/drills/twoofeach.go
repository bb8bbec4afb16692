package drills

import (
	"context"
	"fmt"
	"strings"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// The two-of-each drill's shape.
const (
	// TwoOfEachDurationDefault is how long the load runs; one replica and
	// one worker are killed half-way.
	TwoOfEachDurationDefault = 60 * time.Second
	// TwoOfEachCrossChecks is how many times, under load, a search, a list
	// cursor and a values cursor made by one replica are used on the other.
	TwoOfEachCrossChecks = 3
)

// pair is the second replica and worker of the two-of-each drill.
type pair struct {
	serve *hn.Child
	sync  *hn.Child
	api   string
}

// twoOfEach runs a second `assets serve` and a second `assets sync` next to
// the harness's, on the same database and cluster, under reads spread over
// both replicas and cfg.Rate updates/s. Under load, what one replica makes
// (a stored search, list and values cursors) must work on the other; then
// one replica and one worker are killed with SIGKILL. At the end nothing
// may be lost or written out of order: verify finds no drift, and every
// updated asset has in Elasticsearch PostgreSQL's version and tags, with at
// least as many version bumps as acknowledged updates.
func twoOfEach(ctx context.Context, h *harness) Result {
	cfg := h.cfg
	r := Result{}
	before, err := h.versions(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	logMarks := h.syncLogMarks()
	p, err := h.startPair(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	defer p.stop()
	apis := []string{h.api, p.api}
	writes := h.startWritesTo(ctx, apis, uint64(cfg.Seed)+22, cfg.TwoOfEachDuration+2*time.Minute)
	reads := h.startReads(ctx, apis, cfg.TwoOfEachDuration+2*time.Minute)
	began := time.Now()
	var crossErr error
	for i := range TwoOfEachCrossChecks {
		hn.SleepCtx(ctx, cfg.TwoOfEachDuration/time.Duration(4*TwoOfEachCrossChecks))
		from, to := apis[i%2], apis[(i+1)%2]
		if crossErr = h.crossReplica(ctx, from, to); crossErr != nil {
			break
		}
	}
	hn.SleepCtx(ctx, time.Until(began.Add(cfg.TwoOfEachDuration/2)))
	killErr := h.killOneOfEach(p)
	hn.SleepCtx(ctx, time.Until(began.Add(cfg.TwoOfEachDuration)))
	ws, rs := writes.stop(), reads.stop()
	r.Measured = fmt.Sprintf("2 replicas, 2 workers; %d cross-replica checks (search, list and values cursors); "+
		"replica 2 and worker 1 killed at %s; reads: %s; writes: %s (%d sent again to the other replica)",
		TwoOfEachCrossChecks, (cfg.TwoOfEachDuration / 2).Round(time.Second), rs, ws, ws.failovers)
	if err := firstError(crossErr, killErr); err != nil {
		return r.passIf(false, err.Error())
	}
	r = h.judgeAfterFault(ctx, r, ws, func() string { return "" })
	if !r.Pass {
		return r
	}
	order, err := h.checkUpdated(ctx, before, ws.acked)
	r.Measured += "; " + order
	if err != nil {
		return r.passIf(false, err.Error())
	}
	conflicts, err := h.benignConflicts(logMarks)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	r.Measured += fmt.Sprintf("; %d version conflicts answered by Elasticsearch to the workers (an equal or newer version was there: benign)", conflicts)
	return r
}

// startPair starts the second worker and the second API replica, with the
// drills' limits, and waits until the replica is ready.
func (h *harness) startPair(ctx context.Context) (*pair, error) {
	addr, err := hn.FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	p := &pair{api: "http://" + addr}
	if p.sync, err = h.spawn("sync-2", "sync"); err != nil {
		return nil, err
	}
	p.serve, err = h.spawn("serve-2", "serve", "--addr", addr, "--rate-limit", drillsRateLimit, "--rate-burst", drillsRateBurst,
		"--max-searches-per-token", drillsTokenCap, "--max-searches-per-tenant", drillsTenantCap)
	if err != nil {
		p.stop()
		return nil, err
	}
	if err := hn.WaitReady(ctx, h.client, p.serve, p.api+"/readyz", time.Minute); err != nil {
		p.stop()
		return nil, fmt.Errorf("the second replica: %w", err)
	}
	return p, nil
}

// stop ends what is left of the pair.
func (p *pair) stop() {
	for _, c := range []*hn.Child{p.serve, p.sync} {
		if c != nil && !c.Exited() {
			_ = c.Stop(20 * time.Second)
		}
	}
}

// killOneOfEach kills the second replica and the harness's worker with
// SIGKILL; the pair's worker becomes the harness's, so the drills after
// this one keep a worker.
func (h *harness) killOneOfEach(p *pair) error {
	h.log.Info("drill: kill -9 the second replica and the first worker")
	if err := p.serve.Kill(); err != nil {
		return fmt.Errorf("killing the second replica: %w", err)
	}
	if h.sync.Exited() {
		return fmt.Errorf("the first sync worker had exited by itself: %v", h.sync.Err())
	}
	if err := h.sync.Kill(); err != nil {
		return fmt.Errorf("killing the first worker: %w", err)
	}
	h.sync, p.sync = p.sync, nil
	return nil
}

// onReplica moves a link replica from made to replica to; a link already
// on to stays as it is.
func onReplica(link, from, to string) string {
	switch {
	case strings.HasPrefix(link, "/"):
		return to + link
	case strings.HasPrefix(link, from+"/"):
		return to + strings.TrimPrefix(link, from)
	}
	return link
}
