package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RecordSource yields records until io.EOF.
type RecordSource interface {
	Next() (Record, error)
}

// ImportSummary counts what an import read and what it deleted.
type ImportSummary struct {
	Tenants int `json:"tenants"`
	Groups  int `json:"groups"`
	Orgs    int `json:"orgs"`
	Assets  int `json:"assets"`
	// Removes counts the remove lines and Removed the assets they deleted;
	// RemoveMissing counts those that named no asset, and RemoveMissingIDs
	// lists the first of them (see ListMissing).
	Removes          int      `json:"removes"`
	Removed          int      `json:"removed"`
	RemoveMissing    int      `json:"remove_missing"`
	RemoveMissingIDs []string `json:"remove_missing_ids,omitempty"`
	// Mirror is the mirrored scope (KIND:ID), MirrorDeleted the assets of
	// it the file did not name, which the import deleted.
	Mirror        string `json:"mirror,omitempty"`
	MirrorDeleted int    `json:"mirror_deleted"`
	// Projects and Targets count their lines, ProjectsRemoved the projects
	// the remove lines deleted.
	Projects        int `json:"projects,omitempty"`
	Targets         int `json:"targets,omitempty"`
	ProjectsRemoved int `json:"projects_removed,omitempty"`
}

// assetColumns are the staged and upserted asset columns, in COPY order
// (staging adds line first and org_ids last).
var assetColumns = []string{
	"id", "tenant_id", "class_rank", "class_locked", "labels", "tags", "registry", "repository",
	"config_digest", "distribution_digests", "image_tags", "built_at", "size_bytes", "os", "os_version",
	"architecture", "variant", "author", "config", "image_labels", "extra", "risk_score",
	"issues_critical", "issues_high", "issues_medium", "issues_low", "last_scan", "last_seen_at",
	"created_at", "updated_at",
}

// ImportOption changes how Import runs.
type ImportOption func(*importOptions)

type importOptions struct {
	log         *slog.Logger
	progress    ImportProgress // see ReportProgress
	assets      int64
	mirror      *MirrorScope
	listMissing int
	relBatch    int // see RelationshipBatch
}

// LogPhases makes Import log the duration of each phase at debug level to
// log (nil logs nothing).
func LogPhases(log *slog.Logger) ImportOption {
	return func(o *importOptions) { o.log = log }
}

// Import writes every record of src in one transaction: upserts by id and
// removals, all or nothing; with Mirror, it also deletes the assets of the
// scope that src does not name. Assets stream through COPY into a staging table and are merged
// with one INSERT ... ON CONFLICT, so the outbox triggers fire once per
// statement; rows whose data did not change are left alone (no version bump).
// The first bad record, and the second line of an id, is returned as a
// *LineError and nothing is written.
func Import(ctx context.Context, pool *pgxpool.Pool, src RecordSource, opts ...ImportOption) (ImportSummary, error) {
	o := importOptions{listMissing: ListMissingDefault, relBatch: RelationshipBatchDefault}
	for _, opt := range opts {
		opt(&o)
	}
	var sum ImportSummary
	tr := newImportTracker(o)
	phase := tr.phaseDone
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_assets (line int NOT NULL,
			LIKE assets INCLUDING DEFAULTS EXCLUDING GENERATED, org_ids uuid[] NOT NULL) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("creating the staging table: %w", err)
		}
		// LIKE copies every column; drop the ones the import does not set.
		if _, err := tx.Exec(ctx, `ALTER TABLE import_assets DROP COLUMN type, DROP COLUMN name, DROP COLUMN version`); err != nil {
			return fmt.Errorf("shaping the staging table: %w", err)
		}
		pctx, cancel := context.WithCancel(ctx)
		defer cancel() // stops the prefetching goroutine when COPY ends early
		cs := &copySource{src: prefetch(pctx, src), sum: &sum, seen: seenIDs{}, tr: tr, rel: relationships{batch: o.relBatch}}
		cols := append(append([]string{"line"}, assetColumns...), "org_ids")
		// COPY pauses whenever a batch of projects and targets is buffered,
		// so they are staged in batches and memory stays bounded.
		for {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_assets"}, cols, cs); err != nil {
				if cs.err != nil {
					return cs.err
				}
				return fmt.Errorf("copying assets: %w", err)
			}
			if !cs.rel.full() {
				break
			}
			if err := cs.rel.flush(ctx, tx); err != nil {
				return err
			}
		}
		phase("copy")
		return merge(ctx, tx, cs, o, phase)
	})
	if err != nil {
		return ImportSummary{}, err
	}
	tr.committed()
	return sum, nil
}

