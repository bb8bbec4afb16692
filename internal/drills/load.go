package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// pacer hands out evenly spaced slots: the i-th slot is due at
// start + i/rate. Workers that fall behind find their slots already due and
// catch up, so the achieved rate is the target as long as the workers
// together can keep it. It is safe for concurrent use.
type pacer struct {
	start    time.Time
	interval time.Duration
	limit    int64 // slots handed out at most
	next     atomic.Int64
}

func newPacer(start time.Time, perSecond int, limit int64) *pacer {
	return &pacer{start: start, interval: time.Second / time.Duration(max(perSecond, 1)), limit: limit}
}

// slot returns the next slot's number and when it is due; ok is false once
// limit slots were handed out.
func (p *pacer) slot() (i int64, due time.Time, ok bool) {
	i = p.next.Add(1) - 1
	if i >= p.limit {
		return i, time.Time{}, false
	}
	return i, p.start.Add(time.Duration(i) * p.interval), true
}

// loadStats is what a load achieved.
type loadStats struct {
	ok, failed   int64
	firstFailure string
	elapsed      time.Duration
	maxLatency   time.Duration
	acked        map[string]int // acknowledged updates by asset id
	failovers    int
}

func (s loadStats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.ok+s.failed) / s.elapsed.Seconds()
}

func (s loadStats) String() string {
	return fmt.Sprintf("%d updates at %.0f/s (%d failed)", s.ok+s.failed, s.rate(), s.failed)
}

// writeLoad applies PATCHes through the API at a fixed rate until stopped.
type writeLoad struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	start  time.Time

	ok, failed atomic.Int64
	mu         sync.Mutex
	first      string
	maxLatency time.Duration
	acked      map[string]int // acknowledged updates by asset id
	failovers  int            // requests sent again to another replica
}

// writeWorkers is how many requests the load keeps in flight at most.
const writeWorkers = 8

// startWrites starts PATCHing random assets of both tenants at cfg.Rate per
// second, each request replacing the labels and tags (see updateBody), and
// sometimes setting a class. It stops by itself after maxDuration, the bound of every load.
func (h *harness) startWrites(ctx context.Context, seed uint64, maxDuration time.Duration) *writeLoad {
	return h.startWritesTo(ctx, []string{h.api}, seed, maxDuration)
}

// startWritesTo is startWrites spread over the API replicas apis in turn;
// a request no replica answered is sent once to the next one, as a load
// balancer would, since a PATCH replacing labels and tags may be repeated.
func (h *harness) startWritesTo(ctx context.Context, apis []string, seed uint64, maxDuration time.Duration) *writeLoad {
	ctx, cancel := context.WithTimeout(ctx, maxDuration)
	l := &writeLoad{cancel: cancel, start: time.Now(), acked: map[string]int{}}
	p := newPacer(l.start, h.cfg.Rate, int64(maxDuration.Seconds()*float64(h.cfg.Rate))+1)
	for w := range writeWorkers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for {
				i, due, ok := p.slot()
				if !ok || !hn.SleepCtx(ctx, time.Until(due)) {
					return
				}
				tf := h.fx.tenants[rng.IntN(len(h.fx.tenants))]
				id := tf.assets[rng.IntN(len(tf.assets))]
				body := updateBody(id, i, rng)
				path := "/rest/tenants/" + tf.id + "/inventory/assets/" + id
				res, err := h.request(ctx, http.MethodPatch, apis[i%int64(len(apis))]+path, tf.token, body, nil)
				if err != nil && res.status == 0 && len(apis) > 1 && ctx.Err() == nil {
					l.mu.Lock()
					l.failovers++
					l.mu.Unlock()
					res, err = h.request(ctx, http.MethodPatch, apis[(i+1)%int64(len(apis))]+path, tf.token, body, nil)
				}
				if ctx.Err() != nil {
					return // stopping, not failing
				}
				l.record(id, res, err)
			}
		}()
	}
	return l
}

func (l *writeLoad) record(id string, res response, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxLatency = max(l.maxLatency, res.elapsed)
	if err == nil && res.status == http.StatusOK {
		l.ok.Add(1)
		l.acked[id]++
		return
	}
	l.failed.Add(1)
	if l.first == "" {
		if err != nil {
			l.first = err.Error()
		} else {
			l.first = fmt.Sprintf("status %d: %s", res.status, hn.Truncate(res.body, 300))
		}
	}
}

// stop ends the load, waits for the requests in flight and reports.
func (l *writeLoad) stop() loadStats {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return loadStats{ok: l.ok.Load(), failed: l.failed.Load(), firstFailure: l.first,
		elapsed: time.Since(l.start), maxLatency: l.maxLatency, acked: maps.Clone(l.acked), failovers: l.failovers}
}

// loadLabels is the small label pool of the write load.
var loadLabels = []string{"drill-a", "drill-b", "drill-c", "drill-d", "drill-e", "drill-f"}

// updateBody is the JSON:API document of one load PATCH: replace the
// labels with one to three of loadLabels and the tags with one, and every
// tenth time set a class. Replacing rather than adding keeps every update
// within the contract's limits (labels, tags) whatever earlier drills left
// on the asset, so a failed update always means the service.
func updateBody(id string, i int64, rng *rand.Rand) []byte {
	labels := make([]string, 0, 3)
	for _, k := range rng.Perm(len(loadLabels))[:1+rng.IntN(3)] {
		labels = append(labels, loadLabels[k])
	}
	attrs := map[string]any{
		"labels": labels,
		"tags":   map[string]string{"drill": fmt.Sprintf("u%d", i)},
	}
	if i%10 == 0 {
		attrs["class"] = map[string]any{"rank": 1 + rng.IntN(4)}
	}
	return patchDocument(id, attrs)
}

// patchDocument is {"data":{"type":"container_images","id":...,"attributes":...}}.
func patchDocument(id string, attrs map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"data": map[string]any{"type": "container_images", "id": id, "attributes": attrs}})
	if err != nil {
		panic(err) // maps of strings and numbers always encode
	}
	return b
}
