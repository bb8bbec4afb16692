package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		remote, xff string
		trust       bool
		want        string
	}{
		{"192.0.2.1:1234", "", false, "192.0.2.1"},
		{"192.0.2.1:1234", "198.51.100.7", false, "192.0.2.1"},
		{"192.0.2.1:1234", "203.0.113.9, 198.51.100.7", true, "198.51.100.7"},
		{"192.0.2.1:1234", "", true, "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:80", "", false, "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.1]:80", "", false, "192.0.2.1"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		l := &limiter{trustXFF: tc.trust}
		if got := l.clientAddr(r); got != tc.want {
			t.Errorf("%s xff %q trust %v: %q, want %q", tc.remote, tc.xff, tc.trust, got, tc.want)
		}
	}
}

// TestLimiterBounded sends requests from many more addresses and tokens
// than the limiter keeps: its memory stays at the bound.
func TestLimiterBounded(t *testing.T) {
	t.Parallel()
	l, err := newLimiter(1, 2, 100, false)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 10_000 {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255)
		r.Header.Set("Authorization", fmt.Sprintf("Token junk-%d", i))
		l.take(r, now)
		l.verified(r, now)
	}
	if l.addrs.Len() > 100 || l.tokens.Len() > 100 {
		t.Errorf("buckets: %d addresses, %d tokens; want at most 100 each", l.addrs.Len(), l.tokens.Len())
	}
	// Idle buckets (full again) make room before active ones are evicted.
	later := now.Add(time.Minute)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "192.0.2.1:1"
	l.take(r, later)
	if n := l.addrs.Len(); n != 100-idleSweep+1 {
		t.Errorf("after an insert among idle buckets: %d addresses, want %d", n, 100-idleSweep+1)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	srv := e.serverWith(func(c *Config) { c.RateLimit, c.RateBurst = 0.01, 3 })
	get := func(token string) *http.Response {
		t.Helper()
		r, err := http.NewRequest(http.MethodGet, srv.URL+tenantPath(tenantA)+v, nil)
		if err != nil {
			t.Fatal(err)
		}
		if secret, ok := e.tokens[token]; ok {
			r.Header.Set("Authorization", "Token "+secret)
		} else if token != "" {
			r.Header.Set("Authorization", "Token "+token) // not a token of the database
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	// The first request of a token is charged to the address; the token
	// then has its own bucket of 3 (one already spent).
	for i := range 3 {
		if res := get("tenantA.read"); res.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
	res := get("tenantA.read")
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("past the burst: %d, want 429", res.StatusCode)
	}
	for _, h := range []string{"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} {
		if _, err := strconv.Atoi(res.Header.Get(h)); err != nil {
			t.Errorf("%s = %q", h, res.Header.Get(h))
		}
	}
	if res.Header.Get("RateLimit-Limit") != "3" || res.Header.Get("RateLimit-Remaining") != "0" {
		t.Errorf("RateLimit-Limit %q Remaining %q", res.Header.Get("RateLimit-Limit"), res.Header.Get("RateLimit-Remaining"))
	}
	// Another token is unaffected (its first request takes the address's
	// second token).
	if res := get("tenantA.edit"); res.StatusCode != http.StatusOK {
		t.Errorf("another token: %d", res.StatusCode)
	} else if res.Header.Get("RateLimit-Remaining") == "" {
		t.Error("no RateLimit-Remaining on a success")
	}
	// Without a token the address is limited: one request left, then 429,
	// before authentication would answer 401.
	if res := get(""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the address's last request: %d, want 401", res.StatusCode)
	}
	if res := get(""); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the address past its burst: %d, want 429", res.StatusCode)
	}
	// So is an unknown token: it is charged to its address.
	if res := get("assets_unknown-secret"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("an unknown token from the limited address: %d, want 429", res.StatusCode)
	}
	// Probes are not limited.
	if res, err := http.Get(srv.URL + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("healthz: %v %v", res, err)
	}
}
