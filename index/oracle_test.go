package index

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// glob is the oracle's own reading of a user pattern: * is any run, the
// rest literal, case-insensitive.
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?is)\A` + strings.Join(parts, ".*") + `\z`).MatchString(s)
}

func anyOf(xs []string, f func(string) bool) bool {
	for _, x := range xs {
		if f(x) {
			return true
		}
	}
	return false
}

func lower(s string) string { return strings.ToLower(s) }

func ts(s string) time.Time {
	t, err := rsql.ParseTimestamp(s)
	if err != nil {
		panic(err)
	}
	return t
}

func tagVals(a *store.Asset, key string) []string {
	if v, ok := a.Tags[key]; ok {
		return []string{v}
	}
	return nil
}

func digests(a *store.Asset, index bool) []string {
	var out []string
	for _, d := range a.DistributionDigests {
		v := d.ManifestDigest
		if index {
			v = d.IndexDigest
		}
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func qMatch(a *store.Asset, term string) bool {
	term = lower(term)
	has := func(s string) bool { return strings.Contains(lower(s), term) }
	for k, v := range a.Tags {
		if has(k) || has(v) {
			return true
		}
	}
	return anyOf(a.Labels, has) || has(a.Registry) || has(a.Repository) || has(a.Name) || has(a.ConfigDigest) ||
		anyOf(digests(a, false), has) || anyOf(digests(a, true), has) || anyOf(a.ImageTags, has)
}

type oracleCase struct {
	filter string
	want   func(a *store.Asset) bool
}

// oracleCases are filters with predicates written independently of the
// translation. It is long because it is a table, one case a line or two.
func oracleCases(f *fixture) []oracleCase {
	a5 := f.assets[5]
	var withBuilt *store.Asset
	for _, a := range f.assets {
		if a.BuiltAt != nil && a.TenantID == f.ids.tenants[0] {
			withBuilt = a
			break
		}
	}
	var withDigest *store.Asset
	for _, a := range f.assets[3:] {
		if len(a.DistributionDigests) > 0 && a.ConfigDigest != "" {
			withDigest = a
			break
		}
	}
	md := withDigest.DistributionDigests[0].ManifestDigest
	builtStr := withBuilt.BuiltAt.Format(time.RFC3339Nano)
	riskIs := func(a *store.Asset, f func(int32) bool) bool { return a.RiskScore != nil && f(*a.RiskScore) }
	return []oracleCase{
		// Exact comparisons see values as stored; patterns ignore case.
		{"registry==docker.io", func(a *store.Asset) bool { return a.Registry == "docker.io" }},
		{"registry==Quay.io", func(a *store.Asset) bool { return a.Registry == "Quay.io" }},
		{"registry==QUAY.IO", func(a *store.Asset) bool { return a.Registry == "QUAY.IO" }},
		{"registry==*IO", func(a *store.Asset) bool { return glob("*io", a.Registry) }},
		{"registry==QUAY*", func(a *store.Asset) bool { return glob("quay*", a.Registry) }},
		{"registry==gh*", func(a *store.Asset) bool { return glob("gh*", a.Registry) }},
		{"registry==*example*", func(a *store.Asset) bool { return glob("*example*", a.Registry) }},
		// An empty registry is a value: * matches it, '' finds it.
		{"registry==*", func(a *store.Asset) bool { return true }},
		{"registry!=*", func(a *store.Asset) bool { return false }},
		{"registry==d*k*r.io", func(a *store.Asset) bool { return glob("d*k*r.io", a.Registry) }},
		{"registry!=docker.io", func(a *store.Asset) bool { return a.Registry != "docker.io" }},
		{"registry!=*.io", func(a *store.Asset) bool { return !glob("*.io", a.Registry) }},
		{"registry==''", func(a *store.Asset) bool { return a.Registry == "" }},
		{`registry!=""`, func(a *store.Asset) bool { return a.Registry != "" }},
		{"registry=in=(docker.io,ghcr.io)", func(a *store.Asset) bool { return a.Registry == "docker.io" || a.Registry == "ghcr.io" }},
		{"registry=in=(docker.io,QUAY.IO)", func(a *store.Asset) bool { return a.Registry == "docker.io" }},
		{"registry=in=(docker.io,'')", func(a *store.Asset) bool { return a.Registry == "docker.io" || a.Registry == "" }},
		{"registry=out=(docker.io,'')", func(a *store.Asset) bool { return a.Registry != "docker.io" && a.Registry != "" }},
		{"registry=out=(Quay.io)", func(a *store.Asset) bool { return a.Registry != "Quay.io" }},
		{"registry=out=(quay.io)", func(a *store.Asset) bool { return a.Registry != "quay.io" }},
		{"registry=lt=h", func(a *store.Asset) bool { return a.Registry < "h" }},
		{"registry=ge=QUAY.io", func(a *store.Asset) bool { return a.Registry >= "QUAY.io" }},
		{"registry=ge=quay.io", func(a *store.Asset) bool { return a.Registry >= "quay.io" }},
		{"repository==library/*", func(a *store.Asset) bool { return strings.HasPrefix(a.Repository, "library/") }},
		{"name==*nginx", func(a *store.Asset) bool { return glob("*nginx", a.Name) }},
		{"name==docker.io/library/nginx", func(a *store.Asset) bool { return a.Name == "docker.io/library/nginx" }},
		{"name==Quay.io/library/redis", func(a *store.Asset) bool { return a.Name == "Quay.io/library/redis" }},
		{"name==quay.io/library/redis", func(a *store.Asset) bool { return a.Name == "quay.io/library/redis" }},
		{"repository==*NGINX*", func(a *store.Asset) bool { return glob("*nginx*", a.Repository) }},
		{"name=gt=ghcr.io/team/api-server", func(a *store.Asset) bool { return a.Name > "ghcr.io/team/api-server" }},
		{"labels==prod", func(a *store.Asset) bool { return slices.Contains(a.Labels, "prod") }},
		{"labels==Critical", func(a *store.Asset) bool { return slices.Contains(a.Labels, "Critical") }},
		{"labels==*CRIT*", func(a *store.Asset) bool { return anyOf(a.Labels, func(l string) bool { return glob("*crit*", l) }) }},
		{"labels!=prod", func(a *store.Asset) bool { return !slices.Contains(a.Labels, "prod") }},
		{"labels=in=(prod,pci)", func(a *store.Asset) bool {
			return slices.Contains(a.Labels, "prod") || slices.Contains(a.Labels, "pci")
		}},
		{"labels=out=(prod,pci)", func(a *store.Asset) bool {
			return !slices.Contains(a.Labels, "prod") && !slices.Contains(a.Labels, "pci")
		}},
		{"labels==a*b", func(a *store.Asset) bool { return anyOf(a.Labels, func(l string) bool { return glob("a*b", l) }) }},
		{`labels=in=("a*b")`, func(a *store.Asset) bool { return slices.Contains(a.Labels, "a*b") }},
		{`labels=="what?"`, func(a *store.Asset) bool { return slices.Contains(a.Labels, "what?") }},
		{`labels=="wha?*"`, func(a *store.Asset) bool { return anyOf(a.Labels, func(l string) bool { return glob("wha?*", l) }) }},
		{`labels=="what?*"`, func(a *store.Asset) bool { return anyOf(a.Labels, func(l string) bool { return glob("what?*", l) }) }},
		{`labels=="*\\*"`, func(a *store.Asset) bool { return slices.Contains(a.Labels, `back\slash`) }},
		{"labels==''", func(a *store.Asset) bool { return len(a.Labels) == 0 }},
		{"labels=ge=staging", func(a *store.Asset) bool { return anyOf(a.Labels, func(l string) bool { return l >= "staging" }) }},
		{"tags.env==prod", func(a *store.Asset) bool { return slices.Contains(tagVals(a, "env"), "prod") }},
		{"tags.env==Prod", func(a *store.Asset) bool { return slices.Contains(tagVals(a, "env"), "Prod") }},
		{"tags.env==*PRO*", func(a *store.Asset) bool {
			return anyOf(tagVals(a, "env"), func(v string) bool { return glob("*pro*", v) })
		}},
		{"tags.env==p*", func(a *store.Asset) bool {
			return anyOf(tagVals(a, "env"), func(v string) bool { return glob("p*", v) })
		}},
		{"tags.env!=prod", func(a *store.Asset) bool { return !slices.Contains(tagVals(a, "env"), "prod") }},
		{"tags.env==''", func(a *store.Asset) bool { v, ok := a.Tags["env"]; return !ok || v == "" }},
		{"tags.env!=''", func(a *store.Asset) bool { v, ok := a.Tags["env"]; return ok && v != "" }},
		{"tags.env=in=(prod,dev)", func(a *store.Asset) bool { v, ok := a.Tags["env"]; return ok && (v == "prod" || v == "dev") }},
		{"tags.env=out=(prod)", func(a *store.Asset) bool { v, ok := a.Tags["env"]; return !ok || v != "prod" }},
		{"tags.env=lt=p", func(a *store.Asset) bool { v, ok := a.Tags["env"]; return ok && v < "p" }},
		{"tags.env=le=prod", func(a *store.Asset) bool { v, ok := a.Tags["env"]; return ok && v <= "prod" }},
		{"tags.env=gt=Prod", func(a *store.Asset) bool { v, ok := a.Tags["env"]; return ok && v > "Prod" }},
		{"tags.env=ge=prod", func(a *store.Asset) bool { v, ok := a.Tags["env"]; return ok && v >= "prod" }},
		{"tags.team==*", func(a *store.Asset) bool { _, ok := a.Tags["team"]; return ok }},
		{"tags.cost-center==*l*", func(a *store.Asset) bool {
			return anyOf(tagVals(a, "cost-center"), func(v string) bool { return glob("*l*", v) })
		}},
		{"image_labels.vendor==acme", func(a *store.Asset) bool { return a.ImageLabels["vendor"] == "acme" }},
		{"image_labels.vendor==*ACME*", func(a *store.Asset) bool { v, ok := a.ImageLabels["vendor"]; return ok && glob("*acme*", v) }},
		{"image_labels.org.opencontainers.image.version==1.*", func(a *store.Asset) bool {
			v, ok := a.ImageLabels["org.opencontainers.image.version"]
			return ok && glob("1.*", v)
		}},
		{"image_labels.maintainer!=''", func(a *store.Asset) bool { v, ok := a.ImageLabels["maintainer"]; return ok && v != "" }},
		{"class==A", func(a *store.Asset) bool { return a.ClassRank == 1 }},
		{"class=in=(A,B)", func(a *store.Asset) bool { return a.ClassRank <= 2 }},
		{"class!=D", func(a *store.Asset) bool { return a.ClassRank != 4 }},
		{"class=gt=B", func(a *store.Asset) bool { return a.ClassRank > 2 }},
		{"type==container_images", func(a *store.Asset) bool { return true }},
		{"type!=container_images", func(a *store.Asset) bool { return false }},
		// The contract's wildcard examples, on enumerated fields.
		{"type==*image*", func(a *store.Asset) bool { return true }},
		{"type==container*", func(a *store.Asset) bool { return true }},
		{"type==*images", func(a *store.Asset) bool { return true }},
		{"type==*IMAGES", func(a *store.Asset) bool { return true }},
		{"type!=*image*", func(a *store.Asset) bool { return false }},
		{"class!=*test*", func(a *store.Asset) bool { return true }},
		{"class==*", func(a *store.Asset) bool { return true }},
		{"class==b*", func(a *store.Asset) bool { return a.ClassRank == 2 }},
		{"class!=*A", func(a *store.Asset) bool { return a.ClassRank != 1 }},
		{"risk_score==500", func(a *store.Asset) bool { return riskIs(a, func(r int32) bool { return r == 500 }) }},
		{"risk_score==''", func(a *store.Asset) bool { return a.RiskScore == nil }},
		{"risk_score=out=('',0)", func(a *store.Asset) bool { return riskIs(a, func(r int32) bool { return r != 0 }) }},
		{"built_at!=''", func(a *store.Asset) bool { return a.BuiltAt != nil }},
		{"risk_score=gt=500", func(a *store.Asset) bool { return riskIs(a, func(r int32) bool { return r > 500 }) }},
		{"risk_score<=100", func(a *store.Asset) bool { return riskIs(a, func(r int32) bool { return r <= 100 }) }},
		{"risk_score=ge=250.5", func(a *store.Asset) bool { return riskIs(a, func(r int32) bool { return r >= 251 }) }},
		{"risk_score=in=(0,100,999)", func(a *store.Asset) bool {
			return riskIs(a, func(r int32) bool { return r == 0 || r == 100 || r == 999 })
		}},
		{"risk_score=out=(0)", func(a *store.Asset) bool { return !riskIs(a, func(r int32) bool { return r == 0 }) }},
		{"risk_score!=500", func(a *store.Asset) bool { return !riskIs(a, func(r int32) bool { return r == 500 }) }},
		{"created_at=gt=2024-03-01", func(a *store.Asset) bool { return a.CreatedAt.After(ts("2024-03-01")) }},
		{"created_at=le=2024-02-15T12:00:00Z", func(a *store.Asset) bool { return !a.CreatedAt.After(ts("2024-02-15T12:00:00Z")) }},
		{"updated_at<2024-02-01T00:00:00+02:00", func(a *store.Asset) bool { return a.UpdatedAt.Before(ts("2024-02-01T00:00:00+02:00")) }},
		{"built_at=ge=2024-01-20", func(a *store.Asset) bool { return a.BuiltAt != nil && !a.BuiltAt.Before(ts("2024-01-20")) }},
		{"built_at==" + builtStr, func(a *store.Asset) bool { return a.BuiltAt != nil && a.BuiltAt.Equal(*withBuilt.BuiltAt) }},
		{"built_at!=" + builtStr, func(a *store.Asset) bool { return a.BuiltAt == nil || !a.BuiltAt.Equal(*withBuilt.BuiltAt) }},
		{"last_seen_at=gt=2024-02-10T10:00:00.5Z", func(a *store.Asset) bool { return a.LastSeenAt.After(ts("2024-02-10T10:00:00.5Z")) }},
		{"id==" + a5.ID, func(a *store.Asset) bool { return a.ID == a5.ID }},
		{"id==" + strings.ToUpper(a5.ID), func(a *store.Asset) bool { return a.ID == a5.ID }},
		{"id=in=(" + a5.ID + "," + f.assets[6].ID + ")", func(a *store.Asset) bool { return a.ID == a5.ID || a.ID == f.assets[6].ID }},
		{"config_digest==" + withDigest.ConfigDigest, func(a *store.Asset) bool { return a.ConfigDigest == withDigest.ConfigDigest }},
		{"config_digest==" + strings.ToUpper(withDigest.ConfigDigest), func(a *store.Asset) bool { return false }},
		{"config_digest==" + strings.ToUpper(withDigest.ConfigDigest[:20]) + "*", func(a *store.Asset) bool {
			return strings.HasPrefix(a.ConfigDigest, withDigest.ConfigDigest[:20])
		}},
		{"manifest_digest=in=(" + strings.ToUpper(md) + ")", func(a *store.Asset) bool { return false }},
		{"config_digest==*" + withDigest.ConfigDigest[20:30] + "*", func(a *store.Asset) bool {
			return strings.Contains(a.ConfigDigest, withDigest.ConfigDigest[20:30])
		}},
		{"config_digest==''", func(a *store.Asset) bool { return a.ConfigDigest == "" }},
		{"manifest_digest==" + md, func(a *store.Asset) bool { return slices.Contains(digests(a, false), md) }},
		{"manifest_digest==sha256:a*", func(a *store.Asset) bool {
			return anyOf(digests(a, false), func(d string) bool { return glob("sha256:a*", d) })
		}},
		{"index_digest==*ff*", func(a *store.Asset) bool {
			return anyOf(digests(a, true), func(d string) bool { return glob("*ff*", d) })
		}},
		{"index_digest==''", func(a *store.Asset) bool { return len(digests(a, true)) == 0 }},
		{"image_tag==latest", func(a *store.Asset) bool { return slices.Contains(a.ImageTags, "latest") }},
		{"image_tag==v1.1", func(a *store.Asset) bool { return slices.Contains(a.ImageTags, "v1.1") }},
		{"image_tag==*1.1*", func(a *store.Asset) bool { return anyOf(a.ImageTags, func(t string) bool { return glob("*1.1*", t) }) }},
		{"image_tag!=latest", func(a *store.Asset) bool { return !slices.Contains(a.ImageTags, "latest") }},
		{"q==nginx", func(a *store.Asset) bool { return qMatch(a, "nginx") }},
		{"q==PROD", func(a *store.Asset) bool { return qMatch(a, "prod") }},
		{"q==sha256:ab", func(a *store.Asset) bool { return qMatch(a, "sha256:ab") }},
		{"q==cost", func(a *store.Asset) bool { return qMatch(a, "cost") }},
		{"q==io/lib", func(a *store.Asset) bool { return qMatch(a, "io/lib") }},
		{"q==v1", func(a *store.Asset) bool { return qMatch(a, "v1") }},
		{`q=="a*b"`, func(a *store.Asset) bool { return qMatch(a, "a*b") }},
		{`q=="t?"`, func(a *store.Asset) bool { return qMatch(a, "t?") }},
		{"(registry==docker.io,registry==ghcr.io);labels==prod", func(a *store.Asset) bool {
			return (a.Registry == "docker.io" || a.Registry == "ghcr.io") && slices.Contains(a.Labels, "prod")
		}},
		{"class==A,risk_score=gt=900;tags.env==prod", func(a *store.Asset) bool {
			return a.ClassRank == 1 || riskIs(a, func(r int32) bool { return r > 900 }) && a.Tags["env"] == "prod"
		}},
		{"(q==nginx;class!=A),(labels=out=(prod) and built_at=gt=2024-02-01)", func(a *store.Asset) bool {
			return qMatch(a, "nginx") && a.ClassRank != 1 ||
				!slices.Contains(a.Labels, "prod") && a.BuiltAt != nil && a.BuiltAt.After(ts("2024-02-01"))
		}},
	}
}

// searchAll pages through every result with the given limit.
func searchAll(t *testing.T, c *Client, r SearchRequest) []*store.Asset {
	t.Helper()
	var out []*store.Asset
	for range 1000 {
		res, err := c.Search(context.Background(), r)
		if err != nil {
			t.Fatalf("search %v: %v", r.Filter, err)
		}
		out = append(out, res.Assets...)
		if !res.HasAfter {
			return out
		}
		r.SearchAfter = res.Last
	}
	t.Fatal("paging does not end")
	return nil
}

func idsOf(as []*store.Asset) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func TestOracleFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cat := NewCatalogue()
	for _, tc := range oracleCases(f) {
		t.Run(tc.filter, func(t *testing.T) {
			n, err := rsql.Parse(tc.filter)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if err := rsql.Validate(n, cat); err != nil {
				t.Fatalf("validate: %v", err)
			}
			for _, tenant := range f.ids.tenants {
				got := idsOf(searchAll(t, f.c, SearchRequest{Scope: Scope{TenantID: tenant}, Filter: n, Limit: 100}))
				var want []string
				for _, a := range f.assets {
					if a.TenantID == tenant && tc.want(a) {
						want = append(want, a.ID)
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					q, _ := Translate(n)
					t.Errorf("tenant %s: got %d ids, want %d\nmissing %v\nextra %v\nquery %v", tenant, len(got), len(want),
						diff(want, got), diff(got, want), q)
				}
			}
		})
	}
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func TestOracleScopes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	check := func(s Scope, want func(a *store.Asset) bool) {
		t.Helper()
		got := idsOf(searchAll(t, f.c, SearchRequest{Scope: s, Limit: 100}))
		var wantIDs []string
		for _, a := range f.assets {
			if want(a) {
				wantIDs = append(wantIDs, a.ID)
			}
		}
		slices.Sort(got)
		slices.Sort(wantIDs)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("scope %+v: got %d, want %d", s, len(got), len(wantIDs))
		}
		n, err := f.c.Count(ctx, s)
		if err != nil || n != int64(len(wantIDs)) {
			t.Errorf("Count(%+v) = %d, %v; want %d", s, n, err, len(wantIDs))
		}
	}
	for _, tenant := range f.ids.tenants {
		check(Scope{TenantID: tenant}, func(a *store.Asset) bool { return a.TenantID == tenant })
		for _, g := range f.ids.groups[tenant] {
			check(Scope{TenantID: tenant, GroupID: g}, func(a *store.Asset) bool { return a.TenantID == tenant && slices.Contains(a.GroupIDs, g) })
			for _, o := range f.ids.orgs[g] {
				check(Scope{TenantID: tenant, OrgID: o}, func(a *store.Asset) bool { return a.TenantID == tenant && slices.Contains(a.OrgIDs, o) })
			}
		}
		// A group of another tenant finds nothing.
		other := f.ids.groups[f.ids.tenants[(slices.Index(f.ids.tenants, tenant)+1)%3]][0]
		check(Scope{TenantID: tenant, GroupID: other}, func(*store.Asset) bool { return false })
	}
	if _, err := f.c.Search(ctx, SearchRequest{}); err == nil {
		t.Error("search without tenant: no error")
	}
}

// sortKey returns the oracle's sort tuple of an asset for one sort field
// (nil: missing).
func sortKey(a *store.Asset, name string) []int64 {
	tm := func(t *time.Time) []int64 {
		if t == nil {
			return nil
		}
		return []int64{t.UnixNano()}
	}
	switch name {
	case "created_at":
		return tm(&a.CreatedAt)
	case "updated_at":
		return tm(&a.UpdatedAt)
	case "last_seen_at":
		return tm(&a.LastSeenAt)
	case "built_at":
		return tm(a.BuiltAt)
	case "last_scan":
		return tm(a.LastScan)
	case "class":
		return []int64{int64(a.ClassRank)}
	case "type":
		return []int64{0}
	case "risk_score":
		if a.RiskScore == nil {
			return nil
		}
		return []int64{int64(*a.RiskScore)}
	case "issues":
		i := a.Issues
		return []int64{int64(i.Critical), int64(i.High), int64(i.Medium), int64(i.Low)}
	case "url", "scm":
		return nil
	}
	panic(name)
}

// sortString is the oracle's sort value of a string sort field: the value
// as stored, the empty string included (every asset has one).
func sortString(a *store.Asset, name string) (string, bool) {
	switch name {
	case "registry":
		return a.Registry, true
	case "repository":
		return a.Repository, true
	case "name":
		return a.Name, true
	}
	return "", false
}

func oracleSort(as []*store.Asset, s SortField) {
	slices.SortStableFunc(as, func(x, y *store.Asset) int {
		var c int
		switch s.Name {
		case "registry", "repository", "name":
			xs, xok := sortString(x, s.Name)
			ys, yok := sortString(y, s.Name)
			switch {
			case !xok && !yok:
			case !xok:
				return 1
			case !yok:
				return -1
			default:
				c = strings.Compare(xs, ys)
			}
		default:
			xk, yk := sortKey(x, s.Name), sortKey(y, s.Name)
			switch {
			case xk == nil && yk == nil:
			case xk == nil:
				return 1
			case yk == nil:
				return -1
			default:
				c = slices.Compare(xk, yk)
			}
		}
		if s.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
}

func TestOracleSort(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tenant := f.ids.tenants[1]
	var mine []*store.Asset
	for _, a := range f.assets {
		if a.TenantID == tenant {
			mine = append(mine, a)
		}
	}
	for _, def := range NewCatalogue().Sorts() {
		for _, desc := range []bool{false, true} {
			s := SortField{Name: def.Name, Desc: desc}
			want := slices.Clone(mine)
			oracleSort(want, s)
			got := searchAll(t, f.c, SearchRequest{Scope: Scope{TenantID: tenant}, Sort: []SortField{s}, Limit: 40})
			if !slices.Equal(idsOf(got), idsOf(want)) {
				t.Errorf("sort %+v: order differs", s)
			}
		}
	}
}

// TestOraclePaging pages forward, then backward, through a two-key sort
// and compares both walks with the oracle's order. It is just over 80
// lines: the backward walk starts from the forward walk's last page, so
// the two stay in one test.
func TestOraclePaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tenant := f.ids.tenants[2]
	filter, _ := rsql.Parse("labels!=pci")
	sort := []SortField{{Name: "risk_score", Desc: true}, {Name: "registry"}}
	var want []*store.Asset
	for _, a := range f.assets {
		if a.TenantID == tenant && !slices.Contains(a.Labels, "pci") {
			want = append(want, a)
		}
	}
	slices.SortStableFunc(want, func(x, y *store.Asset) int { return cmp.Compare(x.ID, y.ID) })
	oracleSort(want, sort[1])
	oracleSort2 := func(as []*store.Asset) {
		slices.SortStableFunc(as, func(x, y *store.Asset) int {
			xk, yk := sortKey(x, "risk_score"), sortKey(y, "risk_score")
			switch {
			case xk == nil && yk == nil:
				return 0
			case xk == nil:
				return 1
			case yk == nil:
				return -1
			}
			return -slices.Compare(xk, yk)
		})
	}
	oracleSort2(want)

	req := SearchRequest{Scope: Scope{TenantID: tenant}, Filter: filter, Sort: sort, Limit: 7, Count: CountWith}
	var forward []*store.Asset
	var pages []*SearchResult
	for {
		res, err := f.c.Search(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Total == nil || *res.Total != int64(len(want)) {
			t.Fatalf("total = %v, want %d", res.Total, len(want))
		}
		if len(pages) > 0 != res.HasBefore {
			t.Errorf("page %d: HasBefore = %v", len(pages), res.HasBefore)
		}
		pages = append(pages, res)
		forward = append(forward, res.Assets...)
		if !res.HasAfter {
			break
		}
		req.SearchAfter = res.Last
	}
	if !slices.Equal(idsOf(forward), idsOf(want)) {
		t.Fatalf("forward paging order differs:\n got %v\nwant %v", idsOf(forward), idsOf(want))
	}
	// Backward from the last page, each page ending before the first hit of
	// the page after it.
	var backward []*store.Asset
	req.SearchAfter = nil
	last := pages[len(pages)-1]
	backward = append(backward, last.Assets...)
	req.SearchBefore = last.First
	for {
		res, err := f.c.Search(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		backward = append(slices.Clone(res.Assets), backward...)
		if !res.HasBefore {
			break
		}
		req.SearchBefore = res.First
	}
	if !slices.Equal(idsOf(backward), idsOf(want)) {
		t.Fatalf("backward paging differs:\n got %v\nwant %v", idsOf(backward), idsOf(want))
	}
	// Count only.
	res, err := f.c.Search(ctx, SearchRequest{Scope: Scope{TenantID: tenant}, Filter: filter, Count: CountOnly})
	if err != nil || res.Total == nil || *res.Total != int64(len(want)) || len(res.Assets) != 0 {
		t.Errorf("count only: %+v, %v", res, err)
	}
}

func TestSearchPIT(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	pit, err := f.c.OpenPIT(ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tenant := f.ids.tenants[0]
	req := SearchRequest{Scope: Scope{TenantID: tenant}, Limit: 50, PIT: pit, Sort: []SortField{{Name: "created_at"}}}
	first, err := f.c.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// A write after the PIT is not seen by it.
	extra, _ := synthAssets(1, 99)
	extra[0].TenantID = tenant
	extra[0].CreatedAt = base.Add(-time.Hour)
	loadAssets(t, f.c, extra)
	req.PIT = first.PIT
	again, err := f.c.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(idsOf(first.Assets), idsOf(again.Assets)) {
		t.Error("point-in-time results moved")
	}
	if err := f.c.ClosePIT(ctx, again.PIT); err != nil {
		t.Fatal(err)
	}
	now, err := f.c.Search(ctx, SearchRequest{Scope: Scope{TenantID: tenant}, Limit: 1, Sort: []SortField{{Name: "created_at"}}})
	if err != nil || len(now.Assets) != 1 || now.Assets[0].ID != extra[0].ID {
		t.Errorf("without PIT the new asset is first: %v", err)
	}
}
