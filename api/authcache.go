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
	// counters, resolved once from the server's metrics.
	tokenHit, tokenMiss, scopeHit, scopeMiss prometheus.Counter
	listening                                prometheus.Gauge

	mu   sync.Mutex
	live bool
	// gen counts forgets; an entry read from the database before one is
	// not stored after it (see put).
	gen    uint64
	tokens entries[[sha256.Size]byte, *store.Token]
	scopes entries[scopeKey, store.Scope]
}

// entries are one kind of answer, each kept until its deadline.
type entries[K comparable, V any] map[K]entry[V]

type entry[V any] struct {
	v     V
	until time.Time
}

type scopeKey struct{ kind, id string }

func newAuthCache(ttl time.Duration, m *metrics) *authCache {
	return &authCache{ttl: ttl, now: time.Now,
		tokenHit:  m.authLookups.WithLabelValues("token", "hit"),
		tokenMiss: m.authLookups.WithLabelValues("token", "miss"),
		scopeHit:  m.authLookups.WithLabelValues("scope", "hit"),
		scopeMiss: m.authLookups.WithLabelValues("scope", "miss"),
		listening: m.authListening,
	}
}

// event is the listener's report (store.Listen): every event forgets all,
// since what was read before it may be stale.
func (c *authCache) event(ev store.ListenEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.tokens, c.scopes = nil, nil
	switch ev {
	case store.Listening:
		c.live = true
		c.listening.Set(1)
	case store.Deaf:
		c.live = false
		c.listening.Set(0)
	}
}

// generation is what a reader notes before going to the database; false
// when the cache is not to be used.
func (c *authCache) generation() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen, c.live
}

// get returns the live, unexpired entry of k in m.
func get[K comparable, V any](c *authCache, m *entries[K, V], k K) (V, bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := (*m)[k]
	if !ok || !c.live || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put stores v under k until the deadline, if nothing was forgotten since
// gen was read; a full map starts over.
func put[K comparable, V any](c *authCache, m *entries[K, V], gen uint64, k K, v V, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || !c.live {
		return
	}
	if *m == nil || len(*m) >= AuthCacheEntriesMax {
		*m = make(entries[K, V])
	}
	(*m)[k] = entry[V]{v: v, until: until}
}

func (c *authCache) token(secret string) (*store.Token, bool) {
	return get(c, &c.tokens, sha256.Sum256([]byte(secret)))
}

// putToken stores t; an expiring token is kept no longer than it works.
func (c *authCache) putToken(gen uint64, secret string, t *store.Token) {
	until := c.now().Add(c.ttl)
	if !t.Expires.IsZero() && t.Expires.Before(until) {
		until = t.Expires
	}
	put(c, &c.tokens, gen, sha256.Sum256([]byte(secret)), t, until)
}

func (c *authCache) scope(kind, id string) (store.Scope, bool) {
	return get(c, &c.scopes, scopeKey{kind, id})
}

func (c *authCache) putScope(gen uint64, sc store.Scope) {
	put(c, &c.scopes, gen, scopeKey{sc.Kind, sc.ID}, sc, c.now().Add(c.ttl))
}

// authenticate is store.Authenticate through the cache, when there is
// one. Failures are not cached: they are what a guessing client sends.
func (s *Server) authenticate(ctx context.Context, secret string) (*store.Token, error) {
	c := s.auth
	if c == nil {
		return store.Authenticate(ctx, s.pool, secret)
	}
	if t, ok := c.token(secret); ok {
		c.tokenHit.Inc()
		return t, nil
	}
	gen, live := c.generation()
	if live {
		c.tokenMiss.Inc()
	}
	t, err := store.Authenticate(ctx, s.pool, secret)
	if err == nil && live {
		c.putToken(gen, secret, t)
	}
	return t, err
}

// resolveScope is store.ResolveScope through the cache, when there is one;
// a missing scope is not cached.
func (s *Server) resolveScope(ctx context.Context, kind, id string) (store.Scope, error) {
	c := s.auth
	if c == nil {
		return store.ResolveScope(ctx, s.pool, kind, id)
	}
	if sc, ok := c.scope(kind, id); ok {
		c.scopeHit.Inc()
		return sc, nil
	}
	gen, live := c.generation()
	if live {
		c.scopeMiss.Inc()
	}
	sc, err := store.ResolveScope(ctx, s.pool, kind, id)
	if err == nil && live {
		c.putScope(gen, sc)
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
	store.Listen(ctx, s.pool, s.log, store.AuthChangedChannel, s.auth.event)
	return nil
}
