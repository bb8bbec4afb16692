package drills

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// killWorker kills the sync worker with SIGKILL cfg.Kills times at random
// moments while updates are applied at cfg.Rate for cfg.KillDuration,
// starting a new worker each time; then nothing may have drifted.
func killWorker(ctx context.Context, h *harness) Result {
	cfg := h.cfg
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 1))
	schedule := killSchedule(rng, cfg.Kills, cfg.KillDuration)
	load := h.startWrites(ctx, uint64(cfg.Seed)+1, cfg.KillDuration+time.Minute)
	begin := load.start
	kills, busy := 0, 0
	var maxBacklog int64
	var killErr error
	for _, at := range schedule {
		if !hn.SleepCtx(ctx, time.Until(begin.Add(at))) {
			break
		}
		n, err := h.backlog(ctx)
		if err == nil {
			maxBacklog = max(maxBacklog, n)
			if n > 0 {
				busy++
			}
		}
		if killErr = h.restartSync(); killErr != nil {
			break
		}
		kills++
		h.log.Info("drill: killed the sync worker", "kill", kills, "at", at.Round(time.Millisecond), "backlog", n)
	}
	hn.SleepCtx(ctx, time.Until(begin.Add(cfg.KillDuration)))
	st := load.stop()
	r := Result{Measured: fmt.Sprintf("%d kill -9 of the worker in %s (%d with a backlog, peak %d), %s",
		kills, st.elapsed.Round(time.Second), busy, maxBacklog, st)}
	if killErr != nil {
		return r.passIf(false, killErr.Error())
	}
	rep, err := h.verify(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	r.Measured += "; " + rep.String()
	switch {
	case kills != cfg.Kills:
		return r.passIf(false, fmt.Sprintf("only %d of %d kills happened", kills, cfg.Kills))
	case st.failed > 0:
		return r.passIf(false, fmt.Sprintf("%d updates failed, the first: %s", st.failed, st.firstFailure))
	}
	return r.passIf(rep.ok(), "PostgreSQL and Elasticsearch drifted")
}

// killSchedule spreads n kills over d: one at a random moment inside each
// of n equal slots, away from the slot's edges so that every restarted
// worker runs for a while before the next kill.
func killSchedule(rng *rand.Rand, n int, d time.Duration) []time.Duration {
	if n <= 0 {
		return nil
	}
	slot := d / time.Duration(n)
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i)*slot + slot/5 + time.Duration(rng.Int64N(int64(slot*3/5)+1))
	}
	return out
}
