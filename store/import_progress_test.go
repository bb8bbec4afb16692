package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/store"
)

// progressEvents records what an import reports, as "phase name unit
// total" and "add n" events.
type progressEvents struct {
	mu     sync.Mutex
	phases []string
	done   map[string]int64
	total  map[string]int64
	cur    string
}

func (p *progressEvents) Phase(name, unit string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phases = append(p.phases, name+" "+unit)
	p.total[name], p.cur = total, name
}

func (p *progressEvents) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done[p.cur] += n
}

func TestImportReportsEveryPhaseToItsTotal(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	for _, tc := range []struct {
		name     string
		expected int64
	}{{"known total", 2500}, {"unknown total", -1}} {
		gen, err := seed.New(seed.Options{Assets: 2500, Tenants: 1, Groups: 2, Orgs: 3, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		ev := &progressEvents{done: map[string]int64{}, total: map[string]int64{}}
		sum, err := store.Import(context.Background(), pool, gen, store.ReportProgress(ev, tc.expected))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(ev.phases, ", "); got != "load assets, merge steps" {
			t.Errorf("%s: phases %q; want load then merge", tc.name, got)
		}
		if ev.total["load"] != tc.expected || ev.done["load"] != int64(sum.Assets) || sum.Assets != 2500 {
			t.Errorf("%s: load %d of %d; want %d of %d", tc.name, ev.done["load"], ev.total["load"], sum.Assets, tc.expected)
		}
		if ev.total["merge"] <= 0 || ev.done["merge"] != ev.total["merge"] {
			t.Errorf("%s: merge ended at %d of %d", tc.name, ev.done["merge"], ev.total["merge"])
		}
	}
}

// An import that fails does not claim to have finished.
func TestImportProgressStopsOnBadInput(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ev := &progressEvents{done: map[string]int64{}, total: map[string]int64{}}
	_, err := store.Import(context.Background(), pool, store.NewNDJSONReader(stringsReader(oneLine(fullAsset))), store.ReportProgress(ev, 1))
	if err == nil {
		t.Fatal("an asset of a missing tenant was imported")
	}
	if ev.done["merge"] == ev.total["merge"] {
		t.Errorf("failed import reported merge %d of %d", ev.done["merge"], ev.total["merge"])
	}
}
