package api

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// richAssets are n assets of tenant A using every attribute of the
// contract, present or absent by turns, with strings a JSON encoder has
// to escape.
func richAssets(n int) string {
	var b strings.Builder
	for i := range n {
		a := map[string]any{
			"registry": []string{"docker.io", "gcr.io", "<q>&"}[i%3], "repository": fmt.Sprintf("team/app%03d\u2028é\"\\", i),
			"labels": []string{fmt.Sprintf("l%d", i%4), "a&b=c", "x@y"}[:i%4],
			"tags":   map[string]string{"env": []string{"prod", "dev"}[i%2], "k_x": "v&x=1"},
			"class":  map[string]any{"display_name": []string{"A", "B", "C", "D"}[i%4], "locked": i%2 == 0},
			"issues": map[string]int{"critical": i % 3, "high": i % 5, "medium": i, "low": 0},
		}
		if i%2 == 0 {
			a["config_digest"] = fmt.Sprintf("sha256:%064d", i)
			a["distribution_digests"] = []map[string]string{{"manifest_digest": fmt.Sprintf("sha256:%064d", i+1)}, {"index_digest": "sha256:x"}}
			a["image_tags"] = []string{"latest", fmt.Sprintf("v%d", i)}
			a["built_at"] = fmt.Sprintf("2024-0%d-02T03:04:05.123456Z", 1+i%9)
			a["size_bytes"] = int64(i) << 33
			a["os"], a["os_version"], a["architecture"], a["variant"] = "linux", "12", "arm64", "v8"
			a["author"] = "Ann <ann@example.com>"
			a["config"] = map[string]any{"labels": map[string]string{"maintainer": "x&y"}, "env": []string{"A=1"}, "user": "root"}
			a["history"] = []map[string]any{{"created_by": "RUN echo <hi>", "empty_layer": true}}
			a["teams"] = []string{"core"}
		}
		if i%3 == 0 {
			a["risk_score"] = i * 7 % 1000
			a["last_scan"] = "2024-05-06T07:08:09Z"
			a["root_fs"] = map[string]any{"type": "layers", "diff_ids": []string{"sha256:a"}}
			a["os_features"], a["inferred_base_images"] = []string{"f"}, []map[string]string{{"name": "debian"}}
			a["scan_engines"], a["test_surfaces"] = []string{"snyk"}, []string{"container"}
		}
		b.WriteString(assetLine(testAssetID(2000+i), tenantA, []string{orgA1}, a))
	}
	return b.String()
}

// fieldsets are the sparse fieldsets the comparison runs: none, all, the
// empty one, every attribute alone, and random sets of 2 to 8.
func fieldsets() [][]string {
	all := assetFields()
	sets := [][]string{nil, all, {}}
	for _, f := range all {
		sets = append(sets, []string{f})
	}
	r := rand.New(rand.NewPCG(14, 14))
	for range 40 {
		p := r.Perm(len(all))[:2+r.IntN(7)]
		set := make([]string, len(p))
		for i, j := range p {
			set[i] = all[j]
		}
		sets = append(sets, set)
	}
	return sets
}

