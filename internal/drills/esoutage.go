package drills

import (
	"context"
	"fmt"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// esOutage stops Elasticsearch for cfg.ESOutage while updates are applied
// through the API: no update may fail (writes go to PostgreSQL only). When
// Elasticsearch answers again the load stops and the outbox must drain; the
// time from healthy to drained is what it measures.
func esOutage(ctx context.Context, h *harness) Result {
	cfg := h.cfg
	load := h.startWrites(ctx, uint64(cfg.Seed)+2, cfg.ESOutage+5*time.Minute)
	r := Result{}
	if !hn.SleepCtx(ctx, 2*time.Second) {
		load.stop()
		return r.passIf(false, ctx.Err().Error())
	}
	if err := h.services(ctx, "stop", "elasticsearch"); err != nil {
		load.stop()
		return r.passIf(false, err.Error())
	}
	down := time.Now()
	hn.SleepCtx(ctx, cfg.ESOutage)
	peak, _ := h.backlog(ctx)
	startErr := h.services(ctx, "start", "elasticsearch")
	healthy := time.Now()
	st := load.stop()
	if startErr != nil {
		return r.passIf(false, startErr.Error())
	}
	final, _ := h.backlog(ctx)
	drain, drainErr := h.waitDrained(ctx, cfg.DrainTimeout)
	r.Measured = fmt.Sprintf("down %s (+%s to start again) under %s; backlog %d at the restart, %d once healthy, drained in %s",
		cfg.ESOutage, healthy.Sub(down.Add(cfg.ESOutage)).Round(100*time.Millisecond), st, peak, final,
		drain.Round(100*time.Millisecond))
	if drainErr != nil {
		return r.passIf(false, drainErr.Error())
	}
	rep, err := h.verify(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	r.Measured += "; " + rep.String()
	if st.failed > 0 {
		return r.passIf(false, fmt.Sprintf("%d updates failed while Elasticsearch was down, the first: %s", st.failed, st.firstFailure))
	}
	return r.passIf(rep.ok(), "PostgreSQL and Elasticsearch drifted")
}
