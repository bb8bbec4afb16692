package index

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

// scopeIDs is the hierarchy of the synthetic data set.
type scopeIDs struct {
	tenants []string
	groups  map[string][]string // tenant -> groups
	orgs    map[string][]string // group -> orgs
}

func fakeUUID(r *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xfff, r.Uint64()&0xffffffffffff)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func hexString(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// randTime is within ~120 days of base, at millisecond precision: the
// max and min of dates in group values are still computed in milliseconds
// (Elasticsearch aggregates date_nanos so). TestInstants covers the
// microseconds filters and sorts keep.
func randTime(r *rand.Rand) time.Time {
	// Microseconds, as PostgreSQL keeps them: max/min must not cut them.
	return base.Add(time.Duration(r.Int64N(120*24*3600*1000_000)) * time.Microsecond)
}

// synthAssets builds n varied assets deterministically. It is long because
// it sets every asset field in turn, each with its own distribution.
func synthAssets(n int, seed uint64) ([]*store.Asset, scopeIDs) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ids := scopeIDs{groups: map[string][]string{}, orgs: map[string][]string{}}
	orgGroup := map[string]string{}
	for range 3 {
		t := fakeUUID(r)
		ids.tenants = append(ids.tenants, t)
		for range 2 {
			g := fakeUUID(r)
			ids.groups[t] = append(ids.groups[t], g)
			for range 2 {
				o := fakeUUID(r)
				ids.orgs[g] = append(ids.orgs[g], o)
				orgGroup[o] = g
			}
		}
	}
	registries := []string{"docker.io", "Quay.io", "ghcr.io", "registry.example.com:5000", ""}
	repos := []string{"library/nginx", "library/redis", "team/api-server", "team/web_ui", "acme/worker", "acme/nginx-proxy"}
	labelPool := []string{"prod", "staging", "Critical", "critical", "pci", "team-a", "a*b", "axb", "what?", `back\slash`}
	tagKeys := []string{"env", "team", "cost-center", "tier"}
	tagValues := []string{"prod", "Prod", "dev", "qa-1", "", "platform", "gold"}
	labelKeys := []string{"vendor", "maintainer", "org.opencontainers.image.version"}
	labelValues := []string{"acme", "ACME Corp", "ops@example.com", "1.2.3", "1.3", "2.0"}
	imageTags := []string{"latest", "v1.0", "V1.1", "stable", "1.2.3-alpine"}
	riskPool := []int32{0, 100, 250, 500, 999}
	var assets []*store.Asset
	for i := range n {
		t := ids.tenants[i%3]
		a := &store.Asset{
			ID: fakeUUID(r), TenantID: t, Type: store.AssetTypeContainerImage,
			ClassRank: int16(1 + r.IntN(4)), ClassLocked: r.IntN(5) == 0,
			Registry: pick(r, registries), Repository: pick(r, repos),
			OS: pick(r, []string{"linux", "windows", ""}), Architecture: pick(r, []string{"amd64", "arm64"}),
			Issues:     store.IssueCounts{Critical: r.Int32N(3), High: r.Int32N(5), Medium: r.Int32N(10), Low: r.Int32N(20)},
			LastSeenAt: randTime(r), CreatedAt: randTime(r), UpdatedAt: randTime(r),
			Version: 1 + r.Int64N(5),
		}
		if a.Registry == "" {
			a.Name = a.Repository
		} else {
			a.Name = a.Registry + "/" + a.Repository
		}
		for range r.IntN(4) {
			l := pick(r, labelPool)
			if !contains(a.Labels, l) {
				a.Labels = append(a.Labels, l)
			}
		}
		if k := r.IntN(4); k > 0 {
			a.Tags = map[string]string{}
			for range k {
				a.Tags[pick(r, tagKeys)] = pick(r, tagValues)
			}
		}
		if k := r.IntN(3); k > 0 {
			a.ImageLabels = map[string]string{}
			for range k {
				a.ImageLabels[pick(r, labelKeys)] = pick(r, labelValues)
			}
		}
		cfg, _ := json.Marshal(map[string]any{"labels": a.ImageLabels, "env": []string{"PATH=/bin"}, "user": "app"})
		a.Config = cfg
		a.Extra = json.RawMessage(`{"teams":["core"],"history":[{"created_by":"RUN x"}]}`)
		if r.IntN(6) > 0 {
			a.ConfigDigest = "sha256:" + hexString(r, 64)
		}
		for range r.IntN(3) {
			d := store.DistributionDigest{ManifestDigest: "sha256:" + hexString(r, 64)}
			if r.IntN(2) == 0 {
				d.IndexDigest = "sha256:" + hexString(r, 64)
			}
			a.DistributionDigests = append(a.DistributionDigests, d)
		}
		for range r.IntN(3) {
			tag := pick(r, imageTags)
			if !contains(a.ImageTags, tag) {
				a.ImageTags = append(a.ImageTags, tag)
			}
		}
		if r.IntN(5) > 0 {
			bt := randTime(r)
			a.BuiltAt = &bt
		}
		if r.IntN(3) > 0 {
			ls := randTime(r)
			a.LastScan = &ls
		}
		if r.IntN(4) > 0 {
			rs := pick(r, riskPool)
			if r.IntN(2) == 0 {
				rs = r.Int32N(1000)
			}
			a.RiskScore = &rs
		}
		if r.IntN(3) > 0 {
			sz := r.Int64N(1 << 30)
			a.SizeBytes = &sz
		}
		groups := ids.groups[t]
		for range r.IntN(3) {
			o := pick(r, ids.orgs[pick(r, groups)])
			if !contains(a.OrgIDs, o) {
				a.OrgIDs = append(a.OrgIDs, o)
				if g := orgGroup[o]; !contains(a.GroupIDs, g) {
					a.GroupIDs = append(a.GroupIDs, g)
				}
			}
		}
		assets = append(assets, a)
	}
	return assets, ids
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// newTestClient gives a test its own alias with a fresh index.
func newTestClient(t testing.TB) *Client {
	t.Helper()
	es, prefix := testenv.Elasticsearch(t)
	c := New(es, prefix)
	if err := c.EnsureIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

// loadAssets writes the assets through Write and refreshes.
func loadAssets(t testing.TB, c *Client, assets []*store.Asset) {
	t.Helper()
	ctx := context.Background()
	items := make([]WriteItem, len(assets))
	for i, a := range assets {
		d := Project(a)
		items[i] = WriteItem{ID: a.ID, Version: a.Version, Doc: &d}
	}
	res, err := c.Write(ctx, []string{c.Alias()}, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("writing %s: %v", r.ID, r.Err)
		}
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
}

// fixture is a loaded synthetic data set.
type fixture struct {
	c      *Client
	assets []*store.Asset
	ids    scopeIDs
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	c := newTestClient(t)
	assets, ids := synthAssets(450, 7)
	loadAssets(t, c, assets)
	return &fixture{c: c, assets: assets, ids: ids}
}

// tenantAssets are the fixture's assets of one tenant that pass filter
// (all of them when filter is nil).
func (f *fixture) tenantAssets(tenant string, filter func(*store.Asset) bool) []*store.Asset {
	var out []*store.Asset
	for _, a := range f.assets {
		if a.TenantID == tenant && (filter == nil || filter(a)) {
			out = append(out, a)
		}
	}
	return out
}
