package index

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// groupOracle computes the values of a group field for assets in Go.
func groupOracle(assets []*store.Asset, field string) map[string][]*store.Asset {
	out := map[string][]*store.Asset{}
	add := func(v string, a *store.Asset) {
		if v != "" {
			out[v] = append(out[v], a)
		}
	}
	for _, a := range assets {
		switch field {
		case "class":
			add(a.ClassName(), a)
		case "registry":
			// Never NULL: an empty registry is a value with its '' bucket.
			out[a.Registry] = append(out[a.Registry], a)
		case "labels":
			for _, l := range a.Labels {
				add(l, a)
			}
		case "tags":
			for k, v := range a.Tags {
				add(k+":"+v, a)
			}
		case "os":
			add(a.OS, a)
		case "image_tag":
			for _, v := range a.ImageTags {
				add(v, a)
			}
		}
	}
	return out
}

func TestGroupValuesCounts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tenant := f.ids.tenants[0]
	filter, _ := rsql.Parse("class!=D")
	mine := f.tenantAssets(tenant, func(a *store.Asset) bool { return a.ClassRank != 4 })
	for _, field := range []string{"class", "registry", "labels", "tags", "os", "image_tag"} {
		for _, sort := range [][]SortField{nil, {{Name: "value"}}, {{Name: "count", Desc: true}}} {
			want := groupOracle(mine, field)
			keys := slices.Collect(maps.Keys(want))
			slices.SortFunc(keys, func(a, b string) int {
				switch {
				case len(sort) == 0:
					return cmp.Or(cmp.Compare(len(want[a]), len(want[b])), strings.Compare(a, b))
				case sort[0].Name == "count":
					return cmp.Or(-cmp.Compare(len(want[a]), len(want[b])), strings.Compare(a, b))
				}
				return strings.Compare(a, b)
			})
			// Page through with limit 3.
			var got []GroupValue
			req := GroupValuesRequest{Scope: Scope{TenantID: tenant}, Field: field, Filter: filter, Sort: sort, Limit: 3, Meta: []string{"count"}}
			for {
				res, err := f.c.GroupValues(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, res.Values...)
				if !res.HasAfter {
					break
				}
				req.After = res.Values[len(res.Values)-1].Cursor
			}
			var gotKeys []string
			for _, g := range got {
				gotKeys = append(gotKeys, g.Value)
				if g.Meta == nil || g.Meta.Count != int64(len(want[g.Value])) {
					t.Errorf("%s %v: %q count %+v, want %d", field, sort, g.Value, g.Meta, len(want[g.Value]))
				}
			}
			if !slices.Equal(gotKeys, keys) {
				t.Errorf("%s %v: values\n got %q\nwant %q", field, sort, gotKeys, keys)
			}
			// One page back from the end.
			if len(got) > 3 {
				res, err := f.c.GroupValues(ctx, GroupValuesRequest{Scope: Scope{TenantID: tenant}, Field: field, Filter: filter,
					Sort: sort, Limit: 2, Before: got[len(got)-1].Cursor})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Values) != 2 || res.Values[1].Value != got[len(got)-2].Value || !res.HasAfter || !res.HasBefore {
					t.Errorf("%s: page before the last: %+v", field, res)
				}
			}
		}
	}
}

