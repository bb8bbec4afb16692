package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The PostgreSQL-only answers. q is an ILIKE over one text per asset that
// joins the fields q searches (one per line, tags as key\x1fvalue like the
// index, so a match never spans two values), served by a pg_trgm GIN
// index on that expression, built for the measurement and dropped after.

const qTextFunction = `CREATE FUNCTION bench_q_text(labels text[], tags jsonb, registry text, repository text,
	name text, config_digest text, digests jsonb, image_tags text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT concat_ws(E'\n',
		array_to_string(labels, E'\n'),
		(SELECT string_agg(key || E'\x1f' || value, E'\n') FROM jsonb_each_text(tags)),
		registry, repository, name, config_digest,
		(SELECT string_agg(concat_ws(E'\n', d->>'manifest_digest', d->>'index_digest'), E'\n')
		   FROM jsonb_array_elements(digests) AS d),
		array_to_string(image_tags, E'\n'))
$$`

// qTextExpr is the q text of the asset aliased a; qTextIndexExpr the same
// unqualified, for the index (which the planner matches with it).
const (
	qTextExpr      = `bench_q_text(a.labels, a.tags, a.registry, a.repository, a.name, a.config_digest, a.distribution_digests, a.image_tags)`
	qTextIndexExpr = `bench_q_text(labels, tags, registry, repository, name, config_digest, distribution_digests, image_tags)`
)

// qSQL is the q== list: the same order and page size (plus one) as the
// index query, full rows with their org ids.
const qSQL = `SELECT a.*, m.org_ids FROM (
	SELECT * FROM assets a WHERE a.tenant_id = $1 AND ` + qTextExpr + ` ILIKE $2
	ORDER BY a.risk_score DESC NULLS LAST, a.id LIMIT $3) a
LEFT JOIN LATERAL (SELECT array_agg(ao.org_id ORDER BY ao.org_id) AS org_ids FROM asset_orgs ao WHERE ao.asset_id = a.id) m ON true
ORDER BY a.risk_score DESC NULLS LAST, a.id`

// trigramIndex is what building the index cost.
type trigramIndex struct {
	seconds float64
	bytes   int64
}