// copySource feeds assets to COPY and keeps the (few) hierarchy records and
// the removals.
type copySource struct {
	src      RecordSource
	sum      *ImportSummary
	tenants  []Record
	groups   []Record
	orgs     []Record
	removals removals
	rel      relationships // projects and targets
	row      []any
	err      error
	// seen rejects a second line of an id as it is read.
	seen seenIDs
	tr   *importTracker // progress
}

func (c *copySource) Next() bool {
	for {
		rec, err := c.src.Next()
		if errors.Is(err, io.EOF) {
			return false
		}
		if err == nil {
			err = c.take(rec)
		}
		if err != nil {
			c.err = err
			return false
		}
		if rec.Asset != nil {
			c.tr.staged()
			return true
		}
		if c.rel.full() {
			return false // Import stages the batch and copies on
		}
	}
}

// take keeps a hierarchy record or a removal, or makes an asset the row
// COPY reads next, after checking its id was not seen before.
func (c *copySource) take(rec Record) error {
	var typ, id string
	switch {
	case rec.Tenant != nil:
		typ, id = "tenants", rec.Tenant.ID
		c.tenants = append(c.tenants, rec)
		c.sum.Tenants++
	case rec.Group != nil:
		typ, id = "groups", rec.Group.ID
		c.groups = append(c.groups, rec)
		c.sum.Groups++
	case rec.Org != nil:
		typ, id = "orgs", rec.Org.ID
		c.orgs = append(c.orgs, rec)
		c.sum.Orgs++
	case rec.Remove != nil:
		typ, id = rec.Remove.Type, rec.Remove.ID
		c.sum.Removes++
	case rec.Project != nil || rec.Target != nil:
		typ, id, _ = c.rel.take(rec, c.sum)
	case rec.Asset != nil:
		row, err := assetRow(rec)
		if err != nil {
			return &LineError{Line: rec.Line, Err: err}
		}
		c.row, typ, id = row, AssetTypeContainerImage, rec.Asset.ID
		c.sum.Assets++
	default:
		return nil
	}
	var u uuid.UUID
	if rec.Asset != nil {
		u = c.row[1].(uuid.UUID) // parsed by assetRow
	} else {
		var err error
		if u, err = mustUUID(id); err != nil {
			return &LineError{Line: rec.Line, Err: fmt.Errorf("id: %w", err)}
		}
	}
	if err := c.seen.add(typ, u, rec.Line); err != nil {
		return &LineError{Line: rec.Line, Err: err}
	}
	switch {
	case rec.Remove != nil && rec.Remove.Type == ResourceTypeProjects:
		c.rel.removals.add(u, rec.Line)
	case rec.Remove != nil:
		c.removals.add(u, rec.Line)
	}
	return nil
}

func (c *copySource) Values() ([]any, error) { return c.row, nil }
func (c *copySource) Err() error             { return c.err }

func mustUUID(s string) (uuid.UUID, error) {
	u, err := uuid.Parse(s)
	if err != nil {
		return uuid.UUID{}, fmt.Errorf("%q is not a UUID", s)
	}
	return u, nil
}

func jsonOr(v any, empty string) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return []byte(empty), nil
	}
	return b, nil
}