// TestGroupValuesMeta checks every meta field and mode against sums and
// picks computed from the fixture. It is long because each field's oracle
// is a few lines inside one loop over the values of one request.
func TestGroupValuesMeta(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tenant := f.ids.tenants[1]
	mine := f.tenantAssets(tenant, nil)
	want := groupOracle(mine, "registry")
	lastBy := func(as []*store.Asset, first bool) *store.Asset {
		s := slices.Clone(as)
		slices.SortFunc(s, func(x, y *store.Asset) int {
			return cmp.Or(x.UpdatedAt.Compare(y.UpdatedAt), -strings.Compare(x.ID, y.ID))
		})
		if first {
			// earliest updated_at; ties by id ascending
			slices.SortStableFunc(s, func(x, y *store.Asset) int {
				return cmp.Or(x.UpdatedAt.Compare(y.UpdatedAt), strings.Compare(x.ID, y.ID))
			})
			return s[0]
		}
		return s[len(s)-1]
	}
	res, err := f.c.GroupValues(ctx, GroupValuesRequest{
		Scope: Scope{TenantID: tenant}, Field: "registry", Limit: 100,
		Meta:      []string{"all"},
		Aggregate: map[string]string{"risk_score": "sum", "issues": "sum", "labels": "sum", "tags": "sum", "built_at": "min", "updated_at": "first"},
		Sort:      []SortField{{Name: "issues", Desc: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Values) != len(want) {
		t.Fatalf("%d values, want %d", len(res.Values), len(want))
	}
	var prev *IssueTotals
	for _, g := range res.Values {
		as := want[g.Value]
		m := g.Meta
		var iss IssueTotals
		var risk int64
		nrisk := 0
		labels := map[string]bool{}
		tags := map[Tag]bool{}
		var minBuilt *time.Time
		var maxSeen time.Time
		for _, a := range as {
			iss.Critical += int64(a.Issues.Critical)
			iss.High += int64(a.Issues.High)
			iss.Medium += int64(a.Issues.Medium)
			iss.Low += int64(a.Issues.Low)
			if a.RiskScore != nil {
				risk += int64(*a.RiskScore)
				nrisk++
			}
			for _, l := range a.Labels {
				labels[l] = true
			}
			for k, v := range a.Tags {
				tags[Tag{k, v}] = true
			}
			if a.BuiltAt != nil && (minBuilt == nil || a.BuiltAt.Before(*minBuilt)) {
				minBuilt = a.BuiltAt
			}
			if a.LastSeenAt.After(maxSeen) {
				maxSeen = a.LastSeenAt
			}
		}
		iss.Total = iss.Critical + iss.High + iss.Medium + iss.Low
		if *m.Issues != iss {
			t.Errorf("%s: issues %+v, want %+v", g.Value, *m.Issues, iss)
		}
		if prev != nil && slices.Compare([]int64{prev.Critical, prev.High, prev.Medium, prev.Low}, []int64{iss.Critical, iss.High, iss.Medium, iss.Low}) < 0 {
			t.Errorf("%s: not sorted by issues desc", g.Value)
		}
		prev = m.Issues
		if nrisk == 0 && m.RiskScore != nil || nrisk > 0 && (m.RiskScore == nil || *m.RiskScore != risk) {
			t.Errorf("%s: risk sum %v, want %d", g.Value, m.RiskScore, risk)
		}
		wantLabels := slices.Sorted(maps.Keys(labels))
		if !slices.Equal(m.Labels, wantLabels) && !(len(m.Labels) == 0 && len(wantLabels) == 0) {
			t.Errorf("%s: labels %q, want %q", g.Value, m.Labels, wantLabels)
		}
		wantTags := slices.SortedFunc(maps.Keys(tags), func(a, b Tag) int { return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Value, b.Value)) })
		if !slices.Equal(m.Tags, wantTags) && !(len(m.Tags) == 0 && len(wantTags) == 0) {
			t.Errorf("%s: tags %v, want %v", g.Value, m.Tags, wantTags)
		}
		if (minBuilt == nil) != (m.BuiltAt == nil) || minBuilt != nil && !minBuilt.Equal(*m.BuiltAt) {
			t.Errorf("%s: built_at min %v, want %v", g.Value, m.BuiltAt, minBuilt)
		}
		if last := lastBy(as, false); m.LastSeenAt == nil || !m.LastSeenAt.Equal(last.LastSeenAt) {
			t.Errorf("%s: last_seen_at (last) %v, want %v", g.Value, m.LastSeenAt, last.LastSeenAt)
		}
		if first := lastBy(as, true); m.UpdatedAt == nil || !m.UpdatedAt.Equal(first.UpdatedAt) {
			t.Errorf("%s: updated_at (first) %v, want %v", g.Value, m.UpdatedAt, first.UpdatedAt)
		}
		if m.Count != int64(len(as)) {
			t.Errorf("%s: count %d, want %d", g.Value, m.Count, len(as))
		}
	}
	b, _ := json.Marshal(res.Values[0].Meta)
	for _, k := range []string{`"count"`, `"issues"`, `"labels"`, `"tags"`, `"risk_score"`, `"built_at"`, `"last_seen_at"`, `"updated_at"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("meta JSON %s lacks %s", b, k)
		}
	}
	// max risk score and sort by it, and last-mode labels.
	res, err = f.c.GroupValues(ctx, GroupValuesRequest{Scope: Scope{TenantID: tenant}, Field: "class", Limit: 10,
		Meta: []string{"risk_score", "labels"}, Aggregate: map[string]string{"risk_score": "max"}, Sort: []SortField{{Name: "risk_score"}}})
	if err != nil {
		t.Fatal(err)
	}
	wantClass := groupOracle(mine, "class")
	var prevRisk int64 = -1
	for _, g := range res.Values {
		var mx int64 = -1
		for _, a := range wantClass[g.Value] {
			if a.RiskScore != nil && int64(*a.RiskScore) > mx {
				mx = int64(*a.RiskScore)
			}
		}
		if g.Meta.RiskScore == nil || *g.Meta.RiskScore != mx || mx < prevRisk {
			t.Errorf("class %s: max risk %v, want %d (sorted after %d)", g.Value, g.Meta.RiskScore, mx, prevRisk)
		}
		prevRisk = mx
		last := lastBy(wantClass[g.Value], false)
		if wl := slices.Sorted(slices.Values(last.Labels)); !slices.Equal(g.Meta.Labels, wl) && len(wl)+len(g.Meta.Labels) > 0 {
			t.Errorf("class %s: last labels %q, want %q", g.Value, g.Meta.Labels, wl)
		}
	}
	// Invalid modes and fields.
	for _, r := range []GroupValuesRequest{
		{Field: "nope"}, {Field: "class", Meta: []string{"x"}}, {Field: "class", Aggregate: map[string]string{"labels": "max"}},
		{Field: "class", Sort: []SortField{{Name: "x"}}}, {Field: "class", After: "garbage"},
	} {
		r.Scope = Scope{TenantID: tenant}
		if _, err := f.c.GroupValues(ctx, r); err == nil {
			t.Errorf("%+v: no error", r)
		}
	}
}
