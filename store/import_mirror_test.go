package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/store"
)

func TestParseMirrorScope(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want store.MirrorScope
		err  string
	}{
		{"tenant:" + tenantA, store.MirrorScope{Kind: "tenant", ID: tenantA}, ""},
		{"group:" + strings.ToUpper(groupA), store.MirrorScope{Kind: "group", ID: groupA}, ""},
		{"org:" + orgA1, store.MirrorScope{Kind: "org", ID: orgA1}, ""},
		{tenantA, store.MirrorScope{}, "want KIND:ID"},
		{"team:" + tenantA, store.MirrorScope{}, "kind must be tenant, group or org"},
		{"tenant:42", store.MirrorScope{}, `"42" is not a UUID`},
	}
	for _, tc := range cases {
		got, err := store.ParseMirrorScope(tc.in)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("%q: got %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: err = %v, want %q", tc.in, err, tc.err)
		}
	}
}

// Assets of mirrorFixture: x1 in org A1, x2 in A2, x3 in no org, x4 in both,
// all of tenant A; y1 of tenant B.
const (
	x1 = "bbbbbbbb-0000-4000-8000-000000000001"
	x2 = "bbbbbbbb-0000-4000-8000-000000000002"
	x3 = "bbbbbbbb-0000-4000-8000-000000000003"
	x4 = "bbbbbbbb-0000-4000-8000-000000000004"
	y1 = "bbbbbbbb-0000-4000-8000-0000000000b1"
)

func mirrorFixture(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := testenvPostgres(t)
	if _, err := importString(t, pool, hierarchyNDJSON()+assetNDJSON(x1, tenantA, orgA1)+assetNDJSON(x2, tenantA, orgA2)+
		assetNDJSON(x3, tenantA)+assetNDJSON(x4, tenantA, orgA1, orgA2)+assetNDJSON(y1, tenantB, orgB1)); err != nil {
		t.Fatal(err)
	}
	return pool
}

func importMirror(t *testing.T, pool *pgxpool.Pool, scope, ndjson string) (store.ImportSummary, error) {
	t.Helper()
	m, err := store.ParseMirrorScope(scope)
	if err != nil {
		t.Fatal(err)
	}
	return store.Import(context.Background(), pool, store.NewNDJSONReader(stringsReader(ndjson)), store.Mirror(m))
}

func assetIDs(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id::text FROM assets ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestImportMirrorDeletesTheScopesUnnamedAssets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		scope   string
		deleted int
		left    []string
	}{
		{"tenant:" + tenantA, 3, []string{x1, y1}},
		{"group:" + groupA, 2, []string{x1, x3, y1}}, // x3 is in no org of the group
		{"org:" + orgA1, 1, []string{x1, x2, x3, y1}},
	}
	for _, tc := range cases {
		t.Run(tc.scope, func(t *testing.T) {
			t.Parallel()
			pool := mirrorFixture(t)
			// x1 changes (a label) while the others of the scope go.
			line := strings.Replace(assetNDJSON(x1, tenantA, orgA1), `"registry"`, `"labels":["kept"],"registry"`, 1)
			sum, err := importMirror(t, pool, tc.scope, line)
			if err != nil {
				t.Fatal(err)
			}
			if sum.MirrorDeleted != tc.deleted || sum.Assets != 1 || sum.Mirror != tc.scope {
				t.Errorf("summary = %+v, want %d deleted", sum, tc.deleted)
			}
			if got := assetIDs(t, pool); !reflect.DeepEqual(got, tc.left) {
				t.Errorf("assets left = %v, want %v", got, tc.left)
			}
			if n := count(t, pool, `SELECT count(*) FROM asset_outbox WHERE deleted`); n != int64(tc.deleted) {
				t.Errorf("%d tombstones, want %d", n, tc.deleted)
			}
			if n := count(t, pool, `SELECT version FROM assets WHERE id = $1`, x1); n != 2 {
				t.Errorf("version of the changed asset = %d, want 2", n)
			}
		})
	}
}

func TestImportMirrorRefusesWhatIsOutsideTheScope(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, scope, ndjson, want string
	}{
		{"asset of another tenant", "tenant:" + tenantA, assetNDJSON(x1, tenantA) + assetNDJSON(y1, tenantB),
			"line 2: asset " + y1 + " is outside the mirrored scope tenant:" + tenantA},
		{"asset of another org", "org:" + orgA1, assetNDJSON(x2, tenantA, orgA2),
			"line 1: asset " + x2 + " is outside the mirrored scope org:" + orgA1},
		{"asset in no org of the group", "group:" + groupA, assetNDJSON(x3, tenantA),
			"line 1: asset " + x3 + " is outside the mirrored scope group:" + groupA},
		{"removal of another tenant's asset", "tenant:" + tenantA, assetNDJSON(x1, tenantA, orgA1) + removeNDJSON(y1),
			"line 2: removed asset " + y1 + " is outside the mirrored scope tenant:" + tenantA},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := mirrorFixture(t)
			outbox := count(t, pool, `SELECT count(*) FROM asset_outbox`)
			_, err := importMirror(t, pool, tc.scope, tc.ndjson)
			var le *store.LineError
			if !errors.As(err, &le) || le.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if got := assetIDs(t, pool); len(got) != 5 {
				t.Errorf("assets = %v, want all five", got)
			}
			if n := count(t, pool, `SELECT count(*) FROM asset_outbox`); n != outbox {
				t.Errorf("outbox %d rows, want %d: something was written", n, outbox)
			}
		})
	}
}

func TestImportMirrorOfAnUnknownScopeIsNotFound(t *testing.T) {
	t.Parallel()
	pool := mirrorFixture(t)
	_, err := importMirror(t, pool, "org:"+missingAsset, "")
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "org:"+missingAsset) {
		t.Errorf("err = %v, want not found naming the scope", err)
	}
	if got := assetIDs(t, pool); len(got) != 5 {
		t.Errorf("assets = %v, want all five", got)
	}
}
