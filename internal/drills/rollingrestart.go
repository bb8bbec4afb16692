package drills

import (
	"context"
	"fmt"
	"strings"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// RollingMaxFailing is the rolling-restart drill's bound: the reads may
// answer 5xx (or not at all) for at most this long in a row. A graceful
// stop hands the node's shards over before it leaves, so a client that
// knows every node should barely notice.
const RollingMaxFailing = 5 * time.Second

// rollingRestart stops each node gracefully, starts it again and waits for
// green before the next, under read and write load: no run of failing
// reads longer than RollingMaxFailing, no failed write, the outbox drains
// and nothing drifts.
func rollingRestart(ctx context.Context, h *harness) Result {
	cfg := h.cfg
	r := Result{}
	shape, err := h.clusterReady(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	nodes := len(splitURLs(cfg.ElasticsearchURL))
	bound := time.Duration(nodes) * (cfg.GreenTimeout + 5*time.Minute)
	writes := h.startWrites(ctx, uint64(cfg.Seed)+21, bound)
	reads := h.startReads(ctx, []string{h.api}, bound)
	hn.SleepCtx(ctx, 5*time.Second)
	var steps []string
	var stepErr error
	for n := 1; n <= nodes && stepErr == nil; n++ {
		var step string
		step, stepErr = h.restartNode(ctx, n)
		steps = append(steps, step)
	}
	hn.SleepCtx(ctx, 5*time.Second)
	ws, rs := writes.stop(), reads.stop()
	r.Measured = fmt.Sprintf("%s; %s; reads: %s; writes: %s", shape, strings.Join(steps, ", "), rs, ws)
	if stepErr != nil {
		return r.passIf(false, stepErr.Error())
	}
	return h.judgeAfterFault(ctx, r, ws, func() string {
		if rs.longestFailing > RollingMaxFailing {
			return fmt.Sprintf("the reads failed for %s in a row (at most %s)", rs.longestFailing.Round(10*time.Millisecond), RollingMaxFailing)
		}
		return ""
	})
}

// restartNode stops node n gracefully, starts it and waits for green; it
// says how long each part took.
func (h *harness) restartNode(ctx context.Context, n int) (string, error) {
	began := time.Now()
	if err := h.nodeService(ctx, "stop", n); err != nil {
		return fmt.Sprintf("node %d: stop failed", n), err
	}
	stopped := time.Now()
	if err := h.nodeService(ctx, "start", n); err != nil {
		return fmt.Sprintf("node %d: start failed", n), err
	}
	started := time.Now()
	green, err := h.waitGreen(ctx, h.cfg.GreenTimeout)
	return fmt.Sprintf("node %d stopped in %s, started in %s, green %s later", n, stopped.Sub(began).Round(100*time.Millisecond),
		started.Sub(stopped).Round(100*time.Millisecond), green.Round(100*time.Millisecond)), err
}