func assetRow(rec Record) ([]any, error) {
	a := rec.Asset
	id, err := mustUUID(a.ID)
	if err != nil {
		return nil, fmt.Errorf("id: %w", err)
	}
	tenant, err := mustUUID(a.TenantID)
	if err != nil {
		return nil, fmt.Errorf("tenant_id: %w", err)
	}
	orgs := make([]uuid.UUID, 0, len(a.OrgIDs))
	for _, o := range a.OrgIDs {
		u, err := mustUUID(o)
		if err != nil {
			return nil, fmt.Errorf("org_ids: %w", err)
		}
		orgs = append(orgs, u)
	}
	tags, err := jsonOr(a.Tags, "{}")
	if err != nil {
		return nil, err
	}
	digests, err := jsonOr(a.DistributionDigests, "[]")
	if err != nil {
		return nil, err
	}
	imageLabels, err := jsonOr(a.ImageLabels, "{}")
	if err != nil {
		return nil, err
	}
	extra := []byte(a.Extra)
	if len(extra) == 0 {
		extra = []byte("{}")
	}
	var config any
	if len(a.Config) > 0 {
		config = []byte(a.Config)
	}
	return []any{
		rec.Line, id, tenant, a.ClassRank, a.ClassLocked, nonNil(a.Labels), tags, a.Registry, a.Repository,
		nullString(a.ConfigDigest), digests, nonNil(a.ImageTags), a.BuiltAt, a.SizeBytes, nullString(a.OS),
		nullString(a.OSVersion), nullString(a.Architecture), nullString(a.Variant), nullString(a.Author),
		config, imageLabels, extra, a.RiskScore,
		a.Issues.Critical, a.Issues.High, a.Issues.Medium, a.Issues.Low, a.LastScan,
		a.LastSeenAt, a.CreatedAt, a.UpdatedAt, orgs,
	}, nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// merge upserts the hierarchy and the staged assets, checking references so
// that a bad one is reported with its line, then deletes the removed and,
// with a mirror, the unnamed assets.
func merge(ctx context.Context, tx pgx.Tx, cs *copySource, o importOptions, phase func(string)) error {
	if err := mergeHierarchy(ctx, tx, cs); err != nil {
		return err
	}
	var mirror *Scope
	if o.mirror != nil {
		s, err := checkMirror(ctx, tx, *o.mirror, cs)
		if err != nil {
			return err
		}
		mirror = &s
		cs.sum.Mirror = o.mirror.String()
	}
	if cs.sum.Assets > 0 {
		if err := mergeAssets(ctx, tx, phase); err != nil {
			return err
		}
	}
	if err := cs.rel.merge(ctx, tx, cs.sum); err != nil {
		return err
	}
	phase("projects and targets")
	if err := deleteRemoved(ctx, tx, cs.removals, o.listMissing, cs.sum); err != nil {
		return err
	}
	if mirror != nil {
		n, err := deleteUnnamed(ctx, tx, *mirror)
		if err != nil {
			return err
		}
		cs.sum.MirrorDeleted = int(n)
	}
	phase("deletes")
	return nil
}

// mergeAssets upserts the staged assets and their memberships.
func mergeAssets(ctx context.Context, tx pgx.Tx, phase func(string)) error {
	if _, err := tx.Exec(ctx, `ANALYZE import_assets`); err != nil {
		return fmt.Errorf("analysing staged assets: %w", err)
	}
	if err := checkReferences(ctx, tx); err != nil {
		return err
	}
	phase("check references")
	existing, err := upsertAssets(ctx, tx)
	if err != nil {
		return err
	}
	phase("upsert assets")
	if err := mergeMemberships(ctx, tx, existing); err != nil {
		return err
	}
	phase("memberships")
	return nil
}

// mergeHierarchy upserts the tenants, groups and orgs of the import, each
// group and org only into an existing parent.
func mergeHierarchy(ctx context.Context, tx pgx.Tx, cs *copySource) error {
	for _, t := range cs.tenants {
		if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, name) VALUES ($1, $2)
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name`, t.Tenant.ID, t.Tenant.Name); err != nil {
			return &LineError{Line: t.Line, Err: fmt.Errorf("tenant %s: %w", t.Tenant.ID, err)}
		}
	}
	for _, g := range cs.groups {
		tag, err := tx.Exec(ctx, `INSERT INTO groups (id, tenant_id, name)
			SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $2)
			ON CONFLICT (id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, name = EXCLUDED.name`,
			g.Group.ID, g.Group.TenantID, g.Group.Name)
		if err != nil {
			return &LineError{Line: g.Line, Err: fmt.Errorf("group %s: %w", g.Group.ID, err)}
		}
		if tag.RowsAffected() == 0 {
			return &LineError{Line: g.Line, Err: fmt.Errorf("group %s: tenant %s does not exist", g.Group.ID, g.Group.TenantID)}
		}
	}
	for _, o := range cs.orgs {
		tag, err := tx.Exec(ctx, `INSERT INTO orgs (id, group_id, name)
			SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM groups WHERE id = $2)
			ON CONFLICT (id) DO UPDATE SET group_id = EXCLUDED.group_id, name = EXCLUDED.name`,
			o.Org.ID, o.Org.GroupID, o.Org.Name)
		if err != nil {
			return &LineError{Line: o.Line, Err: fmt.Errorf("org %s: %w", o.Org.ID, err)}
		}
		if tag.RowsAffected() == 0 {
			return &LineError{Line: o.Line, Err: fmt.Errorf("org %s: group %s does not exist", o.Org.ID, o.Org.GroupID)}
		}
	}
	return nil
}

// checkReferences reports the first staged asset, by line, whose tenant or
// one of whose orgs (in that tenant) does not exist.
func checkReferences(ctx context.Context, tx pgx.Tx) error {
	var line int
	var ref string
	err := tx.QueryRow(ctx, `SELECT i.line, i.tenant_id::text FROM import_assets i
		WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = i.tenant_id) ORDER BY i.line LIMIT 1`).Scan(&line, &ref)
	if err == nil {
		return &LineError{Line: line, Err: fmt.Errorf("tenant %s does not exist", ref)}
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("checking asset tenants: %w", err)
	}
	err = tx.QueryRow(ctx, `SELECT i.line, o::text FROM import_assets i CROSS JOIN LATERAL unnest(i.org_ids) o
		LEFT JOIN orgs ON orgs.id = o LEFT JOIN groups g ON g.id = orgs.group_id
		WHERE g.tenant_id IS DISTINCT FROM i.tenant_id ORDER BY i.line LIMIT 1`).Scan(&line, &ref)
	if err == nil {
		return &LineError{Line: line, Err: fmt.Errorf("org %s does not exist in the asset's tenant", ref)}
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("checking asset orgs: %w", err)
	}
	return nil
}

// upsertAssets merges the staged assets into assets, leaving unchanged rows
// alone, and returns how many of them existed before.
func upsertAssets(ctx context.Context, tx pgx.Tx) (int64, error) {
	// Which staged assets existed before: only those can have memberships
	// to remove, and a fresh import skips that work entirely.
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_existing ON COMMIT DROP AS
		SELECT i.id FROM import_assets i JOIN assets a ON a.id = i.id`); err != nil {
		return 0, fmt.Errorf("finding existing assets: %w", err)
	}
	var existing int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM import_existing`).Scan(&existing); err != nil {
		return 0, fmt.Errorf("counting existing assets: %w", err)
	}
	cols := joinColumns(assetColumns, "")
	var sets, cmpOld, cmpNew string
	for i, c := range assetColumns[1:] {
		if i > 0 {
			sets, cmpOld, cmpNew = sets+", ", cmpOld+", ", cmpNew+", "
		}
		v := "EXCLUDED." + c
		if derivedColumns[c] {
			// Derived from the asset's projects: the line's value is ignored.
			v = "CASE WHEN assets.issues_derived THEN assets." + c + " ELSE EXCLUDED." + c + " END"
		}
		sets += c + " = " + v
		cmpOld += "assets." + c
		cmpNew += v
	}
	if _, err := tx.Exec(ctx, `INSERT INTO assets (`+cols+`) SELECT `+cols+` FROM import_assets
		ON CONFLICT (id) DO UPDATE SET `+sets+`
		WHERE (`+cmpOld+`) IS DISTINCT FROM (`+cmpNew+`)`); err != nil {
		return 0, fmt.Errorf("upserting assets: %w", err)
	}
	return existing, nil
}

// mergeMemberships makes asset_orgs match the staged org_ids. The
// membership trigger is deferred for this transaction: new assets already
// have their outbox row, and existing ones whose membership changed (and
// whose row the upsert did not touch) are bumped here, once each.
func mergeMemberships(ctx context.Context, tx pgx.Tx, existing int64) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('assets.defer_membership_touch', 'on', true)`); err != nil {
		return fmt.Errorf("deferring membership trigger: %w", err)
	}
	if existing > 0 {
		stmts := []struct{ what, sql string }{
			{"tracking membership changes", `CREATE TEMP TABLE import_membership_changed (id uuid) ON COMMIT DROP`},
			{"removing old memberships", `WITH d AS (DELETE FROM asset_orgs ao USING import_assets i
				WHERE ao.asset_id = i.id AND NOT (ao.org_id = ANY (i.org_ids)) RETURNING ao.asset_id)
				INSERT INTO import_membership_changed SELECT asset_id FROM d`},
			{"adding memberships of existing assets", `WITH n AS (INSERT INTO asset_orgs (asset_id, org_id)
				SELECT i.id, o FROM import_assets i JOIN import_existing e ON e.id = i.id CROSS JOIN LATERAL unnest(i.org_ids) o
				ON CONFLICT DO NOTHING RETURNING asset_id)
				INSERT INTO import_membership_changed SELECT asset_id FROM n`},
			{"bumping assets whose membership changed", `UPDATE assets a SET updated_at = a.updated_at
				WHERE a.id IN (SELECT id FROM import_membership_changed) AND a.xmin <> pg_current_xact_id()::xid`},
		}
		for _, st := range stmts {
			if _, err := tx.Exec(ctx, st.sql); err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
		}
	}
	newOnly := ""
	if existing > 0 {
		newOnly = ` WHERE NOT EXISTS (SELECT 1 FROM import_existing e WHERE e.id = i.id)`
	}
	if _, err := tx.Exec(ctx, `INSERT INTO asset_orgs (asset_id, org_id)
		SELECT i.id, o FROM import_assets i CROSS JOIN LATERAL unnest(i.org_ids) o`+newOnly+`
		ON CONFLICT DO NOTHING`); err != nil {
		return fmt.Errorf("adding memberships: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('assets.defer_membership_touch', 'off', true)`); err != nil {
		return fmt.Errorf("restoring membership trigger: %w", err)
	}
	return nil
}

func joinColumns(cols []string, prefix string) string {
	s := ""
	for i, c := range cols {
		if i > 0 {
			s += ", "
		}
		s += prefix + c
	}
	return s
}
