package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/store"
)

const (
	target1 = "bbbbbbbb-0000-4000-8000-000000000001"
	target2 = "bbbbbbbb-0000-4000-8000-000000000002"
)

// ndjsonOf writes records as import lines.
func ndjsonOf(t *testing.T, recs ...store.Record) string {
	t.Helper()
	var b bytes.Buffer
	for _, r := range recs {
		if err := store.WriteNDJSON(&b, r); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func projectID(i int) string { return fmt.Sprintf("cccccccc-0000-4000-8000-%012d", i) }

// derived is what an asset's numbers should be.
type derived struct {
	issues store.IssueCounts
	risk   *int32
}

// oracle applies the canonical rule in Go: per target_file (an empty one
// is a group of its own) the latest snapshot wins, ties to the greatest id.
func oracle(ps map[string]store.Project) map[string]derived {
	type key struct{ asset, file string }
	best := map[key]store.Project{}
	for _, p := range ps {
		k := key{p.AssetID, p.TargetFile}
		if p.TargetFile == "" {
			k.file = "\x00" + p.ID
		}
		b, ok := best[k]
		if !ok || p.SnapshotCreatedAt.After(b.SnapshotCreatedAt) ||
			(p.SnapshotCreatedAt.Equal(b.SnapshotCreatedAt) && p.ID > b.ID) {
			best[k] = p
		}
	}
	out := map[string]derived{}
	for k, p := range best {
		d := out[k.asset]
		d.issues.Critical += p.Issues.Critical
		d.issues.High += p.Issues.High
		d.issues.Medium += p.Issues.Medium
		d.issues.Low += p.Issues.Low
		if p.RiskScore != nil && (d.risk == nil || *p.RiskScore > *d.risk) {
			r := *p.RiskScore
			d.risk = &r
		}
		out[k.asset] = d
	}
	return out
}

func assetNumbers(t *testing.T, pool *pgxpool.Pool, id string) (derived, int64) {
	t.Helper()
	var d derived
	var version int64
	if err := pool.QueryRow(context.Background(), `SELECT issues_critical, issues_high, issues_medium, issues_low,
		risk_score, version FROM assets WHERE id = $1`, id).Scan(&d.issues.Critical, &d.issues.High,
		&d.issues.Medium, &d.issues.Low, &d.risk, &version); err != nil {
		t.Fatal(err)
	}
	return d, version
}

func sameDerived(a, b derived) bool {
	return a.issues == b.issues && (a.risk == nil) == (b.risk == nil) && (a.risk == nil || *a.risk == *b.risk)
}

// randomProject is a snapshot of one of a few target files (or none) on
// one of a few days, so groups, ties and empty target files all occur.
func randomProject(rng *rand.Rand, i int, assets []string) store.Project {
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	p := store.Project{
		ID: projectID(i), AssetID: assets[rng.Intn(len(assets))], OrgID: orgA1,
		TargetFile:        []string{"", "Dockerfile", "go.mod", "package.json"}[rng.Intn(4)],
		SnapshotCreatedAt: base.Add(time.Duration(rng.Intn(4)) * 24 * time.Hour),
		Issues: store.IssueCounts{Critical: int32(rng.Intn(3)), High: int32(rng.Intn(5)),
			Medium: int32(rng.Intn(10)), Low: int32(rng.Intn(20))},
	}
	if rng.Intn(4) > 0 {
		r := int32(rng.Intn(1000))
		p.RiskScore = &r
	}
	return p
}

func TestProjectSnapshotsDeriveAssetIssuesInAnyOrder(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	assets := []string{asset1, asset2}
	if _, err := importString(t, pool, hierarchyNDJSON()+assetNDJSON(asset1, tenantA, orgA1)+assetNDJSON(asset2, tenantA, orgA1)); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	var snapshots []store.Project
	for i := range 60 {
		snapshots = append(snapshots, randomProject(rng, i, assets))
	}
	rng.Shuffle(len(snapshots), func(i, j int) { snapshots[i], snapshots[j] = snapshots[j], snapshots[i] })
	have := map[string]store.Project{}
	for len(snapshots) > 0 {
		n := min(1+rng.Intn(8), len(snapshots))
		var recs []store.Record
		for _, p := range snapshots[:n] {
			recs = append(recs, store.Record{Project: &p})
			have[p.ID] = p
		}
		snapshots = snapshots[n:]
		// Now and then a batch also removes a project imported before.
		if rng.Intn(3) == 0 {
			for id := range have {
				if !strings.Contains(ndjsonOf(t, recs...), id) {
					recs = append(recs, store.Record{Remove: &store.Removal{Type: store.ResourceTypeProjects, ID: id}})
					delete(have, id)
					break
				}
			}
		}
		if _, err := importString(t, pool, ndjsonOf(t, recs...)); err != nil {
			t.Fatal(err)
		}
		want := oracle(have)
		for _, a := range assets {
			got, _ := assetNumbers(t, pool, a)
			if !sameDerived(got, want[a]) {
				t.Fatalf("asset %s: derived %+v risk %v, oracle %+v risk %v", a, got.issues, got.risk, want[a].issues, want[a].risk)
			}
		}
	}
}

// fixedTimes makes an asset line identical when imported again (its
// timestamps default to now).
const fixedTimes = `"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","last_seen_at":"2026-01-01T00:00:00Z",`

func TestNewerSnapshotMovesCountsAndBumpsVersion(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	// The asset line's own numbers hold while it has no projects.
	line := `{"type":"container_images","id":"` + asset1 + `","attributes":{"tenant_id":"` + tenantA +
		`","org_ids":["` + orgA1 + `"],"registry":"r","repository":"x","risk_score":5,` + fixedTimes + `"issues":{"critical":9,"high":0,"medium":0,"low":0}}}` + "\n"
	if _, err := importString(t, pool, hierarchyNDJSON()+line); err != nil {
		t.Fatal(err)
	}
	if d, _ := assetNumbers(t, pool, asset1); d.issues.Critical != 9 || *d.risk != 5 {
		t.Fatalf("asset without projects: %+v, want its imported numbers", d)
	}
	day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	r1, r2 := int32(10), int32(20)
	old := store.Project{ID: projectID(1), AssetID: asset1, OrgID: orgA1, TargetFile: "Dockerfile", SnapshotCreatedAt: day,
		Issues: store.IssueCounts{High: 3}, RiskScore: &r1}
	if _, err := importString(t, pool, ndjsonOf(t, store.Record{Project: &old})); err != nil {
		t.Fatal(err)
	}
	d, v1 := assetNumbers(t, pool, asset1)
	if d.issues != (store.IssueCounts{High: 3}) || *d.risk != 10 {
		t.Fatalf("after the first snapshot: %+v risk %v", d.issues, *d.risk)
	}
	outbox := count(t, pool, `SELECT count(*) FROM asset_outbox WHERE asset_id = $1`, asset1)
	newer := store.Project{ID: projectID(2), AssetID: asset1, OrgID: orgA1, TargetFile: "Dockerfile",
		SnapshotCreatedAt: day.Add(time.Hour), Issues: store.IssueCounts{Low: 4}, RiskScore: &r2}
	if _, err := importString(t, pool, ndjsonOf(t, store.Record{Project: &newer})); err != nil {
		t.Fatal(err)
	}
	d, v2 := assetNumbers(t, pool, asset1)
	if d.issues != (store.IssueCounts{Low: 4}) || *d.risk != 20 || v2 != v1+1 {
		t.Fatalf("after the newer snapshot: %+v risk %v version %d (was %d)", d.issues, *d.risk, v2, v1)
	}
	if n := count(t, pool, `SELECT count(*) FROM asset_outbox WHERE asset_id = $1`, asset1); n != outbox+1 {
		t.Errorf("outbox rows %d, want %d", n, outbox+1)
	}
	// The asset's own line cannot overwrite derived numbers, and re-importing
	// it bumps nothing.
	if _, err := importString(t, pool, line); err != nil {
		t.Fatal(err)
	}
	if d, v3 := assetNumbers(t, pool, asset1); d.issues != (store.IssueCounts{Low: 4}) || v3 != v2 {
		t.Errorf("after re-importing the asset line: %+v version %d, want derived numbers at version %d", d.issues, v3, v2)
	}
	// Removing the newer snapshot brings the older back as canonical.
	rm := store.Record{Remove: &store.Removal{Type: store.ResourceTypeProjects, ID: newer.ID}}
	sum, err := importString(t, pool, ndjsonOf(t, rm))
	if err != nil || sum.ProjectsRemoved != 1 {
		t.Fatalf("remove: %+v, %v", sum, err)
	}
	if d, _ := assetNumbers(t, pool, asset1); d.issues != (store.IssueCounts{High: 3}) || *d.risk != 10 {
		t.Errorf("after removing the newer snapshot: %+v", d.issues)
	}
	// Removing the last project leaves no canonical project: zero counts.
	rm.Remove.ID = old.ID
	if _, err := importString(t, pool, ndjsonOf(t, rm)); err != nil {
		t.Fatal(err)
	}
	if d, _ := assetNumbers(t, pool, asset1); d.issues != (store.IssueCounts{}) || d.risk != nil {
		t.Errorf("after removing every project: %+v risk %v", d.issues, d.risk)
	}
}

func TestProjectAndTargetLinesAreChecked(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	if _, err := importString(t, pool, hierarchyNDJSON()+assetNDJSON(asset1, tenantA, orgA1)); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		rec  store.Record
		want string
	}{
		{"org not of the asset", store.Record{Project: &store.Project{ID: projectID(1), AssetID: asset1, OrgID: orgA2, SnapshotCreatedAt: day}},
			"org " + orgA2 + " is not one of the asset's orgs"},
		{"missing asset", store.Record{Project: &store.Project{ID: projectID(1), AssetID: asset2, OrgID: orgA1, SnapshotCreatedAt: day}},
			"asset " + asset2 + " does not exist"},
		{"unknown target", store.Record{Project: &store.Project{ID: projectID(1), AssetID: asset1, OrgID: orgA1, TargetID: target1, SnapshotCreatedAt: day}},
			"target " + target1 + " is not a target of the asset"},
		{"target of another org", store.Record{Target: &store.Target{ID: target1, AssetID: asset1, OrgID: orgB1}},
			"org " + orgB1 + " is not one of the asset's orgs"},
	} {
		_, err := importString(t, pool, ndjsonOf(t, tc.rec))
		var le *store.LineError
		if !errors.As(err, &le) || le.Line != 1 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want line 1: %s", tc.name, err, tc.want)
		}
	}
	if n := count(t, pool, `SELECT (SELECT count(*) FROM projects) + (SELECT count(*) FROM targets)`); n != 0 {
		t.Errorf("%d rows written by refused imports", n)
	}
	for _, bad := range []string{
		`{"type":"projects","id":"` + projectID(1) + `","attributes":{"asset_id":"` + asset1 + `","org_id":"` + orgA1 + `"}}`,
		`{"type":"projects","id":"` + projectID(1) + `","attributes":{"asset_id":"` + asset1 + `","org_id":"` + orgA1 + `","snapshot_created_at":"2026-01-01T00:00:00Z","project_type":"nope"}}`,
		`{"type":"targets","id":"` + target1 + `","attributes":{"asset_id":"x","org_id":"` + orgA1 + `"}}`,
	} {
		if _, err := importString(t, pool, bad+"\n"); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// seedRelationships imports asset1 in orgs A1 and A2 with a target and two
// projects in each org.
func seedRelationships(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	recs := []store.Record{
		{Target: &store.Target{ID: target1, AssetID: asset1, OrgID: orgA1, TargetOrigin: "github"}},
		{Target: &store.Target{ID: target2, AssetID: asset1, OrgID: orgA2, TargetOrigin: "gitlab"}},
	}
	for i := range 4 {
		org, target := orgA1, target1
		if i%2 == 1 {
			org, target = orgA2, target2
		}
		recs = append(recs, store.Record{Project: &store.Project{ID: projectID(i), AssetID: asset1, OrgID: org, TargetID: target,
			TargetFile: "Dockerfile", SnapshotCreatedAt: day.Add(time.Duration(i) * time.Hour)}})
	}
	if _, err := importString(t, pool, hierarchyNDJSON()+assetNDJSON(asset1, tenantA, orgA1, orgA2)+ndjsonOf(t, recs...)); err != nil {
		t.Fatal(err)
	}
}

func TestRelationshipsVisibleByOrgOfTheScope(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	seedRelationships(t, pool)
	for _, tc := range []struct {
		kind, id string
		projects []string
		targets  []string
	}{
		{store.ScopeOrg, orgA1, []string{projectID(0), projectID(2)}, []string{target1}},
		{store.ScopeOrg, orgA2, []string{projectID(1), projectID(3)}, []string{target2}},
		{store.ScopeGroup, groupA, []string{projectID(0), projectID(1), projectID(2), projectID(3)}, []string{target1, target2}},
		{store.ScopeTenant, tenantA, []string{projectID(0), projectID(1), projectID(2), projectID(3)}, []string{target1, target2}},
	} {
		s, err := store.ResolveScope(ctx, pool, tc.kind, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		ps, _, err := store.ListAssetProjects(ctx, pool, s, asset1, store.ProjectQuery{Limit: 10, Canonical: store.CanonicalWith})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.ID)
			// Canonical is the asset's, whoever reads: the latest of all four.
			if p.IsCanonical != (p.ID == projectID(3)) {
				t.Errorf("%s %s: project %s canonical = %v", tc.kind, tc.id, p.ID, p.IsCanonical)
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.projects, ",") {
			t.Errorf("%s %s: projects %v, want %v", tc.kind, tc.id, got, tc.projects)
		}
		ts, _, err := store.ListAssetTargets(ctx, pool, s, asset1, store.TargetQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, x := range ts {
			got = append(got, x.ID)
		}
		if strings.Join(got, ",") != strings.Join(tc.targets, ",") {
			t.Errorf("%s %s: targets %v, want %v", tc.kind, tc.id, got, tc.targets)
		}
	}
	other, err := store.ResolveScope(ctx, pool, store.ScopeOrg, orgB1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.ListAssetProjects(ctx, pool, other, asset1, store.ProjectQuery{Limit: 10}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("asset outside the scope: err = %v, want not found", err)
	}
}

func TestDeletingAnAssetDeletesItsRelationships(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	seedRelationships(t, pool)
	if _, err := importString(t, pool, removeNDJSON(asset1)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT (SELECT count(*) FROM projects) + (SELECT count(*) FROM targets)`); n != 0 {
		t.Errorf("%d projects and targets of the deleted asset left", n)
	}
}

func TestRelationshipsStagedInBatches(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	// Assets and projects interleaved, so COPY pauses between assets.
	src := hierarchyNDJSON()
	want := map[string]store.Project{}
	for i := range 7 {
		a := fmt.Sprintf("aaaaaaaa-0000-4000-8000-1000000000%02d", i)
		src += assetNDJSON(a, tenantA, orgA1)
		for j := range 3 {
			p := store.Project{ID: projectID(i*10 + j), AssetID: a, OrgID: orgA1, TargetFile: "f", SnapshotCreatedAt: day.Add(time.Duration(j) * time.Hour),
				Issues: store.IssueCounts{Low: int32(i + j)}}
			want[p.ID] = p
			src += ndjsonOf(t, store.Record{Project: &p})
		}
	}
	sum, err := store.Import(ctx, pool, store.NewNDJSONReader(stringsReader(src)), store.RelationshipBatch(2))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Assets != 7 || sum.Projects != 21 || count(t, pool, `SELECT count(*) FROM projects`) != 21 {
		t.Fatalf("summary %+v", sum)
	}
	for a, d := range oracle(want) {
		if got, _ := assetNumbers(t, pool, a); !sameDerived(got, d) {
			t.Errorf("asset %s: %+v, want %+v", a, got.issues, d.issues)
		}
	}
}
