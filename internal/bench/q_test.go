package bench

import (
	"context"
	"strings"
	"testing"
)

// TestMeasureQ runs the q== step over a small data set, the real API,
// Elasticsearch and PostgreSQL: a broad and a selective term, each
// answering the same ids on every side, each note saying how many assets
// matched.
func TestMeasureQ(t *testing.T) {
	t.Parallel()
	r := smallRunner(t)
	if err := r.measureQ(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(r.rep.Measurements) != 2 {
		t.Fatalf("measurements %+v, want the broad and the selective term", r.rep.Measurements)
	}
	for _, m := range r.rep.Measurements {
		if m.SameAnswer == nil || !*m.SameAnswer {
			t.Errorf("%s: the sides answered differently", m.Name)
		}
		if len(m.Sides) != 3 {
			t.Errorf("%s: %d sides, want API, Elasticsearch, PostgreSQL", m.Name, len(m.Sides))
		}
		if strings.HasPrefix(m.Note, "0 matches") {
			t.Errorf("%s: %s", m.Name, m.Note)
		}
	}
	if r.rep.TrigramIndex == nil || r.rep.TrigramIndex.Bytes <= 0 {
		t.Errorf("trigram index %+v, want its size", r.rep.TrigramIndex)
	}
}
