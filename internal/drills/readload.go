package drills

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// readLoad lists assets through one or more API replicas at readRate per
// second until stopped, recording every answer.
type readLoad struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	start  time.Time

	mu        sync.Mutex
	outcomes  []outcome
	failovers atomic.Int64 // reads sent again to the other replica
}

// startReads reads the list routes of the first tenant's scopes (answered
// by Elasticsearch) from the API replicas in turn, at readRate per second,
// for at most maxDuration.
func (h *harness) startReads(ctx context.Context, apis []string, maxDuration time.Duration) *readLoad {
	ctx, cancel := context.WithTimeout(ctx, maxDuration)
	l := &readLoad{cancel: cancel, start: time.Now()}
	tf := h.fx.tenants[0]
	paths := []string{
		"/rest/tenants/" + tf.id + "/inventory/assets?limit=10",
		"/rest/groups/" + tf.groupID + "/inventory/assets?limit=10&sort=-updated_at",
		"/rest/orgs/" + tf.orgID + "/inventory/assets?limit=10&filter=labels%3D%3Ddrill-a",
	}
	p := newPacer(l.start, readRate, int64(maxDuration.Seconds()*readRate)+1)
	for range readWorkers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				i, due, ok := p.slot()
				if !ok || !hn.SleepCtx(ctx, time.Until(due)) {
					return
				}
				path := paths[i%int64(len(paths))]
				res, err := h.request(ctx, http.MethodGet, apis[i%int64(len(apis))]+path, tf.token, nil, nil)
				if err != nil && res.status == 0 && len(apis) > 1 && ctx.Err() == nil {
					// No answer: a load balancer would ask the other replica.
					l.failovers.Add(1)
					res, err = h.request(ctx, http.MethodGet, apis[(i+1)%int64(len(apis))]+path, tf.token, nil, nil)
				}
				if ctx.Err() != nil {
					return // stopping, not failing
				}
				o := outcome{at: time.Now(), elapsed: res.elapsed, status: res.status}
				if err != nil {
					o.bad = "no answer: " + err.Error()
				}
				l.mu.Lock()
				l.outcomes = append(l.outcomes, o)
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// stop ends the load and summarizes it.
func (l *readLoad) stop() readStats {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	s := summarizeReads(l.start, time.Now(), l.outcomes)
	s.failovers = int(l.failovers.Load())
	return s
}

// readStats is what a read load saw.
type readStats struct {
	total, non200 int
	counts        map[int]int
	// longestGap is the longest time without a 200 answer, the start and
	// end of the load included.
	longestGap time.Duration
	// longestFailing is the longest run of failing answers (5xx or none):
	// from the first of the run to the 200 that ended it (or the end).
	longestFailing time.Duration
	slowest        time.Duration
	failovers      int // reads no replica answered, sent to the other one
}

func (s readStats) share() float64 {
	if s.total == 0 {
		return 0
	}
	return float64(s.non200) / float64(s.total)
}

func (s readStats) String() string {
	out := fmt.Sprintf("%d reads (%s), %.2f%% not 200, longest gap without a 200 %s, longest run of failures %s, slowest %s",
		s.total, formatCounts(s.counts), 100*s.share(), s.longestGap.Round(10*time.Millisecond),
		s.longestFailing.Round(10*time.Millisecond), s.slowest.Round(time.Millisecond))
	if s.failovers > 0 {
		out += fmt.Sprintf(", %d sent again to the other replica", s.failovers)
	}
	return out
}

// summarizeReads computes readStats over the outcomes of a load that ran
// from start to end.
func summarizeReads(start, end time.Time, outcomes []outcome) readStats {
	sorted := slices.Clone(outcomes)
	slices.SortFunc(sorted, func(a, b outcome) int { return a.at.Compare(b.at) })
	s := readStats{total: len(sorted), counts: map[int]int{}}
	last200 := start
	var failingSince time.Time
	for _, o := range sorted {
		s.counts[o.status]++
		s.slowest = max(s.slowest, o.elapsed)
		if o.status == http.StatusOK {
			s.longestGap = max(s.longestGap, o.at.Sub(last200))
			last200 = o.at
			if !failingSince.IsZero() {
				s.longestFailing = max(s.longestFailing, o.at.Sub(failingSince))
				failingSince = time.Time{}
			}
			continue
		}
		s.non200++
		if (o.status == 0 || o.status >= 500) && failingSince.IsZero() {
			failingSince = o.at.Add(-o.elapsed) // the request was sent then
		}
	}
	s.longestGap = max(s.longestGap, end.Sub(last200))
	if !failingSince.IsZero() {
		s.longestFailing = max(s.longestFailing, end.Sub(failingSince))
	}
	return s
}
