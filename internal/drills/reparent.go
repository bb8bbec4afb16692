package drills

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/store"
)

// apiVersion is the version the drill's requests ask for.
const apiVersion = "2024-10-15"

// reparentTimeout bounds how long the moved assets may take to show under
// their new group on every read route.
const reparentTimeout = 60 * time.Second

// moveFixture is an org whose assets belong to it alone, the group it
// leaves, the group it joins, and a group.read token on each.
type moveFixture struct {
	orgID, orgName     string
	fromGroup, toGroup string
	fromToken, toToken string
	assets             []string // a sample of the org's assets, at most 50
}

// reparent moves an org to another group by import under write load: its
// assets must leave the old group and appear under the new one on every
// read route within the sync lag, verify must find no drift, and a
// projection damaged by hand must be found by verify and fixed by
// verify --repair.
func reparent(ctx context.Context, h *harness) Result {
	r := Result{}
	mf, err := h.moveFixture(ctx, h.fx.tenants[0])
	if err != nil {
		return r.passIf(false, err.Error())
	}
	load := h.startWrites(ctx, uint64(h.cfg.Seed)+7, 10*time.Minute)
	hn.SleepCtx(ctx, 2*time.Second)
	moved := time.Now()
	if err := h.importOrg(ctx, mf.orgID, mf.toGroup, mf.orgName); err != nil {
		load.stop()
		return r.passIf(false, err.Error())
	}
	visibleAfter, waitErr := h.waitMoved(ctx, mf, moved)
	hn.SleepCtx(ctx, 2*time.Second)
	st := load.stop()
	r.Measured = fmt.Sprintf("org with %d sampled assets moved under %s", len(mf.assets), st)
	if waitErr != nil {
		return r.passIf(false, waitErr.Error())
	}
	r.Measured += fmt.Sprintf("; on every read route of the new group and gone from the old after %s", visibleAfter.Round(10*time.Millisecond))
	rep, err := h.verify(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	r.Measured += "; " + rep.String()
	switch {
	case st.failed > 0:
		return r.passIf(false, fmt.Sprintf("%d updates failed, the first: %s", st.failed, st.firstFailure))
	case !rep.ok():
		return r.passIf(false, "PostgreSQL and Elasticsearch drifted after the move")
	}
	damaged, err := h.damageAndRepair(ctx, mf.assets[0])
	r.Measured += "; " + damaged
	return r.passIf(err == nil, fmt.Sprint(err))
}

// moveFixture finds, in tenant tf, the org with the most assets that belong
// to it alone (so the move takes them out of the old group entirely), a
// second group to move it to, and a token on each group.
func (h *harness) moveFixture(ctx context.Context, tf tenantFixture) (moveFixture, error) {
	var mf moveFixture
	var ids []string
	err := h.pool.QueryRow(ctx, `
		SELECT ao.org_id::text, o.name, o.group_id::text, array_agg(ao.asset_id::text ORDER BY ao.asset_id)
		FROM asset_orgs ao JOIN orgs o ON o.id = ao.org_id JOIN groups g ON g.id = o.group_id
		WHERE g.tenant_id = $1
		  AND NOT EXISTS (SELECT 1 FROM asset_orgs x WHERE x.asset_id = ao.asset_id AND x.org_id <> ao.org_id)
		GROUP BY 1, 2, 3 ORDER BY count(*) DESC, 1 LIMIT 1`, tf.id).Scan(&mf.orgID, &mf.orgName, &mf.fromGroup, &ids)
	if err != nil {
		return mf, fmt.Errorf("finding an org whose assets belong to it alone: %w", err)
	}
	mf.assets = ids[:min(len(ids), 50)]
	err = h.pool.QueryRow(ctx, `SELECT id::text FROM groups WHERE tenant_id = $1 AND id <> $2 ORDER BY id LIMIT 1`,
		tf.id, mf.fromGroup).Scan(&mf.toGroup)
	if err != nil {
		return mf, fmt.Errorf("finding a second group in tenant %s: %w", tf.id, err)
	}
	for _, t := range []struct {
		group string
		token *string
	}{{mf.fromGroup, &mf.fromToken}, {mf.toGroup, &mf.toToken}} {
		grant := store.Grant{Kind: store.ScopeGroup, ScopeID: t.group, Permission: "group.read"}
		if *t.token, err = store.CreateToken(ctx, h.pool, "drills-reparent-"+t.group[:8], []store.Grant{grant}); err != nil {
			return mf, fmt.Errorf("creating a token on group %s: %w", t.group, err)
		}
	}
	return mf, nil
}

// importOrg re-parents an org with `assets import`, as an operator would.
func (h *harness) importOrg(ctx context.Context, orgID, groupID, name string) error {
	line, err := json.Marshal(map[string]any{"type": "orgs", "id": orgID,
		"attributes": map[string]any{"group_id": groupID, "name": name}})
	if err != nil {
		return err
	}
	path := filepath.Join(h.cfg.WorkDir, "reparent.ndjson")
	if err := os.WriteFile(path, append(line, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the import file: %w", err)
	}
	if _, err := h.runChild(ctx, "import", 2*time.Minute, "import", path); err != nil {
		return fmt.Errorf("importing the move: %w", err)
	}
	return nil
}

// waitMoved polls the read routes until the new group sees every sampled
// asset and the old group none, and returns how long that took.
func (h *harness) waitMoved(ctx context.Context, mf moveFixture, since time.Time) (time.Duration, error) {
	var last error
	for time.Since(since) < reparentTimeout {
		if last = h.checkMoved(ctx, mf); last == nil {
			return time.Since(since), nil
		}
		if !hn.SleepCtx(ctx, 200*time.Millisecond) {
			return 0, ctx.Err()
		}
	}
	return 0, fmt.Errorf("the move was not visible on every read route after %s: %w", reparentTimeout, last)
}

// checkMoved asks each read route of both groups about the sampled assets:
// the list's count, a stored search's results, a facet's counts and one
// asset's GET.
func (h *harness) checkMoved(ctx context.Context, mf moveFixture) error {
	filter := "id=in=(" + strings.Join(mf.assets, ",") + ")"
	for _, side := range []struct {
		group, token string
		want         int64
	}{{mf.toGroup, mf.toToken, int64(len(mf.assets))}, {mf.fromGroup, mf.fromToken, 0}} {
		base := "/rest/groups/" + side.group + "/inventory/assets"
		counts, err := h.readCounts(ctx, base, side.token, filter)
		if err != nil {
			return err
		}
		for route, n := range counts {
			if n != side.want {
				return fmt.Errorf("group %s: %s counts %d of the moved assets, want %d", side.group, route, n, side.want)
			}
		}
		res, err := h.request(ctx, http.MethodGet, base+"/"+mf.assets[0]+"?version="+apiVersion, side.token, nil, nil)
		if err != nil {
			return err
		}
		if want := map[bool]int{true: 200, false: 404}[side.want > 0]; res.status != want {
			return fmt.Errorf("group %s: GET of a moved asset answered %d, want %d", side.group, res.status, want)
		}
	}
	return nil
}

// readCounts returns, per read route, how many assets of the filter the
// scope sees.
func (h *harness) readCounts(ctx context.Context, base, token, filter string) (map[string]int64, error) {
	counts := map[string]int64{}
	q := url.Values{"version": {apiVersion}, "filter": {filter}, "meta_count": {"only"}}
	var list struct {
		Meta struct {
			Count int64 `json:"count"`
		} `json:"meta"`
	}
	if err := h.getJSON(ctx, base+"?"+q.Encode(), token, &list); err != nil {
		return nil, err
	}
	counts["list"] = list.Meta.Count

	body := fmt.Sprintf(`{"data":{"type":"searches","attributes":{"filter":%q,"limit":100}}}`, filter)
	res, err := h.request(ctx, http.MethodPost, base+"/searches?version="+apiVersion, token, []byte(body), nil)
	if err != nil {
		return nil, err
	}
	if res.status != http.StatusFound {
		return nil, fmt.Errorf("POST %s/searches: %d %s", base, res.status, hn.Truncate(res.body, 200))
	}
	var results struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := h.getJSON(ctx, res.header.Get("Location"), token, &results); err != nil {
		return nil, err
	}
	counts["stored search"] = int64(len(results.Data))

	groupField, _, err := catalogueIDs("registry")
	if err != nil {
		return nil, err
	}
	q = url.Values{"version": {apiVersion}, "filter": {filter}, "meta_fields": {"count"}, "limit": {"100"}}
	var values struct {
		Data []struct {
			Meta struct {
				Count int64 `json:"count"`
			} `json:"meta"`
		} `json:"data"`
	}
	if err := h.getJSON(ctx, base+"/groups/"+groupField+"/values?"+q.Encode(), token, &values); err != nil {
		return nil, err
	}
	var facet int64
	for _, v := range values.Data {
		facet += v.Meta.Count
	}
	counts["group values"] = facet
	return counts, nil
}

// getJSON GETs an API path and decodes a 200's body into v.
func (h *harness) getJSON(ctx context.Context, path, token string, v any) error {
	res, err := h.request(ctx, http.MethodGet, path, token, nil, nil)
	if err != nil {
		return err
	}
	if res.status != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, res.status, hn.Truncate(res.body, 200))
	}
	return json.Unmarshal(res.body, v)
}

