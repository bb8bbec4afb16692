package api

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
)

func TestCSVSafe(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"docker.io", "docker.io"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1", "'+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{"'quoted", "'quoted"},
		{"2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"},
	} {
		if got := csvSafe(tc.in); got != tc.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestExportCSVFormulaInjection: attribute values a spreadsheet would run
// as formulas arrive quoted in a CSV export, and as given in NDJSON.
func TestExportCSVFormulaInjection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, assetLine(testAssetID(1), tenantA, []string{orgA1}, map[string]any{
		"registry": "=cmd|' /C calc'!A0", "repository": "+team/app", "labels": []string{"@evil", "ok"},
		"tags": map[string]string{"k": "v"}, "author": "-1+1", "os": "\tlinux",
	}))
	q := tenantPath(tenantA) + "/export" + v + "&format=csv&fields[container_images]=registry,repository,labels,author,os,tags"
	res := e.get("tenantA.read", q).must(t, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(string(res.raw))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %q, %v", rows, err)
	}
	want := []string{testAssetID(1), "'=cmd|' /C calc'!A0", "'+team/app", "'@evil;ok", "'-1+1", "'\tlinux", "k=v"}
	if strings.Join(rows[1], "|") != strings.Join(want, "|") {
		t.Errorf("row %q, want %q", rows[1], want)
	}
	nd := e.get("tenantA.read", strings.Replace(q, "format=csv", "format=ndjson", 1)).must(t, http.StatusOK)
	if !strings.Contains(string(nd.raw), `"registry":"=cmd|' /C calc'!A0"`) {
		t.Errorf("NDJSON changed the value: %s", nd.raw)
	}
}
