package api

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openinventory/assets/store"
)

// AuthCacheTTLDefault is how long a Server keeps a token or a scope it
// read for authorizing requests. Changes reach it sooner: the database
// notifies every change to tokens, grants and the scope hierarchy
// (store.AuthChangedChannel) and the cache then forgets everything, and it
// caches nothing while it is not listening. The TTL bounds what a lost
// notification could cost, and how stale a token's last_used_at may get
// beyond store.TokenLastUsedResolution.
const AuthCacheTTLDefault = 30 * time.Second

// AuthCacheEntriesMax bounds the tokens, and apart the scopes, one cache
// holds; a full cache starts over. Only valid tokens and existing scopes
// seen by a valid token enter, so a client cannot fill it with guesses.
const AuthCacheEntriesMax = 10000

// authCache remembers authentications and scope resolutions, the two
// PostgreSQL round trips every request makes before its real work. It is
// consulted only while its listener runs (live): an entry read while
// nobody listened could outlive a revocation.
type authCache struct {
	ttl time.Duration
	now func() time.Time
	// counters, resolved once (see observe); nil counts nothing.
	tokenHit, tokenMiss, scopeHit, scopeMiss prometheus.Counter
	listening                                prometheus.Gauge

	mu   sync.Mutex
	live bool
	// gen counts forgets; an entry read from the database before one is
	// not stored after it (see put).
	gen    uint64
	tokens map[[sha256.Size]byte]tokenEntry
	scopes map[scopeKey]scopeEntry
}

type tokenEntry struct {
	token *store.Token
	until time.Time
}

type scopeKey struct{ kind, id string }

type scopeEntry struct {
	scope store.Scope
	until time.Time
}

func newAuthCache(ttl time.Duration) *authCache {
	return &authCache{ttl: ttl, now: time.Now}
}

// observe makes the cache count its answers and say whether it is on.
func (c *authCache) observe(m *metrics) {
	c.tokenHit = m.authLookups.WithLabelValues("token", "hit")
	c.tokenMiss = m.authLookups.WithLabelValues("token", "miss")
	c.scopeHit = m.authLookups.WithLabelValues("scope", "hit")
	c.scopeMiss = m.authLookups.WithLabelValues("scope", "miss")
	c.listening = m.authListening
}

func count(c prometheus.Counter) {
	if c != nil {
		c.Inc()
	}
}

// event is the listener's report (store.ListenAuthChanges): every event
// forgets all, since what was read before it may be stale.
func (c *authCache) event(ev store.AuthEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.tokens, c.scopes = nil, nil
	switch ev {
	case store.AuthListening:
		c.live = true
	case store.AuthDeaf:
		c.live = false
	}
	if c.listening != nil {
		c.listening.Set(map[bool]float64{false: 0, true: 1}[c.live])
	}
}

// generation is what a reader notes before going to the database; false
// when the cache is not to be used.
func (c *authCache) generation() (uint64, bool) {
	if c == nil {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen, c.live
}

func (c *authCache) token(secret string) (*store.Token, bool) {
	if c == nil {
		return nil, false
	}
	key := sha256.Sum256([]byte(secret))
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.tokens[key]
	if !ok || !c.live || !now.Before(e.until) {
		return nil, false
	}
	return e.token, true
}

// putToken stores t if nothing was forgotten since gen was read. An expiring
// token is kept no longer than it works.
func (c *authCache) putToken(gen uint64, secret string, t *store.Token) {
	until := c.now().Add(c.ttl)
	if !t.Expires.IsZero() && t.Expires.Before(until) {
		until = t.Expires
	}
	key := sha256.Sum256([]byte(secret))
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || !c.live {
		return
	}
	if c.tokens == nil || len(c.tokens) >= AuthCacheEntriesMax {
		c.tokens = make(map[[sha256.Size]byte]tokenEntry)
	}
	c.tokens[key] = tokenEntry{token: t, until: until}
}

func (c *authCache) scope(kind, id string) (store.Scope, bool) {
	if c == nil {
		return store.Scope{}, false
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.scopes[scopeKey{kind, id}]
	if !ok || !c.live || !now.Before(e.until) {
		return store.Scope{}, false
	}
	return e.scope, true
}

func (c *authCache) putScope(gen uint64, sc store.Scope) {
	until := c.now().Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || !c.live {
		return
	}
	if c.scopes == nil || len(c.scopes) >= AuthCacheEntriesMax {
		c.scopes = make(map[scopeKey]scopeEntry)
	}
	c.scopes[scopeKey{sc.Kind, sc.ID}] = scopeEntry{scope: sc, until: until}
}

// authenticate is store.Authenticate through the cache. Failures are not
// cached: they are what a guessing client sends.
func (s *Server) authenticate(ctx context.Context, secret string) (*store.Token, error) {
	if t, ok := s.auth.token(secret); ok {
		count(s.auth.tokenHit)
		return t, nil
	}
	gen, live := s.auth.generation()
	if live {
		count(s.auth.tokenMiss)
	}
	t, err := store.Authenticate(ctx, s.pool, secret)
	if err == nil && live {
		s.auth.putToken(gen, secret, t)
	}
	return t, err
}

// resolveScope is store.ResolveScope through the cache; a missing scope is
// not cached.
func (s *Server) resolveScope(ctx context.Context, kind, id string) (store.Scope, error) {
	if sc, ok := s.auth.scope(kind, id); ok {
		count(s.auth.scopeHit)
		return sc, nil
	}
	gen, live := s.auth.generation()
	if live {
		count(s.auth.scopeMiss)
	}
	sc, err := store.ResolveScope(ctx, s.pool, kind, id)
	if err == nil && live {
		s.auth.putScope(gen, sc)
	}
	return sc, err
}

// WatchAuth listens for changes to what authorization reads and keeps the
// Server's authorization cache (Config.AuthCacheTTL) while it listens. It
// returns when ctx ends. Without it, or with the cache off, every request
// reads its token and scope from PostgreSQL.
func (s *Server) WatchAuth(ctx context.Context) error {
	if s.auth == nil {
		return nil
	}
	store.ListenAuthChanges(ctx, s.pool, s.log, s.auth.event)
	return nil
}
