package bench

import (
	"math"
	"slices"
	"time"
)

// Stats summarises the latencies of one side of a measurement.
type Stats struct {
	Side   string  `json:"side"`
	N      int     `json:"n"`
	Errors int     `json:"errors,omitempty"`
	P50    float64 `json:"p50_ms"`
	P95    float64 `json:"p95_ms"`
	P99    float64 `json:"p99_ms"`
	Mean   float64 `json:"mean_ms"`
	Max    float64 `json:"max_ms"`
	// PerSecond is N divided by the time spent in this side's requests:
	// the throughput of one client sending them back to back.
	PerSecond float64 `json:"serial_per_second"`
	// FirstError is the first failure, when some requests failed.
	FirstError string `json:"first_error,omitempty"`
}

// summarize computes the stats of samples (which it sorts).
func summarize(side string, samples []time.Duration) Stats {
	s := Stats{Side: side, N: len(samples)}
	if len(samples) == 0 {
		return s
	}
	slices.Sort(samples)
	var total time.Duration
	for _, d := range samples {
		total += d
	}
	s.P50 = ms(percentile(samples, 50))
	s.P95 = ms(percentile(samples, 95))
	s.P99 = ms(percentile(samples, 99))
	s.Max = ms(samples[len(samples)-1])
	s.Mean = ms(total / time.Duration(len(samples)))
	if total > 0 {
		s.PerSecond = float64(len(samples)) / total.Seconds()
	}
	return s
}

// percentile is the nearest-rank percentile p (0 < p <= 100) of sorted
// samples: the smallest sample with at least p% of the samples at or below
// it. It is zero for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// ms converts a duration to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ratio is a/b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
