package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// The contract declares every link (links.self, first, next, prev, a
// resource's links.self, the Location of a search) as a URI, so links are
// absolute: built on the configured public URL, or else on the request's
// own scheme and host.

// ParsePublicURL checks a public base URL (Config.PublicURL) and returns it
// without a trailing slash: http or https, a host, an optional path prefix
// (for a proxy that mounts the API below one), no query, fragment or user.
func ParsePublicURL(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("the public URL %q: %w", raw, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("the public URL %q needs the scheme http or https", raw)
	case !validHost(u.Host):
		return "", fmt.Errorf("the public URL %q needs a host", raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("the public URL %q may hold only a scheme, a host and a path", raw)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// hostPattern is a host name or IPv4 address, or a bracketed IPv6 address,
// with an optional port: what a Host or X-Forwarded-Host may carry into a
// link.
var hostPattern = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$`)

func validHost(h string) bool { return hostPattern.MatchString(h) }

// publicBase resolves the scheme and host of the links of one request.
type publicBase struct {
	fixed      string // ParsePublicURL's answer; "" derives it per request
	trustProxy bool   // honour X-Forwarded-Proto and X-Forwarded-Host
}

// of is the base of r's links: the fixed URL, or the request's scheme and
// Host (the forwarded ones only when the proxy is trusted, since a client
// could send them to make the server print links to a host of its choice).
func (b publicBase) of(r *http.Request) string {
	if b.fixed != "" {
		return b.fixed
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if b.trustProxy {
		// A chain of proxies lists the client-facing value first.
		if p := strings.ToLower(firstListed(r.Header.Get("X-Forwarded-Proto"))); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstListed(r.Header.Get("X-Forwarded-Host")); validHost(h) {
			host = h
		}
	}
	if !validHost(host) {
		return "" // a relative link rather than one to a host nobody named
	}
	return scheme + "://" + host
}

func firstListed(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

type publicBaseKey struct{}

// bind records the base of each request's links in its context.
func (b publicBase) bind(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), publicBaseKey{}, b.of(r))))
	})
}

// publicBaseOf is the base bind recorded; "" (relative links) outside the
// server.
func publicBaseOf(ctx context.Context) string {
	s, _ := ctx.Value(publicBaseKey{}).(string)
	return s
}