// oldResources encodes the assets of a page as the list did before it
// passed stored attributes through: decoded documents, assetResource and
// serialize's encoder.
func oldResources(t *testing.T, e *env, acc access, fields []string) map[string][]byte {
	t.Helper()
	res, err := e.index.Search(context.Background(), index.SearchRequest{Scope: indexScope(acc.scope), Limit: index.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, a := range res.Assets {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(assetResource(a, assetSelf(acc, a.ID), fields)); err != nil {
			t.Fatal(err)
		}
		out[a.ID] = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	return out
}

// checkSameAsOld compares, for every fieldset, each resource of the list
// and of the NDJSON export with the old encoding: equal JSON, the same
// member order in the resource and its attributes.
func checkSameAsOld(t *testing.T, e *env, n int) {
	acc := access{scope: store.Scope{Kind: store.ScopeTenant, ID: tenantA, TenantID: tenantA}, version: versionInfo{served: currentVersion}, base: e.srv.URL}
	for _, fields := range fieldsets() {
		q := url.Values{"version": {currentVersion}, "limit": {"100"}}
		if fields != nil {
			q.Set("fields[container_images]", strings.Join(fields, ","))
		}
		old := oldResources(t, e, acc, fields)
		res := e.get("tenantA.read", tenantPath(tenantA)+"?"+q.Encode()).must(t, http.StatusOK)
		var doc struct {
			Data []stdjson.RawMessage `json:"data"`
		}
		if err := stdjson.Unmarshal(res.raw, &doc); err != nil || len(doc.Data) != n {
			t.Fatalf("fields %q: %d resources (%v), want %d", fields, len(doc.Data), err, n)
		}
		q.Del("limit")
		q.Set("format", "ndjson")
		exp := e.get("tenantA.read", tenantPath(tenantA)+"/export?"+q.Encode()).must(t, http.StatusOK)
		lines := strings.Split(strings.TrimSuffix(string(exp.raw), "\n"), "\n")
		if len(lines) != n {
			t.Fatalf("fields %q: export of %d lines, want %d", fields, len(lines), n)
		}
		for _, got := range append(doc.Data, toRaw(lines)...) {
			var id struct{ ID string }
			_ = stdjson.Unmarshal(got, &id)
			if want := old[id.ID]; !sameJSON(got, want) {
				t.Fatalf("fields %q, asset %s:\n got %s\nwant %s", fields, id.ID, got, want)
			}
		}
	}
}

func toRaw(lines []string) []stdjson.RawMessage {
	out := make([]stdjson.RawMessage, len(lines))
	for i, l := range lines {
		out[i] = stdjson.RawMessage(l)
	}
	return out
}

// TestListSameAsDecodedEncoding: the attributes passed through from
// Elasticsearch give the answer the decode-and-encode path gave, for many
// assets and every fieldset above, in the list and the NDJSON export;
// also when some documents were indexed before attrs existed.
func TestListSameAsDecodedEncoding(t *testing.T) {
	t.Parallel()
	const n = 60
	e := newEnv(t, richAssets(n))
	t.Run("stored attributes", func(t *testing.T) { checkSameAsOld(t, e, n) })
	t.Run("documents without attrs", func(t *testing.T) {
		dropAttrs(t, e, n)
		checkSameAsOld(t, e, n)
	})
}

// dropAttrs rewrites every other asset's document without attrs, as an
// index built before they existed holds it.
func dropAttrs(t *testing.T, e *env, n int) {
	t.Helper()
	ctx := context.Background()
	var items []index.WriteItem
	for i := 0; i < n; i += 2 {
		a, err := store.GetAsset(ctx, e.pool, tenantA, testAssetID(2000+i))
		if err != nil {
			t.Fatal(err)
		}
		d := index.Project(a)
		d.Attrs = nil
		items = append(items, index.WriteItem{ID: a.ID, Version: a.Version + 1, Doc: &d})
	}
	res, err := e.index.Write(ctx, []string{e.index.Alias()}, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if err := e.index.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
}

// sameJSON: equal values, and the same member order in the resource and
// in its attributes.
func sameJSON(a, b []byte) bool {
	var va, vb any
	if stdjson.Unmarshal(a, &va) != nil || stdjson.Unmarshal(b, &vb) != nil {
		return false
	}
	ja, _ := stdjson.Marshal(va)
	jb, _ := stdjson.Marshal(vb)
	if string(ja) != string(jb) || !slices.Equal(memberNames(a), memberNames(b)) {
		return false
	}
	var ra, rb struct{ Attributes stdjson.RawMessage }
	_ = stdjson.Unmarshal(a, &ra)
	_ = stdjson.Unmarshal(b, &rb)
	return slices.Equal(memberNames(ra.Attributes), memberNames(rb.Attributes))
}

// memberNames are the member names of a JSON object, in order.
func memberNames(raw []byte) []string {
	dec := stdjson.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != stdjson.Delim('{') {
		return nil
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return names
		}
		names = append(names, tok.(string))
		var skip stdjson.RawMessage
		if dec.Decode(&skip) != nil {
			return names
		}
	}
	return names
}
