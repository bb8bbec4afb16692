package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/openinventory/assets/store"
)

// scopeParams are the path parameters naming a scope, by kind.
var scopeParams = [...]struct{ kind, param string }{
	{store.ScopeTenant, "tenant_id"},
	{store.ScopeGroup, "group_id"},
	{store.ScopeOrg, "org_id"},
}

// credentials extracts the secret of "Authorization: Token <key>" or
// "Bearer <key>". Anything else is a 401.
func credentials(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", unauthorized("Authentication is required: send Authorization: Token <key>.")
	}
	scheme, secret, ok := strings.Cut(strings.TrimSpace(h), " ")
	secret = strings.TrimSpace(secret)
	if !ok || secret == "" || (!strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer")) {
		return "", unauthorized("The Authorization header must be Token <key> or Bearer <key>.")
	}
	return secret, nil
}

// access is what begin established: who is calling, in which scope, and
// the API version served.
type access struct {
	token   *store.Token
	scope   store.Scope
	version versionInfo
	base    string // of the links: scheme and host, see publicBase
}

// authorize authenticates the request and resolves the scope of its path.
// The order of checks decides what a caller can learn:
//   - no or malformed credentials, or an unknown, revoked or expired token: 401;
//   - a malformed scope id: 400 (it says nothing about what exists);
//   - a scope that does not exist, or one no grant of the token covers: the
//     same answer (see hiddenScope), so a token cannot probe other tenants;
//   - a covered scope without the edit permission an update needs: 403.
func (s *Server) authorize(ctx context.Context, r *http.Request, action store.Action) (access, error) {
	secret, err := credentials(r)
	if err != nil {
		return access{}, err
	}
	tok, err := s.authenticate(ctx, secret)
	// The caller holds the secret, so saying why it stopped working tells
	// it nothing new, and tells its owner what to do.
	switch {
	case errors.Is(err, store.ErrTokenRevoked):
		return access{}, unauthorized("The token has been revoked: create a new one.")
	case errors.Is(err, store.ErrTokenExpired):
		return access{}, unauthorized("The token has expired: create a new one.")
	case errors.Is(err, store.ErrBadToken):
		return access{}, unauthorized("The token is not valid.")
	}
	if err != nil {
		return access{}, err
	}
	kind, id := "", ""
	for _, sp := range scopeParams {
		if r.PathValue(sp.param) != "" {
			if id, err = pathUUID(r, sp.param); err != nil {
				return access{}, err
			}
			kind = sp.kind
			break
		}
	}
	if kind == "" {
		return access{}, errors.New("route without a scope parameter")
	}
	sc, err := s.resolveScope(ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return access{}, hiddenScope(r, kind)
	}
	if err != nil {
		return access{}, err
	}
	if !tok.Sees(sc) {
		return access{}, hiddenScope(r, kind)
	}
	if action == store.Edit && !tok.Allows(sc, store.Edit) {
		return access{}, forbidden("The token may read this " + kind + " but not edit it: it needs " + kind + ".edit or an edit permission on an enclosing scope.")
	}
	return access{token: tok, scope: sc}, nil
}

// hiddenScope answers a scope that does not exist or that the token cannot
// see, the same for both. The contract documents 403 for every operation
// but a search's results, which document 404 and no 403; creating a search
// documents neither, and 403 says best what happened.
func hiddenScope(r *http.Request, kind string) *Error {
	if strings.HasSuffix(r.Pattern, "/results") {
		return notFound("The search was not found; it may have expired.") // as for a missing search
	}
	return forbidden("The token has no access to this " + kind + ", or it does not exist.")
}

// scopePath is the path prefix of a scope, e.g. /rest/orgs/<id>.
func scopePath(sc store.Scope) string {
	return "/rest/" + sc.Kind + "s/" + sc.ID
}

// scopeURL is scopePath as an absolute URL on the base of acc's links.
func scopeURL(acc access) string {
	return acc.base + scopePath(acc.scope)
}
