package index

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/openinventory/assets/internal/testenv"
)

func TestMissingPrivileges(t *testing.T) {
	t.Parallel()
	all := map[string]bool{"manage": true, "read": true, "write": true}
	cases := []struct {
		name    string
		cluster map[string]bool
		index   map[string]map[string]bool
		want    string
	}{
		{"no monitor", map[string]bool{"monitor": false}, map[string]map[string]bool{"a": all, "a-*": all},
			"cluster privilege monitor"},
		{"read only", map[string]bool{"monitor": true}, map[string]map[string]bool{
			"a": {"read": true}, "a-*": all},
			"index privilege manage on a, index privilege write on a"},
		{"nothing named", map[string]bool{"monitor": true}, nil, "a privilege Elasticsearch did not name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := strings.Join(missingPrivileges(tc.cluster, tc.index), ", "); got != tc.want {
				t.Fatalf("missing = %q, want %q", got, tc.want)
			}
		})
	}
}

// privilegeNode answers _has_privileges with status and body.
func privilegeNode(t *testing.T, status int, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_security/user/_has_privileges" || r.Method != http.MethodPost {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		}
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{srv.URL}, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	return New(es, "assets")
}

func TestCheckPrivilegesAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		status  int
		body    string
		wantErr string // "" for no error
	}{
		{"security off (400)", 400, `{"error":"no handler found for uri [/_security/user/_has_privileges] and method [POST]"}`, ""},
		{"security off (404)", 404, `{}`, ""},
		{"all held", 200, `{"has_all_requested":true}`, ""},
		{"refused", 401, `{"error":{"type":"security_exception","reason":"unable to authenticate"}}`, "credentials were refused"},
		{"missing", 200, `{"has_all_requested":false,"cluster":{"monitor":true},"index":{"assets":{"manage":false,"read":true,"write":true},"assets-*":{"manage":true,"read":true,"write":true}}}`,
			"lack index privilege manage on assets: grant them the role assets_service"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := privilegeNode(t, tc.status, tc.body).CheckPrivileges(context.Background())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("CheckPrivileges: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("CheckPrivileges = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

// On the tests' own cluster (unsecured in CI, secured when the suites run
// against a secured one with a role covering test_*), the tests' prefix
// passes the check.
func TestCheckPrivilegesOnTheTestCluster(t *testing.T) {
	t.Parallel()
	es, prefix := testenv.Elasticsearch(t)
	if err := New(es, prefix).CheckPrivileges(context.Background()); err != nil {
		t.Fatalf("CheckPrivileges: %v", err)
	}
}
