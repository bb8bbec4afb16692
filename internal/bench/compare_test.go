package bench

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestInterleaveApart: the sides that are not apart alternate, each round
// starting with the next; the apart side runs after them, alone, with the
// same number of rounds; the stats come back in the order given.
func TestInterleaveApart(t *testing.T) {
	t.Parallel()
	var calls []string
	mk := func(name string, apart bool) side {
		return side{name: name, apart: apart, do: func(context.Context) error { calls = append(calls, name); return nil }}
	}
	lim := limits{requests: 3, duration: time.Minute}
	stats, err := interleave(context.Background(), lim, mk("api", false), mk("pg", true), mk("es", false))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"api", "es", "es", "api", "api", "es", "pg", "pg", "pg"}
	if !slices.Equal(calls, want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	var names []string
	for _, s := range stats {
		names = append(names, s.Side)
		if s.N != 3 {
			t.Errorf("%s: %d samples, want 3", s.Side, s.N)
		}
	}
	if !slices.Equal(names, []string{"api", "pg", "es"}) {
		t.Errorf("stats in the order %v, want api, pg, es", names)
	}
}
