package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/openinventory/assets/store"
)

const fullAsset = `{"type":"container_images","id":"` + asset1 + `","attributes":{"tenant_id":"` + tenantA + `",
"org_ids":["` + orgA1 + `","` + orgA2 + `"],"class":{"display_name":"B","rank":2,"locked":true},"labels":["pci","prod"],
"tags":{"env":"prod","team":"payments"},"registry":"docker.io","repository":"library/nginx",
"config_digest":"sha256:aaa","distribution_digests":[{"manifest_digest":"sha256:m1","index_digest":"sha256:i1"}],
"image_tags":["1.25","latest"],"built_at":"2025-01-02T03:04:05Z","size_bytes":123456,"os":"linux",
"os_version":"debian 12","architecture":"arm64","variant":"v8","author":"nginx",
"config":{"cmd":["nginx"],"labels":{"maintainer":"NGINX"}},"risk_score":712,
"issues":{"critical":1,"high":2,"medium":3,"low":4},"last_scan":"2025-02-01T00:00:00Z",
"last_seen_at":"2025-03-01T00:00:00Z","created_at":"2024-12-01T00:00:00Z","updated_at":"2025-01-15T00:00:00Z",
"history":[{"created_by":"/bin/sh"}],"root_fs":{"type":"layers","diff_ids":["sha256:d1"]},"teams":["payments"],
"os_features":["f"],"inferred_base_images":["debian:12"],"test_surfaces":["cli"],
"scan_engines":[{"type":"container","name":"snyk","last_seen":"2025-02-01T00:00:00Z","issues":{"critical":1,"high":0,"medium":0,"low":0}}]}}`

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "") + "\n" }

func TestImportRoundTripsEveryAttribute(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	sum, err := importString(t, pool, hierarchyNDJSON()+oneLine(fullAsset))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sum, store.ImportSummary{Tenants: 2, Groups: 2, Orgs: 3, Assets: 1}) {
		t.Errorf("summary = %+v", sum)
	}
	a, err := store.GetAsset(ctx, pool, tenantA, asset1)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "docker.io/library/nginx" || a.ClassName() != "B" || !a.ClassLocked || len(a.OrgIDs) != 2 ||
		len(a.GroupIDs) != 1 || a.GroupIDs[0] != groupA || a.ImageLabels["maintainer"] != "NGINX" {
		t.Errorf("asset = %+v", a)
	}
	// Export it as NDJSON and compare attribute by attribute with the input.
	var buf bytes.Buffer
	if err := store.WriteNDJSON(&buf, store.Record{Asset: a}); err != nil {
		t.Fatal(err)
	}
	var in, out struct {
		Attributes map[string]json.RawMessage `json:"attributes"`
	}
	if err := json.Unmarshal([]byte(oneLine(fullAsset)), &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	for k, v := range in.Attributes {
		if !jsonEqual(t, v, out.Attributes[k]) {
			t.Errorf("attribute %s: imported %s, exported %s", k, v, out.Attributes[k])
		}
	}
	// Re-importing the export changes nothing: no version bump.
	if _, err := importString(t, pool, hierarchyNDJSON()+buf.String()); err != nil {
		t.Fatal(err)
	}
	if v := count(t, pool, `SELECT version FROM assets WHERE id = $1`, asset1); v != 1 {
		t.Errorf("version after identical re-import = %d, want 1", v)
	}
}

func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

func TestImportRejectsBadLineAndWritesNothing(t *testing.T) {
	t.Parallel()
	good := `{"type":"container_images","id":"` + asset2 + `","attributes":{"tenant_id":"` + tenantA + `"}}` + "\n"
	// Another id: a second line of asset2 would be a duplicate.
	good2 := `{"type":"container_images","id":"aaaaaaaa-0000-4000-8000-000000000003","attributes":{"tenant_id":"` + tenantA + `"}}` + "\n"
	cases := []struct {
		name, bad string
		line      int
		want      string
	}{
		{"not json", "{nope\n", 9, "invalid JSON"},
		{"unknown type", `{"type":"widgets","id":"` + asset1 + `"}` + "\n", 9, `unknown type "widgets"`},
		{"bad id", `{"type":"tenants","id":"x"}` + "\n", 9, `id: "x" is not a UUID`},
		{"unknown attribute", `{"type":"container_images","id":"` + asset1 + `","attributes":{"tenant_id":"` + tenantA + `","colour":"red"}}` + "\n", 9, `unknown field "colour"`},
		{"bad label", `{"type":"container_images","id":"` + asset1 + `","attributes":{"tenant_id":"` + tenantA + `","labels":["has space"]}}` + "\n", 9, "labels"},
		{"bad class", `{"type":"container_images","id":"` + asset1 + `","attributes":{"tenant_id":"` + tenantA + `","class":{"rank":7}}}` + "\n", 9, "class.rank"},
		{"unknown tenant", `{"type":"container_images","id":"` + asset1 + `","attributes":{"tenant_id":"99999999-9999-4999-8999-999999999999"}}` + "\n", 9, "tenant 99999999-9999-4999-8999-999999999999 does not exist"},
		{"org of another tenant", `{"type":"container_images","id":"` + asset1 + `","attributes":{"tenant_id":"` + tenantA + `","org_ids":["` + orgB1 + `"]}}` + "\n", 9, "does not exist in the asset's tenant"},
		{"group of unknown tenant", `{"type":"groups","id":"` + asset1 + `","attributes":{"tenant_id":"99999999-9999-4999-8999-999999999999"}}` + "\n", 9, "does not exist"},
		{"unknown op", `{"op":"add","ref":{"type":"container_images","id":"` + asset1 + `"}}` + "\n", 9, `op "add" is not supported`},
		{"remove without ref", `{"op":"remove"}` + "\n", 9, `needs "ref"`},
		{"remove with attributes", `{"op":"remove","ref":{"type":"container_images","id":"` + asset1 + `"},"attributes":{}}` + "\n", 9, `only "op" and "ref"`},
		{"remove a tenant", `{"op":"remove","ref":{"type":"tenants","id":"` + tenantA + `"}}` + "\n", 9, `ref.type "tenants" cannot be removed`},
		{"remove a bad id", `{"op":"remove","ref":{"type":"container_images","id":"x"}}` + "\n", 9, `ref.id: "x" is not a UUID`},
		{"unknown ref member", `{"op":"remove","ref":{"type":"container_images","id":"` + asset1 + `","lid":"a"}}` + "\n", 9, `unknown field "lid"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := testenvPostgres(t)
			_, err := importString(t, pool, hierarchyNDJSON()+good+tc.bad+good2)
			var le *store.LineError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a line error", err)
			}
			if le.Line != tc.line || !strings.Contains(le.Error(), tc.want) {
				t.Errorf("err = %q, want line %d containing %q", le.Error(), tc.line, tc.want)
			}
			if n := count(t, pool, `SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM assets) + (SELECT count(*) FROM asset_outbox)`); n != 0 {
				t.Errorf("%d rows written; want none", n)
			}
		})
	}
}
