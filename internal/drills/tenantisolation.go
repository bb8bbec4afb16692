package drills

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/openinventory/assets/index"
	hn "github.com/openinventory/assets/internal/harness"
)

// catalogueIDs returns the ids of the group field and the filter field of
// that name.
func catalogueIDs(name string) (groupField, filter string, err error) {
	cat := index.NewCatalogue()
	g, ok := cat.GroupByName(name)
	if !ok {
		return "", "", fmt.Errorf("no group field %q in the catalogue", name)
	}
	f, ok := cat.FilterByName(name)
	if !ok {
		return "", "", fmt.Errorf("no filter field %q in the catalogue", name)
	}
	return g.ID, f.ID, nil
}

// probe is one request of the isolation drill, and the status the
// published contract documents for it when the scope is hidden from the
// token (want; objectRoutes' probes expect 404).
type probe struct {
	method, path string
	body         []byte
	want         int
}

func (p probe) String() string { return p.method + " " + p.path }

// objectIDs are the ids a route may need besides its scope.
type objectIDs struct {
	asset, search, groupField, filter string
}

// scopeRoutes returns the ten operations of one scope, with valid bodies
// so that only the scope or the object can make them fail. A scope the
// token cannot see is a 403 wherever the contract documents one; a
// search's results document 404 and no 403.
func scopeRoutes(kind, scopeID string, ids objectIDs) []probe {
	base := "/rest/" + kind + "s/" + scopeID + "/inventory/assets"
	update := map[string]any{"labels": map[string]any{"add": []string{"leak-probe"}}}
	bulk := []byte(fmt.Sprintf(`{"data":[{"type":"container_images","id":%q,"attributes":{"labels":{"add":["leak-probe"]}}}]}`, ids.asset))
	const hidden, missing = http.StatusForbidden, http.StatusNotFound
	return []probe{
		{http.MethodGet, base + "?limit=100", nil, hidden},
		{http.MethodPatch, base, bulk, hidden},
		{http.MethodGet, base + "/" + ids.asset, nil, hidden},
		{http.MethodPatch, base + "/" + ids.asset, patchDocument(ids.asset, update), hidden},
		{http.MethodPost, base + "/searches", []byte(`{"data":{"type":"searches","attributes":{"filter":"registry==docker.io"}}}`), hidden},
		{http.MethodGet, base + "/searches/" + ids.search + "/results", nil, missing},
		{http.MethodGet, base + "/groups", nil, hidden},
		{http.MethodGet, base + "/groups/" + ids.groupField + "/values", nil, hidden},
		{http.MethodGet, base + "/filters", nil, hidden},
		{http.MethodGet, base + "/filters/" + ids.filter + "/values", nil, hidden},
	}
}

// objectRoutes are the operations of scopeRoutes that name an object (an
// asset or a search) besides the scope.
func objectRoutes(kind, scopeID string, ids objectIDs) []probe {
	r := scopeRoutes(kind, scopeID, ids)
	out := []probe{r[1], r[2], r[3], r[5]}
	for i := range out {
		out[i].want = http.StatusNotFound // the scope is the caller's own: the object is missing
	}
	return out
}

