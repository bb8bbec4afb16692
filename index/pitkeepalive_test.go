package index

import (
	"testing"
	"time"
)

// A point in time is extended by whole seconds rounded down, and not at all
// under a second, so a stored search's point in time never outlives it.
func TestSearchPITKeepAliveNeverRoundsUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		keep time.Duration
		want any // nil: no keep_alive
	}{
		{15 * time.Minute, "900s"},
		{2900 * time.Millisecond, "2s"},
		{time.Second, "1s"},
		{999 * time.Millisecond, nil},
		{0, nil},
		{-time.Second, nil},
	} {
		r := SearchRequest{Scope: Scope{TenantID: "t"}, PIT: "pit-id", KeepAlive: tc.keep}
		req, err := r.request("assets")
		if err != nil {
			t.Fatal(err)
		}
		pit, _ := req.Body["pit"].(Query)
		if pit["id"] != "pit-id" || pit["keep_alive"] != tc.want {
			t.Errorf("KeepAlive %v: pit = %v, want keep_alive %v", tc.keep, pit, tc.want)
		}
		if req.Path != "/_search" {
			t.Errorf("path = %s", req.Path)
		}
	}
}
