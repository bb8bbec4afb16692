package bench

import (
	"context"
	"net/url"
	"time"
)

// probePause spaces the probe's requests so that it samples the import
// rather than competing with it.
const probePause = 20 * time.Millisecond

// probeRelationships asks for a relationships page of assetID over and
// over until the returned stop is called, which returns their latencies
// (failures counted apart, the first one kept).
func (r *runner) probeRelationships(ctx context.Context, assetID string) (stop func() Stats) {
	ctx, cancel := context.WithCancel(ctx)
	u := r.api.url("/"+assetID+"/relationships/projects", url.Values{"canonical": {"with"}, "sort": {"-issues"}, "limit": {"100"}})
	get := r.apiSide(u)
	done := make(chan Stats, 1)
	go func() {
		var samples []time.Duration
		var errs int
		var first string
		for ctx.Err() == nil {
			t0 := time.Now()
			err := get.do(ctx)
			switch {
			case err == nil:
				samples = append(samples, time.Since(t0))
			case ctx.Err() == nil:
				if errs++; first == "" {
					first = err.Error()
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(probePause):
			}
		}
		st := summarize("API", samples)
		st.Errors, st.FirstError = errs, first
		done <- st
	}()
	return func() Stats {
		cancel()
		return <-done
	}
}
