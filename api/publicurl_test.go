package api

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParsePublicURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw, want string
		bad       bool
	}{
		{"", "", false},
		{"https://assets.example.com", "https://assets.example.com", false},
		{"https://assets.example.com/", "https://assets.example.com", false},
		{"http://10.0.0.1:8080/api/", "http://10.0.0.1:8080/api", false},
		{"https://[::1]:8443", "https://[::1]:8443", false},
		{"ftp://assets.example.com", "", true},
		{"assets.example.com", "", true},
		{"https://", "", true},
		{"https://user:pw@assets.example.com", "", true},
		{"https://assets.example.com/?a=1", "", true},
		{"https://assets.example.com/#x", "", true},
		{"https://bad host", "", true},
	} {
		got, err := ParsePublicURL(tc.raw)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParsePublicURL(%q) = %q, %v; want %q, bad %v", tc.raw, got, err, tc.want, tc.bad)
		}
	}
}

func TestPublicBaseOf(t *testing.T) {
	t.Parallel()
	forwarded := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "assets.example.com"}
	for _, tc := range []struct {
		name   string
		base   publicBase
		tls    bool
		host   string
		header map[string]string
		want   string
	}{
		{"request host", publicBase{}, false, "api.local:8080", nil, "http://api.local:8080"},
		{"request over TLS", publicBase{}, true, "api.local", nil, "https://api.local"},
		{"forwarded headers ignored without trust", publicBase{}, false, "api.local", forwarded, "http://api.local"},
		{"forwarded headers with trust", publicBase{trustProxy: true}, false, "api.local", forwarded, "https://assets.example.com"},
		{"first of a chain", publicBase{trustProxy: true}, false, "api.local",
			map[string]string{"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "a.example.com, b.internal"}, "https://a.example.com"},
		{"forged forwarded values", publicBase{trustProxy: true}, false, "api.local",
			map[string]string{"X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "evil.com/x?"}, "http://api.local"},
		{"configured URL wins", publicBase{fixed: "https://pub.example.com", trustProxy: true}, false, "api.local", forwarded, "https://pub.example.com"},
		{"no usable host", publicBase{}, false, "", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/rest/x", nil)
			r.Host = tc.host
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if got := tc.base.of(r); got != tc.want {
				t.Errorf("of = %q, want %q", got, tc.want)
			}
		})
	}
}

// Every link of a page, of an asset and the Location of a search is an
// absolute URI, in each mode: the configured URL, the request's host, and
// the forwarded host behind a trusted proxy.
func TestLinksAreAbsolute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	serve := func(cfg Config) string {
		cfg.Pool, cfg.Index = e.pool, e.index
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s.Handler())
		t.Cleanup(srv.Close)
		return srv.URL
	}
	forwarded := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "proxy.example.com"}
	for _, tc := range []struct {
		name   string
		cfg    Config
		header map[string]string
		want   string // "" is the test server's own URL
	}{
		{"public URL", Config{PublicURL: "https://assets.example.com/"}, forwarded, "https://assets.example.com"},
		{"request host", Config{}, nil, ""},
		{"untrusted forwarded headers", Config{}, forwarded, ""},
		{"trusted proxy", Config{TrustProxy: true}, forwarded, "https://proxy.example.com"},
		{"trusted proxy, former setting", Config{TrustForwardedFor: true}, forwarded, "https://proxy.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := serve(tc.cfg)
			want := tc.want
			if want == "" {
				want = base
			}
			get := func(method, p string) response {
				return e.do(req{method: method, path: base + p, token: "tenantA.read", header: tc.header})
			}
			list := get(http.MethodGet, tenantPath(tenantA)+v+"&limit=10").must(t, http.StatusOK)
			if len(list.data(t)) == 0 {
				t.Fatal("an empty list proves nothing about its items' links")
			}
			for _, name := range []string{"self", "first"} {
				if l := list.link(name); !strings.HasPrefix(l, want+"/rest/tenants/"+tenantA+"/inventory/assets?") {
					t.Errorf("links.%s = %q, want it on %s", name, l, want)
				}
			}
			for _, a := range list.data(t) {
				if l := a["links"].(map[string]any)["self"].(string); !strings.HasPrefix(l, want+"/rest/tenants/") {
					t.Errorf("an asset's links.self = %q, want it on %s", l, want)
				}
			}
			one := get(http.MethodGet, tenantPath(tenantA)+"/"+testAssetID(1)+v).must(t, http.StatusOK)
			if l := one.link("self"); l != want+tenantPath(tenantA)+"/"+testAssetID(1)+v {
				t.Errorf("links.self = %q", l)
			}
			loc := get(http.MethodPost, tenantPath(tenantA)+"/searches"+v).must(t, http.StatusFound).header.Get("Location")
			if !strings.HasPrefix(loc, want+tenantPath(tenantA)+"/searches/") {
				t.Errorf("Location = %q, want it on %s", loc, want)
			}
			fields := get(http.MethodGet, tenantPath(tenantA)+"/groups"+v).must(t, http.StatusOK)
			if l := fields.link("self"); !strings.HasPrefix(l, want+"/rest/") {
				t.Errorf("group fields links.self = %q", l)
			}
		})
	}
	if _, err := New(Config{Pool: e.pool, Index: e.index, PublicURL: "ftp://x"}); err == nil {
		t.Error("New accepted the public URL ftp://x")
	}
}