// ensureTrigramIndex creates pg_trgm, the q text function and the GIN
// index on it, and analyzes the table so the planner knows the expression.
func (r *runner) ensureTrigramIndex(ctx context.Context) (trigramIndex, error) {
	var ti trigramIndex
	if _, err := r.pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm`); err != nil {
		return ti, fmt.Errorf("creating the pg_trgm extension: %w", err)
	}
	var hasFunc bool
	err := r.pool.QueryRow(ctx, `SELECT to_regprocedure('bench_q_text(text[],jsonb,text,text,text,text,jsonb,text[])') IS NOT NULL`).Scan(&hasFunc)
	if err != nil {
		return ti, fmt.Errorf("looking for the q text function: %w", err)
	}
	if !hasFunc {
		if _, err := r.pool.Exec(ctx, qTextFunction); err != nil {
			return ti, fmt.Errorf("creating the q text function: %w", err)
		}
	}
	r.log.Info("bench: building the pg_trgm index for q (dropped after the measurement)")
	t0 := time.Now()
	if _, err := r.pool.Exec(ctx, `DROP INDEX IF EXISTS bench_q_trgm`); err != nil {
		return ti, fmt.Errorf("dropping an old trigram index: %w", err)
	}
	if err := r.buildTrigramIndex(ctx); err != nil {
		return ti, err
	}
	if _, err := r.pool.Exec(ctx, `ANALYZE assets`); err != nil {
		return ti, fmt.Errorf("analyzing assets: %w", err)
	}
	ti.seconds = time.Since(t0).Seconds()
	if err := r.pool.QueryRow(ctx, `SELECT pg_relation_size('bench_q_trgm')`).Scan(&ti.bytes); err != nil {
		return ti, fmt.Errorf("sizing the trigram index: %w", err)
	}
	r.log.Info("bench: built the pg_trgm index", "elapsed", time.Since(t0).Round(time.Millisecond), "size", bytesText(ti.bytes))
	return ti, nil
}

// buildTrigramIndex creates the index on a connection of its own with
// more maintenance memory than the default, which a GIN build needs.
func (r *runner) buildTrigramIndex(ctx context.Context) error {
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("building the trigram index: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET maintenance_work_mem = '1GB'`); err != nil {
		return fmt.Errorf("building the trigram index: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `RESET maintenance_work_mem`)
	if _, err := conn.Exec(ctx, `CREATE INDEX bench_q_trgm ON assets USING gin (`+qTextIndexExpr+` gin_trgm_ops)`); err != nil {
		return fmt.Errorf("building the trigram index: %w", err)
	}
	return nil
}

// dropTrigramIndex removes the index again: it is not part of the schema,
// and it would slow the writes measured later.
func (r *runner) dropTrigramIndex(ctx context.Context) error {
	if _, err := r.pool.Exec(ctx, `DROP INDEX IF EXISTS bench_q_trgm`); err != nil {
		return fmt.Errorf("dropping the trigram index: %w", err)
	}
	return nil
}

// likePattern is %term% with the LIKE wildcards of term escaped.
func likePattern(term string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(term) + "%"
}

// pgQ runs the q== list and reads every row (undecoded, as the direct
// Elasticsearch side reads its answer).
func (r *runner) pgQ(ctx context.Context, term string) error {
	rows, err := r.pool.Query(ctx, qSQL, r.data.tenantID, likePattern(term), listLimit+1)
	if err != nil {
		return fmt.Errorf("q in PostgreSQL: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		_ = rows.RawValues()
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("q in PostgreSQL: %w", err)
	}
	return nil
}

// pgQIDs are the ids of the first n rows of the q== list.
func (r *runner) pgQIDs(ctx context.Context, term string, n int) ([]string, error) {
	rows, err := r.pool.Query(ctx, `SELECT a.id::text FROM assets a WHERE a.tenant_id = $1 AND `+qTextExpr+` ILIKE $2
		ORDER BY a.risk_score DESC NULLS LAST, a.id LIMIT $3`, r.data.tenantID, likePattern(term), n)
	if err != nil {
		return nil, fmt.Errorf("q in PostgreSQL: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("q in PostgreSQL: %w", err)
	}
	return ids, nil
}

// pgQPlan is the q== plan as its nodes, outermost first, to show what
// PostgreSQL did.
func (r *runner) pgQPlan(ctx context.Context, term string) (string, error) {
	rows, err := r.pool.Query(ctx, `EXPLAIN `+qSQL, r.data.tenantID, likePattern(term), listLimit+1)
	if err != nil {
		return "", fmt.Errorf("explaining q in PostgreSQL: %w", err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("explaining q in PostgreSQL: %w", err)
	}
	return planNodes(lines), nil
}

// planNodes keeps the node names of EXPLAIN's text lines (those with a
// cost), joined by " > ".
func planNodes(lines []string) string {
	var nodes []string
	for _, l := range lines {
		node, _, ok := strings.Cut(l, "  (cost=")
		if !ok {
			continue
		}
		nodes = append(nodes, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(node), "->")))
	}
	return strings.Join(nodes, " > ")
}

// facetWhere is facetFilter in SQL; its arguments follow the tenant.
const facetWhere = `a.tenant_id = $1 AND a.created_at >= $2 AND a.risk_score >= $3`

func facetArgs(tenantID string) []any {
	return []any{tenantID, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 100}
}

// facetSQL is the top ten values by count (ties by value, byte order, as
// the API sorts them) of each measured group field.
var facetSQL = map[string]string{
	"class": `SELECT (ARRAY['A','B','C','D'])[a.class_rank] COLLATE "C" AS v, count(*) AS n FROM assets a
		WHERE ` + facetWhere + ` GROUP BY a.class_rank ORDER BY n DESC, v LIMIT 10`,
	"registry": `SELECT a.registry COLLATE "C" AS v, count(*) AS n FROM assets a
		WHERE ` + facetWhere + ` AND a.registry <> '' GROUP BY a.registry ORDER BY n DESC, v LIMIT 10`,
	"tags": `SELECT (t.key || ':' || t.value) COLLATE "C" AS v, count(*) AS n FROM assets a CROSS JOIN LATERAL jsonb_each_text(a.tags) AS t
		WHERE ` + facetWhere + ` GROUP BY t.key, t.value ORDER BY n DESC, v LIMIT 10`,
}

// pgGroupValues runs the GROUP BY of one field.
func (r *runner) pgGroupValues(ctx context.Context, field string) ([]groupCount, error) {
	sql, ok := facetSQL[field]
	if !ok {
		return nil, fmt.Errorf("no GROUP BY for %s", field)
	}
	rows, err := r.pool.Query(ctx, sql, facetArgs(r.data.tenantID)...)
	if err != nil {
		return nil, fmt.Errorf("grouping by %s in PostgreSQL: %w", field, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (groupCount, error) {
		var g groupCount
		err := row.Scan(&g.Value, &g.Count)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("grouping by %s in PostgreSQL: %w", field, err)
	}
	return out, nil
}