// damageAndRepair rewrites one asset's document in Elasticsearch by hand,
// at the version it has, with other labels: verify must report the drift,
// verify --repair must fix it, and a last verify must find none.
func (h *harness) damageAndRepair(ctx context.Context, id string) (string, error) {
	alias := h.cfg.IndexPrefix
	var doc struct {
		Index   string         `json:"_index"`
		Version int64          `json:"_version"`
		Source  map[string]any `json:"_source"`
	}
	raw, err := h.es.Do(ctx, http.MethodGet, "/"+alias+"/_doc/"+id, nil)
	if err != nil {
		return "", fmt.Errorf("reading the document to damage: %w", err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return "", err
	}
	const mark = "damaged-by-drill"
	doc.Source["labels"] = append(anySlice(doc.Source["labels"]), mark)
	body, err := json.Marshal(doc.Source)
	if err != nil {
		return "", err
	}
	path := fmt.Sprintf("/%s/_doc/%s?version=%d&version_type=external_gte&refresh=true", doc.Index, id, doc.Version)
	if _, err := h.es.Do(ctx, http.MethodPut, path, body); err != nil {
		return "", fmt.Errorf("damaging the document: %w", err)
	}
	found, err := h.verify(ctx)
	if err != nil {
		return "", err
	}
	if found.Drifted == 0 {
		return "a damaged projection (same version, other labels): verify found no drift", errors.New("verify did not catch a content drift")
	}
	if _, err := h.runChild(ctx, "verify-repair", 3*time.Minute, "verify", "--repair", "--wait", h.cfg.VerifyWait.String()); err != nil {
		var ee *hn.ExitStatusError
		if !errors.As(err, &ee) || ee.Code != 3 {
			return "", fmt.Errorf("verify --repair: %w", err)
		}
	}
	after, err := h.verify(ctx)
	if err != nil {
		return "", err
	}
	raw, err = h.es.Do(ctx, http.MethodGet, "/"+alias+"/_doc/"+id, nil)
	if err != nil {
		return "", err
	}
	measured := fmt.Sprintf("a damaged projection: verify found %d drifted, after --repair %s", found.Drifted, after)
	switch {
	case !after.ok():
		return measured, errors.New("verify --repair left drift behind")
	case strings.Contains(string(raw), mark):
		return measured, errors.New("verify --repair did not rewrite the damaged document")
	}
	return measured, nil
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return slices.Clone(s)
}
