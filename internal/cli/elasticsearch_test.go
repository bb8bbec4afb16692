package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/cli/esauth"
)

// fakeSecuredNode answers health with healthStatus and _has_privileges
// with privileges, like a secured Elasticsearch node.
func fakeSecuredNode(t *testing.T, healthStatus int, privileges string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/_cluster/health":
			w.WriteHeader(healthStatus)
			_, _ = w.Write([]byte(`{"status":"green","error":{"type":"security_exception","reason":"key ` + r.Header.Get("Authorization") + ` refused"}}`))
		case "/_security/user/_has_privileges":
			_, _ = w.Write([]byte(privileges))
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestOpenIndexStartupChecks(t *testing.T) {
	t.Parallel()
	const secret = "c2VjcmV0OmFwaS1rZXktdmFsdWU="
	lacking := `{"has_all_requested":false,"cluster":{"monitor":true},"index":{"assets":{"manage":false,"read":true,"write":true},"assets-*":{"manage":false,"read":true,"write":true}}}`
	cases := []struct {
		name       string
		health     int
		privileges string
		want       string // in the error
		permanent  bool   // not an *UnavailableError: waiting would not help
	}{
		{"missing privilege", http.StatusOK, lacking, "lack index privilege manage on assets, index privilege manage on assets-*: grant them the role assets_service", true},
		{"refused key", http.StatusUnauthorized, "", "refused the credentials", true},
		{"no monitor", http.StatusForbidden, "", "lack cluster privilege monitor: grant them the role assets_service", true},
		{"node not ready", http.StatusServiceUnavailable, "", "not answering", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			e := &Env{
				ElasticsearchURL: fakeSecuredNode(t, tc.health, tc.privileges), IndexPrefix: "assets",
				ES:     esauth.Config{APIKey: secret},
				Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			}
			_, err := openIndex(context.Background(), e, index.DefaultIndexSettings())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("openIndex = %v, want an error containing %q", err, tc.want)
			}
			var ue *UnavailableError
			if errors.As(err, &ue) == tc.permanent {
				t.Fatalf("openIndex = %#v: unavailable=%v, want %v", err, !tc.permanent, !tc.permanent)
			}
			var pe *index.PrivilegeError
			if (tc.privileges != "" || tc.health == http.StatusForbidden) && !errors.As(err, &pe) {
				t.Fatalf("openIndex = %v, want an *index.PrivilegeError", err)
			}
			e.Logger.Error("start-up failed", "err", err)
			if out := logs.String() + err.Error(); strings.Contains(out, secret) {
				t.Fatalf("the API key was printed:\n%s", out)
			}
			if !strings.Contains(logs.String(), `"auth":"api_key"`) {
				t.Fatalf("the connection was not logged with its kind of authentication:\n%s", logs.String())
			}
		})
	}
}
