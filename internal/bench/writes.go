package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/openinventory/assets/store"
)

const (
	bulkSize   = 100
	patchLabel = benchLabelPrefix + "patch"
	// lagPoll is how often the lag poller asks Elasticsearch.
	lagPoll = 20 * time.Millisecond
	// lagWriters update concurrently, so one slow commit does not hold
	// back the rate.
	lagWriters = 4
	// lagSettle bounds the wait for the last updates to show.
	lagSettle = 30 * time.Second
)

// bulkPatchBody is the bulk PATCH of ids adding one label.
func bulkPatchBody(ids []string, label string) ([]byte, error) {
	type labels struct {
		Add []string `json:"add"`
	}
	type attrs struct {
		Labels labels `json:"labels"`
	}
	type resource struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes attrs  `json:"attributes"`
	}
	data := make([]resource, len(ids))
	for i, id := range ids {
		data[i] = resource{Type: "container_images", ID: id, Attributes: attrs{Labels: labels{Add: []string{label}}}}
	}
	return json.Marshal(map[string]any{"data": data})
}

func (r *runner) tenantScope() store.Scope {
	return store.Scope{Kind: store.ScopeTenant, ID: r.data.tenantID, TenantID: r.data.tenantID}
}

// addLabel patches ids with store.ApplyPatches, as the bulk PATCH does.
func (r *runner) addLabel(ctx context.Context, ids []string, label string) error {
	patches := make([]store.Patch, len(ids))
	for i, id := range ids {
		patches[i] = store.Patch{ID: id, Labels: &store.LabelsPatch{Add: []string{label}}}
	}
	return store.ApplyPatches(ctx, r.pool, r.tenantScope(), patches)
}

func (r *runner) measureBulkPatch(ctx context.Context) error {
	u := r.api.url("", nil)
	apiSide := side{name: "API", do: func(ctx context.Context) error {
		body, err := bulkPatchBody(r.data.takeIDs(bulkSize), patchLabel)
		if err != nil {
			return err
		}
		_, _, err = r.api.sendBody(ctx, http.MethodPatch, u, body, http.StatusNoContent)
		return err
	}}
	storeSide := side{name: "store.ApplyPatches", do: func(ctx context.Context) error {
		return r.addLabel(ctx, r.data.takeIDs(bulkSize), patchLabel)
	}}
	stats, err := interleave(ctx, r.lim, apiSide, storeSide)
	if err != nil {
		return err
	}
	r.rep.add(Measurement{
		Name:    "bulk PATCH: 100 assets, labels add",
		Request: "PATCH .../inventory/assets with 100 resources {labels: {add: [" + patchLabel + "]}}",
		Sides:   stats,
		Note:    "direct: store.ApplyPatches (what the bulk PATCH calls) with the same patches, in this process; the sync worker indexes the changes meanwhile",
	})
	return nil
}

// lagUpdate is one update waiting to show in the index.
type lagUpdate struct {
	id        string
	committed time.Time
}

