// Package seed generates a reproducible, realistic synthetic data set:
// tenants, groups, orgs and container images with skewed distributions so
// that facets are interesting. The same options always give the same data.
package seed

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"time"

	"github.com/google/uuid"

	"github.com/openinventory/assets/store"
)

// Options size the data set.
type Options struct {
	Assets  int
	Tenants int
	Groups  int
	Orgs    int
	Seed    int64
	// Now anchors the timestamps (spread over the two years before it). Zero
	// means a fixed date, so that the data set is reproducible.
	Now time.Time
	// NoRelationships leaves out the targets and projects each asset
	// otherwise gets (1 to MaxTargetsPerAssetDefault targets, 0 to
	// MaxProjectsPerAssetDefault projects), which follow their asset.
	NoRelationships bool
}

// Upper bounds of Options: well above any data set the project uses (the
// benchmark seeds a million assets), low enough that a typo cannot fill a
// disk (an asset is about 1.5 KB of NDJSON).
const (
	MaxAssets  = 10_000_000
	MaxTenants = 1_000
	MaxGroups  = 10_000
	MaxOrgs    = 100_000
)

// check refuses sizes out of range, naming the flag-like field.
func (o Options) check() error {
	for _, f := range []struct {
		name      string
		v, lo, hi int
	}{
		{"assets", o.Assets, 1, MaxAssets},
		{"tenants", o.Tenants, 1, MaxTenants},
		{"groups", o.Groups, o.Tenants, MaxGroups},
		{"orgs", o.Orgs, o.Groups, MaxOrgs},
	} {
		if f.v < f.lo || f.v > f.hi {
			return fmt.Errorf("%s = %d: want %d to %d (groups >= tenants, orgs >= groups)", f.name, f.v, f.lo, f.hi)
		}
	}
	return nil
}

// Summary lists the ids created, for scripts and tests.
type Summary struct {
	Seed    int64    `json:"seed"`
	Tenants []string `json:"tenants"`
	Groups  []string `json:"groups"`
	Orgs    []string `json:"orgs"`
	Assets  int      `json:"assets"`
	// FirstAssets are the ids of the first few assets, handy for examples.
	FirstAssets []string `json:"first_assets"`
}

