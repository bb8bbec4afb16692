package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/openinventory/assets/index"
)

var testCursorKey = cursorKey(strings.Repeat("k", CursorKeyMinBytes))

func TestCursorKeySignsAndChecks(t *testing.T) {
	t.Parallel()
	c := cursor{Sort: []any{json.Number("1704067200000"), "id-1"}, ID: "id-1", Query: "h"}
	s := testCursorKey.encode(c)
	got, err := testCursorKey.decode("starting_after", s, "h")
	if err != nil || got.ID != c.ID || !slices.Equal(got.Sort, c.Sort) {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	other := cursorKey(strings.Repeat("o", CursorKeyMinBytes))
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, cursorPrefix))
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-3] ^= 1 // a byte of the JSON
	unsigned, _ := json.Marshal(c)
	for name, bad := range map[string]string{
		"another key":           other.encode(c),
		"payload changed":       cursorPrefix + base64.RawURLEncoding.EncodeToString(flipped),
		"no signature":          cursorPrefix + base64.RawURLEncoding.EncodeToString(unsigned),
		"signature only":        cursorPrefix + base64.RawURLEncoding.EncodeToString(raw[:32]),
		"another query, signed": testCursorKey.encode(cursor{ID: "id-1", Query: "other"}),
	} {
		if _, err := testCursorKey.decode("starting_after", bad, "h"); err == nil {
			t.Errorf("%s: accepted", name)
		} else if e := asError(err); e.Status != http.StatusBadRequest || e.Parameter != "starting_after" {
			t.Errorf("%s: %+v", name, e)
		}
	}
	if _, err := newCursorKey([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
	if k, err := newCursorKey(nil); err != nil || len(k) != CursorKeyMinBytes {
		t.Errorf("generated key: %d bytes, %v", len(k), err)
	}
}

// nextCursor is the starting_after of the next link of the first page at
// path, with its signature and query hash.
func nextCursor(t *testing.T, e *env, path string) (cur string, sig []byte, hash string) {
	t.Helper()
	r := e.get("tenantA.read", path).must(t, http.StatusOK)
	u, err := url.Parse(r.link("next"))
	if err != nil || u.Query().Get("starting_after") == "" {
		t.Fatalf("no next cursor in %v", r.doc["links"])
	}
	cur = u.Query().Get("starting_after")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(cur, cursorPrefix))
	if err != nil {
		t.Fatal(err)
	}
	var c cursor
	if err := json.Unmarshal(raw[32:], &c); err != nil {
		t.Fatal(err)
	}
	return cur, raw[:32:32], c.Query
}

func TestForgedCursorIsBadRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30))
	base := tenantPath(tenantA) + v + "&sort=created_at"
	cur, sig, hash := nextCursor(t, e, base)
	// The values a client would like Elasticsearch to see, with the
	// signature of the genuine cursor: valid base64, valid JSON, bad MAC.
	payload, _ := json.Marshal(cursor{Sort: []any{"not a date", "x"}, ID: "x", Query: hash})
	forged := cursorPrefix + base64.RawURLEncoding.EncodeToString(append(sig, payload...))
	e.get("tenantA.read", base+"&starting_after="+forged).wantError(t, http.StatusBadRequest, "parameter", "starting_after")
	e.get("tenantA.read", base+"&ending_before="+forged).wantError(t, http.StatusBadRequest, "parameter", "ending_before")
	e.get("tenantA.read", base+"&starting_after="+cur).must(t, http.StatusOK)
}

// A signed cursor whose values do not fit the sort is refused before
// Elasticsearch is asked: the server behind this one has none reachable.
func TestSignedCursorOfWrongTypesNeverReachesElasticsearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30))
	base := tenantPath(tenantA) + v + "&sort=created_at"
	_, _, hash := nextCursor(t, e, base)
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{"http://127.0.0.1:1"}, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	down := e.newServerWith(index.New(es, "nothing"))
	e.srv.Config.Handler = down.Handler()
	key := down.cursors
	for name, c := range map[string]cursor{
		"date as text":  {Sort: []any{"yesterday", testAssetID(1000)}, ID: testAssetID(1000), Query: hash},
		"too few":       {Sort: []any{testAssetID(1000)}, ID: testAssetID(1000), Query: hash},
		"too many":      {Sort: []any{json.Number("1"), json.Number("2"), testAssetID(1000)}, ID: testAssetID(1000), Query: hash},
		"id as number":  {Sort: []any{json.Number("1"), json.Number("7")}, ID: testAssetID(1000), Query: hash},
		"date as float": {Sort: []any{json.Number("1.5"), testAssetID(1000)}, ID: testAssetID(1000), Query: hash},
	} {
		t.Run(name, func(t *testing.T) {
			e.get("tenantA.read", base+"&starting_after="+key.encode(c)).wantError(t, http.StatusBadRequest, "parameter", "starting_after")
		})
	}
	// A fitting cursor does reach it (and finds it down).
	ok := cursor{Sort: []any{json.Number("1704067200000"), testAssetID(1000)}, ID: testAssetID(1000), Query: hash}
	e.get("tenantA.read", base+"&starting_after="+key.encode(ok)).wantError(t, http.StatusServiceUnavailable, "", "")
}

// Replicas sharing a key accept each other's cursors; a server with another
// key refuses them.
func TestCursorsAcrossServersWithOneKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, manyAssets(30))
	key, err := LoadCursorKey(context.Background(), e.pool, "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadCursorKey(context.Background(), e.pool, "")
	if err != nil || string(again) != string(key) {
		t.Fatalf("the stored key changed: %v", err)
	}
	server := func(key []byte) *httptest.Server {
		s, err := New(Config{Pool: e.pool, Index: e.index, CursorKey: key})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s.Handler())
		t.Cleanup(srv.Close)
		return srv
	}
	one, two, other := server(key), server(key), server([]byte(strings.Repeat("z", CursorKeyMinBytes)))
	base := tenantPath(tenantA) + v + "&sort=-created_at"
	e.srv = one
	first := e.get("tenantA.read", base).must(t, http.StatusOK)
	// The link names the first server: the same path and query go to the others.
	next, err := url.Parse(first.link("next"))
	if err != nil {
		t.Fatal(err)
	}
	e.srv = two
	second := e.get("tenantA.read", next.RequestURI()).must(t, http.StatusOK)
	if len(second.data(t)) == 0 || ids(second.data(t))[0] == ids(first.data(t))[0] {
		t.Errorf("the second server did not continue the first's page")
	}
	e.srv = other
	e.get("tenantA.read", next.RequestURI()).wantError(t, http.StatusBadRequest, "parameter", "starting_after")
}
