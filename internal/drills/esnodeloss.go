package drills

import (
	"context"
	"fmt"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// The es-node-loss drill's fault and pass criteria. With one replica of
// every shard, losing one node of three loses no data; reads may fail for
// the moment the cluster takes to notice and promote the replicas.
const (
	// NodeLossDownDefault is how long the killed node stays down.
	NodeLossDownDefault = 20 * time.Second
	// NodeLossMaxNon200Share is the share of reads that may answer other
	// than 200 over the whole load.
	NodeLossMaxNon200Share = 0.05
	// NodeLossMaxGap is the longest time the reads may go without a 200:
	// the failover itself takes about a second, the rest is room for a
	// machine the cluster shares with its clients.
	NodeLossMaxGap = 15 * time.Second
	// NodeLossVictim is the node killed: the last one, never the first,
	// which every client asks first.
	NodeLossVictim = ClusterDrillNodes
)

// esNodeLoss kills one data node with SIGKILL under read and write load,
// starts it again after cfg.NodeDown and waits for green: the reads may
// falter within the bounds above, no write may fail, the outbox must
// drain and nothing may drift.
func esNodeLoss(ctx context.Context, h *harness) Result {
	cfg := h.cfg
	r := Result{}
	shape, err := h.clusterReady(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	bound := cfg.NodeDown + cfg.GreenTimeout + 2*time.Minute
	writes := h.startWrites(ctx, uint64(cfg.Seed)+20, bound)
	reads := h.startReads(ctx, []string{h.api}, bound)
	stopLoads := func() (loadStats, readStats) { return writes.stop(), reads.stop() }
	hn.SleepCtx(ctx, 5*time.Second)
	if err := h.killNode(ctx, NodeLossVictim); err != nil {
		stopLoads()
		return r.passIf(false, err.Error())
	}
	killed := time.Now()
	hn.SleepCtx(ctx, cfg.NodeDown)
	startErr := h.nodeService(ctx, "start", NodeLossVictim)
	back := time.Now()
	green, greenErr := h.waitGreen(ctx, cfg.GreenTimeout)
	hn.SleepCtx(ctx, 5*time.Second) // reads and writes on the whole cluster again
	ws, rs := stopLoads()
	r.Measured = fmt.Sprintf("%s; node %d killed, down %s, green %s after its start; reads: %s; writes: %s",
		shape, NodeLossVictim, back.Sub(killed).Round(100*time.Millisecond), green.Round(100*time.Millisecond), rs, ws)
	if err := firstError(startErr, greenErr); err != nil {
		return r.passIf(false, err.Error())
	}
	return h.judgeAfterFault(ctx, r, ws, func() string {
		switch {
		case rs.share() > NodeLossMaxNon200Share:
			return fmt.Sprintf("%.2f%% of the reads were not 200 (at most %.0f%%)", 100*rs.share(), 100*NodeLossMaxNon200Share)
		case rs.longestGap > NodeLossMaxGap:
			return fmt.Sprintf("the reads went %s without a 200 (at most %s)", rs.longestGap.Round(10*time.Millisecond), NodeLossMaxGap)
		}
		return ""
	})
}

// judgeAfterFault finishes a drill whose fault is over: no write may have
// failed, readsFault (the drill's own read criteria, "" when met) must
// hold, the outbox must drain and verify must find no drift.
func (h *harness) judgeAfterFault(ctx context.Context, r Result, ws loadStats, readsFault func() string) Result {
	drain, drainErr := h.waitDrained(ctx, h.cfg.DrainTimeout)
	r.Measured += fmt.Sprintf("; outbox drained in %s", drain.Round(100*time.Millisecond))
	if drainErr != nil {
		return r.passIf(false, drainErr.Error())
	}
	rep, err := h.verify(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	r.Measured += "; " + rep.String()
	if ws.failed > 0 {
		return r.passIf(false, fmt.Sprintf("%d updates failed, the first: %s", ws.failed, ws.firstFailure))
	}
	if why := readsFault(); why != "" {
		return r.passIf(false, why)
	}
	return r.passIf(rep.ok(), "PostgreSQL and Elasticsearch drifted")
}

// firstError is the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