var (
	registries = []string{"docker.io", "gcr.io", "ghcr.io", "quay.io", "123456789012.dkr.ecr.us-east-1.amazonaws.com",
		"acmecorp.azurecr.io", "registry.gitlab.com", "harbor.internal.acme.dev", "europe-docker.pkg.dev", "public.ecr.aws"}
	images = []string{"nginx", "redis", "postgres", "node", "python", "golang", "alpine", "ubuntu", "debian", "busybox",
		"mysql", "mongo", "httpd", "traefik", "envoy", "grafana", "prometheus", "kafka", "zookeeper", "elasticsearch",
		"rabbitmq", "memcached", "openjdk", "ruby", "php", "wordpress", "haproxy", "vault", "consul", "jenkins"}
	namespaces = []string{"library", "bitnami", "acme", "platform", "payments", "search", "checkout", "identity",
		"data", "ml", "infra", "security", "mobile-backend", "billing", "analytics"}
	services = []string{"api", "worker", "gateway", "frontend", "scheduler", "ingest", "auth", "notifier", "reporter",
		"indexer", "cache", "proxy", "batch", "exporter", "webhook"}
	labelPool = []string{"pci", "critical", "internet-facing", "prod", "staging", "dev", "legacy", "team:payments",
		"team:search", "team:platform", "owner:alice", "owner:bob", "sox", "hipaa", "gdpr", "deprecated", "experimental",
		"tier-1", "tier-2", "tier-3", "reviewed", "needs-triage", "base-image", "golden"}
	tagKeys = []string{"env", "team", "cost-center", "region", "app", "owner", "tier", "compliance"}
	tagVals = map[string][]string{
		"env":         {"prod", "staging", "dev", "qa", "sandbox"},
		"team":        {"payments", "search", "platform", "identity", "data", "ml", "mobile"},
		"cost-center": {"cc-100", "cc-200", "cc-300", "cc-410", "cc-999"},
		"region":      {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1"},
		"app":         {"storefront", "checkout", "search", "ledger", "auth", "reports"},
		"owner":       {"alice", "bob", "carol", "dave", "erin"},
		"tier":        {"1", "2", "3"},
		"compliance":  {"pci", "sox", "hipaa", "none"},
	}
	imageTags  = []string{"latest", "stable", "alpine", "slim", "bookworm", "jammy", "1.25", "1.26", "3.12", "20", "22", "v2", "main", "canary", "lts"}
	arches     = []string{"amd64", "amd64", "amd64", "amd64", "arm64", "arm64", "arm", "386", "ppc64le", "s390x"}
	osVersions = []string{"debian 12", "debian 11", "alpine 3.20", "alpine 3.19", "ubuntu 22.04", "ubuntu 24.04", "rhel 9", "distroless"}
	authors    = []string{"platform-team@acme.dev", "NGINX Docker Maintainers", "Bitnami", "security@acme.dev", "The Go Authors", ""}
)

// Generator yields the data set as import records: the hierarchy first,
// then the assets. It implements store.RecordSource.
type Generator struct {
	opts    Options
	rng     *rand.Rand
	zipf    *rand.Zipf
	now     time.Time
	summary Summary
	pending []store.Record
	tenants []string
	// orgsByTenant lists each tenant's orgs, for membership.
	orgsByTenant map[string][]string
	line         int
	emitted      int
	rel          *relationshipGen
}

// New returns a generator for opts.
func New(opts Options) (*Generator, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if opts.Now.IsZero() {
		opts.Now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewSource(opts.Seed))
	g := &Generator{opts: opts, rng: rng, now: opts.Now, orgsByTenant: map[string][]string{}}
	g.zipf = rand.NewZipf(rng, 1.3, 2, uint64(len(images)*len(namespaces)-1))
	g.summary.Seed = opts.Seed
	if !opts.NoRelationships {
		g.rel = newRelationshipGen(opts.Seed, opts.Now)
	}
	g.hierarchy()
	return g, nil
}

func (g *Generator) uuid() string { return randomUUID(g.rng) }

// randomUUID is a version 4 UUID drawn from rng, so it is reproducible.
func randomUUID(rng *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Intn(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuid.UUID(b).String()
}

func (g *Generator) hierarchy() {
	groupTenant := make([]string, g.opts.Groups)
	for i := 0; i < g.opts.Tenants; i++ {
		t := &store.Tenant{ID: g.uuid(), Name: fmt.Sprintf("Tenant %d", i+1)}
		g.tenants = append(g.tenants, t.ID)
		g.summary.Tenants = append(g.summary.Tenants, t.ID)
		g.pending = append(g.pending, store.Record{Tenant: t})
	}
	var groups []string
	for i := 0; i < g.opts.Groups; i++ {
		tenant := g.tenants[i%g.opts.Tenants]
		gr := &store.Group{ID: g.uuid(), TenantID: tenant, Name: fmt.Sprintf("Group %d", i+1)}
		groupTenant[i] = tenant
		groups = append(groups, gr.ID)
		g.summary.Groups = append(g.summary.Groups, gr.ID)
		g.pending = append(g.pending, store.Record{Group: gr})
	}
	for i := 0; i < g.opts.Orgs; i++ {
		o := &store.Org{ID: g.uuid(), GroupID: groups[i%g.opts.Groups], Name: fmt.Sprintf("Org %d", i+1)}
		tenant := groupTenant[i%g.opts.Groups]
		g.orgsByTenant[tenant] = append(g.orgsByTenant[tenant], o.ID)
		g.summary.Orgs = append(g.summary.Orgs, o.ID)
		g.pending = append(g.pending, store.Record{Org: o})
	}
}

// Summary is what was generated so far (all of it once Next returned io.EOF).
func (g *Generator) Summary() Summary { return g.summary }

// Next returns the next record, then io.EOF.
func (g *Generator) Next() (store.Record, error) {
	g.line++
	if len(g.pending) > 0 {
		r := g.pending[0]
		g.pending = g.pending[1:]
		r.Line = g.line
		return r, nil
	}
	if g.emitted >= g.opts.Assets {
		return store.Record{}, io.EOF
	}
	g.emitted++
	a := g.asset()
	g.summary.Assets++
	if len(g.summary.FirstAssets) < 5 {
		g.summary.FirstAssets = append(g.summary.FirstAssets, a.ID)
	}
	if g.rel != nil {
		g.pending = append(g.pending, g.rel.records(a)...)
	}
	return store.Record{Line: g.line, Asset: a}, nil
}

func (g *Generator) pick(s []string) string { return s[g.rng.Intn(len(s))] }

// skewed picks from s with a strong bias to its first elements.
func (g *Generator) skewed(s []string) string {
	i := int(float64(len(s)) * g.rng.Float64() * g.rng.Float64())
	return s[i]
}

func (g *Generator) digest() string {
	const hexdigits = "0123456789abcdef"
	b := make([]byte, 7+64)
	copy(b, "sha256:")
	for i := 7; i < len(b); i++ {
		b[i] = hexdigits[g.rng.Intn(16)]
	}
	return string(b)
}

func (g *Generator) timeAgo(max time.Duration) time.Time {
	return g.now.Add(-time.Duration(g.rng.Int63n(int64(max)))).Truncate(time.Second)
}

func (g *Generator) asset() *store.Asset {
	// Tenants are skewed too: the first tenant holds the most assets.
	tenant := g.skewed(g.tenants)
	orgs := g.orgsByTenant[tenant]
	n := 1 + g.rng.Intn(3)
	seen := map[string]bool{}
	var orgIDs []string
	for i := 0; i < n && i < len(orgs); i++ {
		o := g.skewed(orgs)
		if !seen[o] {
			seen[o] = true
			orgIDs = append(orgIDs, o)
		}
	}
	k := int(g.zipf.Uint64())
	image, ns := images[k%len(images)], namespaces[(k/len(images))%len(namespaces)]
	repo := ns + "/" + image
	if ns != "library" && g.rng.Intn(2) == 0 {
		repo = ns + "/" + g.pick(services)
	}
	created := g.timeAgo(2 * 365 * 24 * time.Hour)
	built := created.Add(-time.Duration(g.rng.Int63n(int64(30 * 24 * time.Hour))))
	updated := created.Add(time.Duration(g.rng.Int63n(int64(g.now.Sub(created)) + 1))).Truncate(time.Second)
	seenAt := updated.Add(time.Duration(g.rng.Int63n(int64(g.now.Sub(updated)) + 1))).Truncate(time.Second)
	a := &store.Asset{
		ID: g.uuid(), TenantID: tenant, Type: store.AssetTypeContainerImage, OrgIDs: orgIDs,
		ClassRank: int16([]int{1, 2, 2, 3, 3, 3, 3, 4, 4, 3}[g.rng.Intn(10)]), ClassLocked: g.rng.Intn(10) == 0,
		Registry: g.skewed(registries), Repository: repo,
		ConfigDigest: g.digest(), CreatedAt: created, UpdatedAt: updated, LastSeenAt: seenAt,
		BuiltAt: &built, OS: "linux", Architecture: g.skewed(arches), OSVersion: g.pick(osVersions),
		Author: g.skewed(authors), Labels: []string{}, Tags: map[string]string{}, ImageLabels: map[string]string{},
	}
	if g.rng.Intn(50) == 0 {
		a.OS = "windows"
	}
	if a.Architecture == "arm64" || a.Architecture == "arm" {
		a.Variant = []string{"v8", "v7"}[g.rng.Intn(2)]
	}
	for i, n := 0, g.rng.Intn(3)+g.rng.Intn(2); i < n; i++ {
		d := store.DistributionDigest{ManifestDigest: g.digest()}
		if g.rng.Intn(2) == 0 {
			d.IndexDigest = g.digest()
		}
		a.DistributionDigests = append(a.DistributionDigests, d)
	}
	tagSeen := map[string]bool{}
	for i, n := 0, 1+g.rng.Intn(3); i < n; i++ {
		t := g.skewed(imageTags)
		if !tagSeen[t] {
			tagSeen[t] = true
			a.ImageTags = append(a.ImageTags, t)
		}
	}
	labelSeen := map[string]bool{}
	for i, n := 0, g.rng.Intn(4); i < n; i++ {
		l := g.skewed(labelPool)
		if !labelSeen[l] {
			labelSeen[l] = true
			a.Labels = append(a.Labels, l)
		}
	}
	for i, n := 0, g.rng.Intn(5); i < n; i++ {
		k := g.skewed(tagKeys)
		a.Tags[k] = g.skewed(tagVals[k])
	}
	if g.rng.Intn(3) > 0 {
		a.ImageLabels["maintainer"] = g.skewed(authors[:5])
	}
	if g.rng.Intn(2) == 0 {
		a.ImageLabels["org.opencontainers.image.source"] = "https://github.com/acme/" + image
	}
	if g.rng.Intn(4) == 0 {
		a.ImageLabels["org.opencontainers.image.version"] = fmt.Sprintf("%d.%d.%d", g.rng.Intn(5), g.rng.Intn(30), g.rng.Intn(10))
	}
	size := int64(5_000_000 + g.rng.Int63n(1_500_000_000)*int64(g.rng.Intn(3)+1)/3)
	a.SizeBytes = &size
	if g.rng.Intn(5) > 0 { // a fifth have not been scanned: no risk score
		r := int32(g.rng.Intn(1000) * g.rng.Intn(1000) / 1000)
		a.RiskScore = &r
		scan := g.timeAgo(g.now.Sub(created) + time.Hour)
		a.LastScan = &scan
		a.Issues = store.IssueCounts{
			Critical: int32(g.rng.Intn(4) * g.rng.Intn(3)), High: int32(g.rng.Intn(12) * g.rng.Intn(2)),
			Medium: int32(g.rng.Intn(40)), Low: int32(g.rng.Intn(80)),
		}
	}
	cfg := map[string]any{
		"entry_point": []string{"/docker-entrypoint.sh"}, "cmd": []string{image},
		"env":           []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		"exposed_ports": []string{fmt.Sprintf("%d/tcp", 80+g.rng.Intn(9000))}, "working_dir": "/",
		"labels": a.ImageLabels,
	}
	a.Config, _ = json.Marshal(cfg)
	extra := map[string]any{
		"root_fs": map[string]any{"type": "layers", "diff_ids": []string{g.digest(), g.digest()}},
		"history": []map[string]any{{"created_by": "/bin/sh -c #(nop) ADD file:" + g.digest()[7:19] + " in /", "created_at": built}},
	}
	if g.rng.Intn(3) == 0 {
		extra["teams"] = []string{g.pick(tagVals["team"])}
	}
	a.Extra, _ = json.Marshal(extra)
	return a
}
