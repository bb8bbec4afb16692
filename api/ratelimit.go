package api

import (
	"crypto/sha256"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Defaults of the rate limits (serve's flags and environment use them;
// a zero Config.RateLimit disables limiting).
const (
	// RateLimitDefault is the sustained requests per second of one token
	// (or of one client address without a valid token).
	RateLimitDefault = 20.0
	// RateBurstDefault is how many requests a token (or address) may send
	// at once after being idle.
	RateBurstDefault = 40
	// RateLimitKeysDefault bounds the buckets kept in memory, per kind
	// (tokens, addresses): about 200 bytes each.
	RateLimitKeysDefault = 65536
)

// idleSweep is how many idle buckets an insert removes at most, so the
// cost of a request stays constant.
const idleSweep = 2

// limiter holds one token bucket per verified token and one per client
// address, each in an LRU of bounded size: however many keys a client
// invents, memory stays bounded, and idle buckets go first.
type limiter struct {
	rate     rate.Limit
	burst    int
	trustXFF bool
	tokens   *lru.Cache[string, *rate.Limiter]
	addrs    *lru.Cache[string, *rate.Limiter]
}

func newLimiter(perSecond float64, burst, keys int, trustXFF bool) (*limiter, error) {
	if burst <= 0 {
		burst = RateBurstDefault
	}
	if keys <= 0 {
		keys = RateLimitKeysDefault
	}
	l := &limiter{rate: rate.Limit(perSecond), burst: burst, trustXFF: trustXFF}
	var err error
	if l.tokens, err = lru.New[string, *rate.Limiter](keys); err != nil {
		return nil, fmt.Errorf("creating the token buckets: %w", err)
	}
	if l.addrs, err = lru.New[string, *rate.Limiter](keys); err != nil {
		return nil, fmt.Errorf("creating the address buckets: %w", err)
	}
	return l, nil
}

// decision is the outcome of taking one request from a bucket.
type decision struct {
	ok        bool
	limit     int
	remaining float64
	perSecond float64
}

// take charges r to its token's bucket when the token was verified before,
// else to its client address: before authentication, so neither a flood
// without a token nor one of invented tokens reaches the database.
func (l *limiter) take(r *http.Request, now time.Time) decision {
	if key, ok := tokenKey(r); ok {
		if b, ok := l.tokens.Get(key); ok {
			return l.decide(b, now)
		}
	}
	return l.decide(l.bucket(l.addrs, l.clientAddr(r), now), now)
}

// verified is called once r's token authenticated: from then on the token
// has a bucket of its own. This first request was charged to the address,
// so the new bucket starts one request down, as if it had paid.
func (l *limiter) verified(r *http.Request, now time.Time) {
	key, ok := tokenKey(r)
	if !ok || l.tokens.Contains(key) {
		return
	}
	l.bucket(l.tokens, key, now).AllowN(now, 1)
}

// bucket returns the bucket of key in c, creating it (and dropping a few
// idle ones, which are full and so no different from new ones).
func (l *limiter) bucket(c *lru.Cache[string, *rate.Limiter], key string, now time.Time) *rate.Limiter {
	if b, ok := c.Get(key); ok {
		return b
	}
	for range idleSweep {
		_, oldest, ok := c.GetOldest()
		if !ok || oldest.TokensAt(now) < float64(l.burst) {
			break
		}
		c.RemoveOldest()
	}
	b := rate.NewLimiter(l.rate, l.burst)
	if prev, ok, _ := c.PeekOrAdd(key, b); ok {
		return prev
	}
	return b
}

func (l *limiter) decide(b *rate.Limiter, now time.Time) decision {
	ok := b.AllowN(now, 1)
	return decision{ok: ok, limit: l.burst, remaining: b.TokensAt(now), perSecond: float64(l.rate)}
}

// setHeaders writes the RateLimit-* headers (and Retry-After on a refusal):
// the limit is the burst, the reset the seconds until the bucket is full.
func (d decision) setHeaders(h http.Header) {
	remaining := max(0, math.Floor(d.remaining))
	reset := math.Ceil((float64(d.limit) - max(0, d.remaining)) / d.perSecond)
	h.Set("RateLimit-Limit", strconv.Itoa(d.limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(int(remaining)))
	h.Set("RateLimit-Reset", strconv.Itoa(int(max(0, reset))))
	if !d.ok {
		h.Set("Retry-After", strconv.Itoa(d.retryAfter()))
	}
}

// retryAfter is the whole seconds until one request is allowed again.
func (d decision) retryAfter() int {
	return int(max(1, math.Ceil((1-d.remaining)/d.perSecond)))
}

// tokenKey identifies the credentials of r by their SHA-256, so the secret
// itself is not kept.
func tokenKey(r *http.Request) (string, bool) {
	secret, err := credentials(r)
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256([]byte(secret))
	return string(sum[:]), true
}

// clientAddr is the host of RemoteAddr, or with trustXFF the last address
// of X-Forwarded-For (the one the proxy in front appended; earlier ones
// are the client's to invent). An IPv6 address stands for its /64, which
// one client commonly holds whole.
func (l *limiter) clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if l.trustXFF {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				host = last
			}
		}
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// rateLimited reports whether a path is limited: everything but the probes
// and metrics, which an orchestrator and a scraper call on their own
// schedule.
func rateLimited(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return false
	}
	return true
}

// limit charges r and answers 429 when its bucket is empty; it reports
// whether the request may go on.
func (s *Server) limit(w http.ResponseWriter, r *http.Request) bool {
	if s.limits == nil || !rateLimited(r.URL.Path) {
		return true
	}
	d := s.limits.take(r, time.Now())
	d.setHeaders(w.Header())
	if d.ok {
		return true
	}
	writeError(w, r, &Error{Status: http.StatusTooManyRequests,
		Detail: fmt.Sprintf("Too many requests; retry after %d seconds.", d.retryAfter())})
	return false
}

// tokenVerified gives r's token its own bucket once it authenticated.
func (s *Server) tokenVerified(r *http.Request) {
	if s.limits != nil {
		s.limits.verified(r, time.Now())
	}
}
