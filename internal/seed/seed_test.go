package seed

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/openinventory/assets/store"
)

func generate(t *testing.T, opts Options) ([]byte, Summary) {
	t.Helper()
	g, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for {
		rec, err := g.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := store.WriteNDJSON(&buf, rec); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes(), g.Summary()
}

func TestSeedIsReproducible(t *testing.T) {
	opts := Options{Assets: 500, Tenants: 3, Groups: 6, Orgs: 12, Seed: 42}
	a, sa := generate(t, opts)
	b, _ := generate(t, opts)
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Fatal("the same options gave different data")
	}
	opts.Seed = 43
	c, _ := generate(t, opts)
	if bytes.Equal(a, c) {
		t.Fatal("another seed gave the same data")
	}
	if sa.Assets != 500 || len(sa.Tenants) != 3 || len(sa.Groups) != 6 || len(sa.Orgs) != 12 {
		t.Errorf("summary = %+v", sa)
	}
	// Everything generated passes the import parser.
	r := store.NewNDJSONReader(bytes.NewReader(a))
	n := 0
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("generated data does not parse: %v", err)
		}
		if rec.Project == nil && rec.Target == nil {
			n++
		}
	}
	if n != 500+3+6+12 {
		t.Errorf("parsed %d records besides projects and targets", n)
	}
}

func TestSeedRelationships(t *testing.T) {
	opts := Options{Assets: 2000, Tenants: 2, Groups: 4, Orgs: 12, Seed: 5}
	g, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var asset *store.Asset
	projects, targets := map[string]int{}, map[string]int{}
	files := map[string]map[string]int{} // per asset, projects per target file
	emptyFile := 0
	var assetLines []string
	for {
		rec, err := g.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		switch {
		case rec.Asset != nil:
			asset = rec.Asset
			var b bytes.Buffer
			_ = store.WriteNDJSON(&b, rec)
			assetLines = append(assetLines, b.String())
		case rec.Target != nil:
			if rec.Target.AssetID != asset.ID || !slices.Contains(asset.OrgIDs, rec.Target.OrgID) {
				t.Fatalf("target %+v does not follow its asset %s", rec.Target, asset.ID)
			}
			targets[asset.ID]++
		case rec.Project != nil:
			p := rec.Project
			if p.AssetID != asset.ID || !slices.Contains(asset.OrgIDs, p.OrgID) || p.TargetID == "" {
				t.Fatalf("project %+v does not follow its asset %s", p, asset.ID)
			}
			projects[asset.ID]++
			if files[asset.ID] == nil {
				files[asset.ID] = map[string]int{}
			}
			files[asset.ID][p.TargetFile]++
			if p.TargetFile == "" {
				emptyFile++
			}
		}
	}
	superseded := 0
	for _, fs := range files {
		for f, n := range fs {
			if f != "" && n > 1 {
				superseded++
			}
		}
	}
	total := 0
	for _, n := range projects {
		total += n
		if n > MaxProjectsPerAssetDefault {
			t.Errorf("an asset has %d projects", n)
		}
	}
	if len(targets) != opts.Assets || len(projects) == opts.Assets || total < opts.Assets || emptyFile == 0 || superseded == 0 {
		t.Errorf("%d assets with targets, %d with projects, %d projects, %d without target file, %d files with several snapshots",
			len(targets), len(projects), total, emptyFile, superseded)
	}
	// Relationships draw from their own source: the assets are those of
	// the seed without them.
	opts.NoRelationships = true
	plain, _ := generate(t, opts)
	if got := strings.Count(string(plain), `"type":"container_images"`); got != len(assetLines) ||
		!strings.Contains(string(plain), assetLines[len(assetLines)-1]) {
		t.Error("relationships changed the assets of the seed")
	}
}

func TestSeedIsSkewed(t *testing.T) {
	g, err := New(Options{Assets: 5000, Tenants: 1, Groups: 1, Orgs: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	registries := map[string]int{}
	for {
		rec, err := g.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if rec.Asset != nil {
			registries[rec.Asset.Registry]++
		}
	}
	if registries["docker.io"] < 5*registries["public.ecr.aws"] {
		t.Errorf("registry counts not skewed: %v", registries)
	}
}

func BenchmarkGenerate(b *testing.B) {
	g, _ := New(Options{Assets: b.N, Tenants: 2, Groups: 4, Orgs: 12, Seed: 1})
	b.ReportAllocs()
	for {
		if _, err := g.Next(); err != nil {
			break
		}
	}
}

func TestOptionsAreBounded(t *testing.T) {
	t.Parallel()
	ok := Options{Assets: 10, Tenants: 2, Groups: 4, Orgs: 8}
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string // "" accepted, else the field the error names
	}{
		{"valid", func(*Options) {}, ""},
		{"max assets", func(o *Options) { o.Assets = MaxAssets }, ""},
		{"no assets", func(o *Options) { o.Assets = 0 }, "assets = 0"},
		{"negative assets", func(o *Options) { o.Assets = -5 }, "assets = -5"},
		{"a typo of assets", func(o *Options) { o.Assets = MaxAssets + 1 }, "assets = 10000001"},
		{"no tenants", func(o *Options) { o.Tenants = 0 }, "tenants = 0"},
		{"too many tenants", func(o *Options) { o.Tenants, o.Groups, o.Orgs = MaxTenants+1, MaxGroups, MaxOrgs }, "tenants = 1001"},
		{"fewer groups than tenants", func(o *Options) { o.Groups = 1 }, "groups = 1"},
		{"too many groups", func(o *Options) { o.Groups = MaxGroups + 1 }, "groups = 10001"},
		{"too many orgs", func(o *Options) { o.Orgs = MaxOrgs + 1 }, "orgs = 100001"},
	} {
		o := ok
		tc.edit(&o)
		err := o.check()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: check = %v, want %q", tc.name, err, tc.want)
		}
	}
}
