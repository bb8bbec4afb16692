package bench

import (
	"context"
	"time"
)

// limits bound every measurement loop by count and by time.
type limits struct {
	requests int           // timed requests per side
	duration time.Duration // wall time of the whole loop
	warmup   int           // untimed rounds before timing
}

// side is one way of answering the question a measurement asks.
type side struct {
	name string
	do   func(ctx context.Context) error
	// apart: timed after the other sides, interleaved only with the other
	// apart ones, on a budget of its own. For a baseline a thousand times
	// slower (PostgreSQL scanning the tenant): among the fast sides it
	// would spend their budget, leaving them a dozen samples each, and
	// leave them cold after each of its requests.
	apart bool
}

// interleave times the sides that are not apart together (see together),
// then the apart ones together, and returns one Stats per side in the
// order given.
func interleave(ctx context.Context, lim limits, sides ...side) ([]Stats, error) {
	var near, apart []int
	for i, s := range sides {
		if s.apart {
			apart = append(apart, i)
		} else {
			near = append(near, i)
		}
	}
	out := make([]Stats, len(sides))
	for _, group := range [][]int{near, apart} {
		if len(group) == 0 {
			continue
		}
		ss := make([]side, len(group))
		for k, i := range group {
			ss[k] = sides[i]
		}
		stats, err := together(ctx, lim, ss...)
		if err != nil {
			return nil, err
		}
		for k, i := range group {
			out[i] = stats[k]
		}
	}
	return out, nil
}

// together runs the sides in rounds, one request of each per round, so
// that all of them see the same load from whatever else runs on the
// machine; each round starts with the next side, so none always goes
// first. It stops after lim.requests rounds or lim.duration, whichever
// comes first, and returns one Stats per side. A failed request is
// counted, not timed; the loop goes on.
func together(ctx context.Context, lim limits, sides ...side) ([]Stats, error) {
	for range lim.warmup {
		for _, s := range sides {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			_ = s.do(ctx)
		}
	}
	samples := make([][]time.Duration, len(sides))
	errs := make([]int, len(sides))
	first := make([]string, len(sides))
	deadline := time.Now().Add(lim.duration)
	for round := 0; round < lim.requests && time.Now().Before(deadline); round++ {
		for k := range sides {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			i := (round + k) % len(sides)
			t0 := time.Now()
			err := sides[i].do(ctx)
			d := time.Since(t0)
			if err != nil {
				if errs[i] == 0 {
					first[i] = err.Error()
				}
				errs[i]++
				continue
			}
			samples[i] = append(samples[i], d)
		}
	}
	out := make([]Stats, len(sides))
	for i, s := range sides {
		out[i] = summarize(s.name, samples[i])
		out[i].Errors, out[i].FirstError = errs[i], first[i]
	}
	return out, nil
}