// measureSyncLag applies single-asset updates at cfg.LagRate per second
// while the child worker runs, and measures for each the time from its
// commit to the moment a search finds the asset with its new label. One
// poller asks for all pending labels at once every lagPoll; it also asks
// PostgreSQL which updates' outbox rows are gone (the worker deletes them
// once Elasticsearch acknowledged the write), which splits the lag into
// the worker's part and the wait for Elasticsearch's refresh.
func (r *runner) measureSyncLag(ctx context.Context) error {
	if err := r.waitBacklog(ctx, 3*time.Minute); err != nil {
		return fmt.Errorf("waiting for the earlier writes to sync: %w", err)
	}
	total := min(int(float64(r.cfg.LagRate)*r.cfg.LagDuration.Seconds()), len(r.data.ids))
	ids := r.data.takeIDs(total)
	run := strconv.FormatInt(time.Now().Unix(), 36)

	var mu sync.Mutex
	pending := map[string]lagUpdate{} // not yet visible, by label
	unacked := map[string]lagUpdate{} // outbox row not yet gone, by label
	var lags, acks []time.Duration
	var failed, sent int
	var firstErr error

	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan int)
	start := time.Now()
	g.Go(func() error { // pacing
		defer close(jobs)
		tick := time.NewTicker(time.Second / time.Duration(r.cfg.LagRate))
		defer tick.Stop()
		deadline := start.Add(r.cfg.LagDuration)
		for i := 0; i < total && time.Now().Before(deadline); i++ {
			select {
			case <-gctx.Done():
				return nil
			case jobs <- i:
			}
			select {
			case <-gctx.Done():
				return nil
			case <-tick.C:
			}
		}
		return nil
	})
	var wg sync.WaitGroup
	for range lagWriters {
		wg.Go(func() {
			for i := range jobs {
				label := benchLabelPrefix + "lag-" + run + "-" + strconv.Itoa(i)
				err := r.addLabel(gctx, ids[i:i+1], label)
				now := time.Now()
				mu.Lock()
				sent++
				if err != nil {
					failed++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					pending[label] = lagUpdate{id: ids[i], committed: now}
					unacked[label] = pending[label]
				}
				mu.Unlock()
			}
		})
	}
	writersDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(writersDone)
	}()
	var writeSeconds float64
	g.Go(func() error { // polling
		var settle <-chan time.Time
		for done := writersDone; ; {
			select {
			case <-gctx.Done():
				return nil
			case <-done:
				writeSeconds = time.Since(start).Seconds()
				settle, done = time.After(lagSettle), nil
			case <-settle:
				return nil
			case <-time.After(lagPoll):
			}
			mu.Lock()
			labels := make([]string, 0, len(pending))
			for l := range pending {
				labels = append(labels, l)
			}
			waiting := make([]string, 0, len(unacked))
			for _, u := range unacked {
				waiting = append(waiting, u.id)
			}
			mu.Unlock()
			if len(labels) == 0 {
				if done == nil {
					return nil
				}
				continue
			}
			if len(waiting) > 0 {
				left, err := r.outboxHolds(gctx, waiting)
				if err != nil {
					return err
				}
				now := time.Now()
				mu.Lock()
				for label, u := range unacked {
					if !left[u.id] {
						acks = append(acks, now.Sub(u.committed))
						delete(unacked, label)
					}
				}
				mu.Unlock()
			}
			seen, err := r.visibleLabels(gctx, labels)
			if err != nil {
				return err
			}
			now := time.Now()
			mu.Lock()
			for label, id := range seen {
				if u, ok := pending[label]; ok && u.id == id {
					lags = append(lags, now.Sub(u.committed))
					delete(pending, label)
					if _, ok := unacked[label]; ok { // acknowledged since the outbox check
						acks = append(acks, now.Sub(u.committed))
						delete(unacked, label)
					}
				}
			}
			mu.Unlock()
		}
	})
	err := g.Wait()
	wg.Wait()
	if err != nil {
		return err
	}
	if writeSeconds == 0 {
		return ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		r.log.Warn("bench: some lag updates failed", "failed", failed, "first", firstErr)
	}
	st := summarize("commit → visible in a search", lags)
	st.Errors = failed
	if firstErr != nil {
		st.FirstError = firstErr.Error()
	}
	st.PerSecond = 0 // not a request rate
	ack := summarize("commit → acknowledged (outbox row gone)", acks)
	ack.PerSecond = 0
	r.rep.SyncLag = &SyncLag{
		Updates: sent, TargetRate: r.cfg.LagRate, Rate: float64(sent) / writeSeconds,
		Seconds: writeSeconds, Visible: len(lags), NotVisible: len(pending), Poll: lagPoll.String(),
		Stats: st, Acknowledged: ack,
	}
	return nil
}

// outboxHolds reports which of ids still have an outbox row.
func (r *runner) outboxHolds(ctx context.Context, ids []string) (map[string]bool, error) {
	rows, err := r.pool.Query(ctx, `SELECT DISTINCT asset_id::text FROM asset_outbox WHERE asset_id = ANY ($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	left, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("reading the outbox: %w", err)
	}
	out := make(map[string]bool, len(left))
	for _, id := range left {
		out[id] = true
	}
	return out, nil
}

// visibleLabels searches for the assets carrying any of labels and
// returns, for each label found, the id of the asset that carries it.
func (r *runner) visibleLabels(ctx context.Context, labels []string) (map[string]string, error) {
	body, err := json.Marshal(map[string]any{
		"size": len(labels), "track_total_hits": false, "_source": []string{"labels"},
		"query": map[string]any{"terms": map[string]any{"labels": labels}},
	})
	if err != nil {
		return nil, err
	}
	b, err := r.es.Do(ctx, http.MethodPost, "/"+r.idx.Alias()+"/_search", body)
	if err != nil {
		return nil, fmt.Errorf("polling for updates: %w", err)
	}
	var res struct {
		Hits struct {
			Hits []struct {
				ID     string `json:"_id"`
				Source struct {
					Labels []string `json:"labels"`
				} `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("polling for updates: %w", err)
	}
	wanted := make(map[string]bool, len(labels))
	for _, l := range labels {
		wanted[l] = true
	}
	seen := map[string]string{}
	for _, h := range res.Hits.Hits {
		for _, l := range h.Source.Labels {
			if wanted[l] {
				seen[l] = h.ID
			}
		}
	}
	return seen, nil
}

// cleanLabels removes every label the benchmark added and waits until the
// worker has synced that, so the data set is as seeded again.
func (r *runner) cleanLabels(ctx context.Context) error {
	n, err := r.removeBenchLabels(ctx)
	if err != nil {
		return err
	}
	r.log.Info("bench: removed the benchmark's labels", "assets", n)
	return r.waitBacklog(ctx, 5*time.Minute)
}