// tenantIsolation sends every route of every scope of one tenant with the
// other tenant's token, and every route naming an object with the other
// tenant's objects in the caller's own scopes, both ways. Every answer must
// be an error document of the status the published contract documents for
// its route (403 for a hidden scope, 404 for a search's results or another
// tenant's object in an own scope) that holds none of the other tenant's ids
// (beyond the ones the request itself carried) and is byte for byte the
// answer to the same request with unknown ids; the other tenant's data
// must be unchanged.
func tenantIsolation(ctx context.Context, h *harness) Result {
	r := Result{}
	groupField, filter, err := catalogueIDs("registry")
	if err != nil {
		return r.passIf(false, err.Error())
	}
	var probes, echoes, controls int
	var failures []string
	for dir, pair := range [][2]tenantFixture{{h.fx.tenants[0], h.fx.tenants[1]}, {h.fx.tenants[1], h.fx.tenants[0]}} {
		caller, victim := pair[0], pair[1]
		secrets, err := h.tenantIDs(ctx, victim.id)
		if err != nil {
			return r.passIf(false, err.Error())
		}
		searches := map[string]string{}
		victimScopes := map[string]string{"tenant": victim.id, "group": victim.groupID, "org": victim.orgID}
		callerScopes := map[string]string{"tenant": caller.id, "group": caller.groupID, "org": caller.orgID}
		for _, kind := range []string{"tenant", "group", "org"} {
			if searches[kind], err = h.createSearch(ctx, victim, kind, victimScopes[kind]); err != nil {
				return r.passIf(false, err.Error())
			}
			secrets = append(secrets, searches[kind])
		}
		// The same reads with the caller's own scopes and objects must
		// succeed, or the refusals below would prove nothing.
		for _, kind := range []string{"tenant", "group", "org"} {
			sid, err := h.createSearch(ctx, caller, kind, callerScopes[kind])
			if err != nil {
				return r.passIf(false, err.Error())
			}
			own := objectIDs{asset: caller.orgAsset, search: sid, groupField: groupField, filter: filter}
			for _, p := range scopeRoutes(kind, callerScopes[kind], own) {
				if p.method != http.MethodGet {
					continue
				}
				controls++
				res, err := h.request(ctx, p.method, p.path, caller.token, nil, nil)
				if err != nil {
					return r.passIf(false, fmt.Sprintf("control %s: %v", p, err))
				}
				if res.status != http.StatusOK {
					return r.passIf(false, fmt.Sprintf("control %s with the tenant's own token: %d %s", p, res.status, hn.Truncate(res.body, 200)))
				}
			}
		}
		before, err := h.tenantState(ctx, victim.id)
		if err != nil {
			return r.passIf(false, err.Error())
		}
		for _, kind := range []string{"tenant", "group", "org"} {
			ids := objectIDs{asset: victim.orgAsset, search: searches[kind], groupField: groupField, filter: filter}
			// Fresh unknown ids stand in for the victim's in the twin requests.
			twin := map[string]string{victimScopes[kind]: uuid.NewString(), victim.orgAsset: uuid.NewString(), searches[kind]: uuid.NewString()}
			twinIDs := objectIDs{asset: twin[victim.orgAsset], search: twin[searches[kind]], groupField: groupField, filter: filter}
			sets := [][2][]probe{
				{scopeRoutes(kind, victimScopes[kind], ids), scopeRoutes(kind, twin[victimScopes[kind]], twinIDs)},
				{objectRoutes(kind, callerScopes[kind], ids), objectRoutes(kind, callerScopes[kind], twinIDs)},
			}
			for _, set := range sets {
				for i, p := range set[0] {
					probes++
					reqID := fmt.Sprintf("leak-probe-%d-%d", dir, probes)
					echoed, err := h.isolationProbe(ctx, caller.token, reqID, p, set[1][i], twin, secrets)
					if err != nil {
						failures = append(failures, p.String()+": "+err.Error())
						continue
					}
					if echoed {
						echoes++
					}
				}
			}
		}
		after, err := h.tenantState(ctx, victim.id)
		if err != nil {
			return r.passIf(false, err.Error())
		}
		if after != before {
			failures = append(failures, fmt.Sprintf("tenant %s changed: %s -> %s", victim.id, before, after))
		}
	}
	r.Measured = fmt.Sprintf("%d probes (10 routes x 3 scopes + 4 object routes x 3 scopes, both ways) + twins with unknown ids: %d of %d not the documented status or leaking, %d echo only the id sent; %d own-scope controls 200",
		probes, len(failures), probes, echoes, controls)
	if len(failures) > 0 {
		return r.passIf(false, fmt.Sprintf("%d leaks, e.g. %s", len(failures), strings.Join(firstN(failures, 3), " | ")))
	}
	rep, err := h.verify(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	r.Measured += "; " + rep.String()
	return r.passIf(rep.ok(), "PostgreSQL and Elasticsearch drifted")
}

// isolationProbe sends p and its twin (the same request with unknown ids)
// and checks the answer: an error document of p.want, no secret beyond the ones
// the request carried, and the same bytes as the twin's answer once the
// ids are swapped back. echoed reports that the answer repeats an id the
// request sent.
func (h *harness) isolationProbe(ctx context.Context, token, reqID string, p, twin probe, swap map[string]string, secrets []string) (echoed bool, err error) {
	hdr := http.Header{"Snyk-Request-Id": {reqID}}
	res, err := h.request(ctx, p.method, p.path, token, p.body, hdr)
	if err != nil {
		return false, err
	}
	if err := checkErrorDocument(res.status, res.header.Get("Content-Type"), res.body, p.want); err != nil {
		return false, err
	}
	sentText := p.path + string(p.body)
	for _, s := range secrets {
		if !bytes.Contains(bytes.ToLower(res.body), []byte(strings.ToLower(s))) {
			continue
		}
		if !strings.Contains(sentText, s) {
			return false, fmt.Errorf("the answer holds the id %s, which the request did not carry: %s", s, hn.Truncate(res.body, 300))
		}
		echoed = true
	}
	tres, err := h.request(ctx, twin.method, twin.path, token, twin.body, hdr)
	if err != nil {
		return echoed, fmt.Errorf("the twin request: %w", err)
	}
	tbody := tres.body
	for real, fake := range swap {
		tbody = bytes.ReplaceAll(tbody, []byte(fake), []byte(real))
	}
	if tres.status != res.status || !bytes.Equal(tbody, res.body) {
		return echoed, fmt.Errorf("the answer differs from the one for unknown ids (%d %s vs %d %s)",
			res.status, hn.Truncate(res.body, 200), tres.status, hn.Truncate(tres.body, 200))
	}
	return echoed, nil
}

// tenantIDs lists every id of a tenant: itself, its groups, orgs and assets.
func (h *harness) tenantIDs(ctx context.Context, tenant string) ([]string, error) {
	rows, err := h.pool.Query(ctx, `SELECT id::text FROM tenants WHERE id = $1
		UNION ALL SELECT id::text FROM groups WHERE tenant_id = $1
		UNION ALL SELECT o.id::text FROM orgs o JOIN groups g ON g.id = o.group_id WHERE g.tenant_id = $1
		UNION ALL SELECT id::text FROM assets WHERE tenant_id = $1`, tenant)
	if err != nil {
		return nil, fmt.Errorf("listing the ids of tenant %s: %w", tenant, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing the ids of tenant %s: %w", tenant, err)
	}
	return ids, nil
}

// tenantState summarises what a write could change in a tenant: its
// assets' versions and labels, and its stored searches.
func (h *harness) tenantState(ctx context.Context, tenant string) (string, error) {
	var assets, versions, probed, searches int64
	err := h.pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(version), 0)::bigint,
			count(*) FILTER (WHERE 'leak-probe' = ANY (labels)),
			(SELECT count(*) FROM searches WHERE tenant_id = $1)
		FROM assets WHERE tenant_id = $1`, tenant).Scan(&assets, &versions, &probed, &searches)
	if err != nil {
		return "", fmt.Errorf("reading the state of tenant %s: %w", tenant, err)
	}
	return fmt.Sprintf("%d assets, version sum %d, %d probe labels, %d searches", assets, versions, probed, searches), nil
}

// createSearch starts a search in a scope with the tenant's own token and
// returns its id, read from the Location of the redirect.
func (h *harness) createSearch(ctx context.Context, tf tenantFixture, kind, scopeID string) (string, error) {
	res, err := h.request(ctx, http.MethodPost, "/rest/"+kind+"s/"+scopeID+"/inventory/assets/searches", tf.token,
		[]byte(`{"data":{"type":"searches","attributes":{"filter":"class==A"}}}`), nil)
	if err != nil {
		return "", fmt.Errorf("creating a search: %w", err)
	}
	if res.status != http.StatusFound {
		return "", fmt.Errorf("creating a search: %d %s", res.status, hn.Truncate(res.body, 200))
	}
	loc, err := url.Parse(res.header.Get("Location"))
	if err != nil {
		return "", fmt.Errorf("creating a search: bad Location: %w", err)
	}
	// .../searches/{id}/results
	id := path.Base(path.Dir(loc.Path))
	if _, err := uuid.Parse(id); err != nil {
		return "", fmt.Errorf("creating a search: no id in Location %q", loc)
	}
	return id, nil
}
