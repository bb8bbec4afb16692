package index

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/store"
)

// TestFilterValues checks every kind of filter field against values
// computed from the fixture. It is long because it is a list of cases on
// one loaded fixture, sharing the paging and comparison helpers above them.
func TestFilterValues(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tenant := f.ids.tenants[2]
	mine := f.tenantAssets(tenant, nil)
	distinct := func(fn func(a *store.Asset) []string) []string {
		m := map[string]bool{}
		for _, a := range mine {
			for _, v := range fn(a) {
				m[v] = true
			}
		}
		return slices.Sorted(maps.Keys(m))
	}
	all := func(r FilterValuesRequest) []FilterValue {
		t.Helper()
		r.Scope = Scope{TenantID: tenant}
		r.Limit = 2
		var out []FilterValue
		for {
			res, err := f.c.FilterValues(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.Values...)
			if !res.HasAfter {
				return out
			}
			r.After = res.Values[len(res.Values)-1].Cursor
		}
	}
	values := func(fvs []FilterValue, key bool) []string {
		var out []string
		for _, v := range fvs {
			if key {
				out = append(out, v.Key)
			} else {
				out = append(out, v.Value)
			}
		}
		return out
	}
	check := func(name string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
	filterQ := func(vs []string, q string) []string {
		var out []string
		for _, v := range vs {
			if strings.Contains(lower(v), lower(q)) {
				out = append(out, v)
			}
		}
		return out
	}
	// An empty registry is a stored value, listed as "".
	regs := distinct(func(a *store.Asset) []string { return []string{a.Registry} })
	check("registry", values(all(FilterValuesRequest{Field: "registry"}), false), regs)
	check("registry q=IO", values(all(FilterValuesRequest{Field: "registry", Q: "IO"}), false), filterQ(regs, "io"))
	labels := distinct(func(a *store.Asset) []string { return a.Labels })
	check("labels q=crit", values(all(FilterValuesRequest{Field: "labels", Q: "crit"}), false), filterQ(labels, "crit"))
	check("labels q=*", values(all(FilterValuesRequest{Field: "labels", Q: "*"}), false), filterQ(labels, "*"))
	keys := distinct(func(a *store.Asset) []string { return slices.Collect(maps.Keys(a.Tags)) })
	check("tags keys_only", values(all(FilterValuesRequest{Field: "tags", KeysOnly: true}), true), keys)
	check("tags keys_only q=E", values(all(FilterValuesRequest{Field: "tags", KeysOnly: true, Q: "E"}), true), filterQ(keys, "e"))
	envs := distinct(func(a *store.Asset) []string { return tagVals(a, "env") })
	got := all(FilterValuesRequest{Field: "tags", Key: "env"})
	check("tags key=env", values(got, false), envs)
	for _, v := range got {
		if v.Key != "env" {
			t.Errorf("tags key=env: key %q", v.Key)
		}
	}
	check("tags key=env q=PR", values(all(FilterValuesRequest{Field: "tags", Key: "env", Q: "PR"}), false), filterQ(envs, "pr"))
	pairs := distinct(func(a *store.Asset) []string {
		var out []string
		for k, v := range a.Tags {
			out = append(out, k+pairSep+v)
		}
		return out
	})
	var gotPairs []string
	for _, v := range all(FilterValuesRequest{Field: "tags"}) {
		gotPairs = append(gotPairs, v.Key+pairSep+v.Value)
	}
	check("tags pairs", gotPairs, pairs)
	risks := distinct(func(a *store.Asset) []string {
		if a.RiskScore == nil {
			return nil
		}
		return []string{time.Duration(*a.RiskScore).String()}
	})
	if n := len(all(FilterValuesRequest{Field: "risk_score"})); n != len(risks) {
		t.Errorf("risk_score: %d values, want %d", n, len(risks))
	}
	// Backward from the end of the registries.
	fwd := all(FilterValuesRequest{Field: "registry"})
	res, err := f.c.FilterValues(ctx, FilterValuesRequest{Scope: Scope{TenantID: tenant}, Field: "registry", Limit: 2, Before: fwd[len(fwd)-1].Cursor})
	if err != nil {
		t.Fatal(err)
	}
	check("registry before last", values(res.Values, false), values(fwd[len(fwd)-3:len(fwd)-1], false))
	for _, r := range []FilterValuesRequest{{Field: "q"}, {Field: "nope"}, {Field: "registry", KeysOnly: true}, {Field: "registry", After: `{"x":1}`}} {
		r.Scope = Scope{TenantID: tenant}
		if _, err := f.c.FilterValues(ctx, r); err == nil {
			t.Errorf("%+v: no error", r)
		}
	}
}
