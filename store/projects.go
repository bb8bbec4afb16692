package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Project is one Snyk project behind an asset: a scan of one target file
// of one target, as of one snapshot. It belongs to the asset and to one of
// the asset's orgs.
//
// The canonical rule: within one asset, projects are grouped by
// TargetFile; in each group the project with the latest SnapshotCreatedAt
// is canonical, ties going to the greatest id (compared as bytes, which is
// the order of the lower-case text form). A project with an empty
// TargetFile is a group of its own, so always canonical. The asset's issue
// counts are the sums over its canonical projects and its risk score their
// maximum; PostgreSQL derives them in the transaction that changes the
// projects (derive_asset_issues in migration 00005). An asset with no
// projects keeps the numbers of its own import line.
type Project struct {
	ID                   string
	AssetID              string
	OrgID                string
	TargetID             string // "" for none
	TargetFile           string
	TargetOrigin         string
	TargetRef            string
	ProjectType          string
	SnapshotID           string
	SnapshotCreatedAt    time.Time
	MonitorID            string
	MonitorCreatedAt     *time.Time
	RiskScore            *int32
	Issues               IssueCounts
	BaseImageRemediation json.RawMessage
	// IsCanonical is read, never imported.
	IsCanonical bool
}

// ResourceTypeProjects and ResourceTypeTargets are the import line types of
// projects and targets.
const (
	ResourceTypeProjects = "projects"
	ResourceTypeTargets  = "targets"
)

// ProjectTypes are the contract's project types.
var ProjectTypes = []string{"rubygems", "composer", "sbt", "maven", "gomodules", "poetry", "cocoapods", "pipenv",
	"pnpm", "pub", "yarn", "yarn-workspace", "paket", "pip", "unmanaged", "gradle", "nuget", "cpp", "npm", "conan",
	"govendor", "hex", "golangdep", "cargo", "swift", "golang", "secrets", "iac", "uv", "sast", "armconfig",
	"helmconfig", "terraformconfig", "cloudformationconfig", "k8sconfig", "cloudconfig", "dockerfile", "deb", "apk",
	"linux", "rpm"}

// projectAttributes is the import shape of a project.
type projectAttributes struct {
	AssetID              string          `json:"asset_id"`
	OrgID                string          `json:"org_id"`
	TargetID             string          `json:"target_id"`
	TargetFile           string          `json:"target_file"`
	TargetOrigin         string          `json:"target_origin"`
	TargetRef            string          `json:"target_ref"`
	ProjectType          string          `json:"project_type"`
	SnapshotID           string          `json:"snapshot_id"`
	SnapshotCreatedAt    *time.Time      `json:"snapshot_created_at"`
	MonitorID            string          `json:"monitor_id"`
	MonitorCreatedAt     *time.Time      `json:"monitor_created_at,omitempty"`
	RiskScore            *int32          `json:"risk_score,omitempty"`
	Issues               IssueCounts     `json:"issues"`
	BaseImageRemediation json.RawMessage `json:"base_image_remediation,omitempty"`
}

// parseProject decodes and checks a project line's attributes.
func parseProject(id string, raw json.RawMessage) (*Project, error) {
	var at projectAttributes
	if err := strictDecode(raw, &at); err != nil {
		return nil, fmt.Errorf("project attributes: %w", err)
	}
	for _, f := range []struct {
		name, v  string
		optional bool
	}{{"asset_id", at.AssetID, false}, {"org_id", at.OrgID, false}, {"target_id", at.TargetID, true},
		{"snapshot_id", at.SnapshotID, true}, {"monitor_id", at.MonitorID, true}} {
		if f.v == "" && f.optional {
			continue
		}
		if err := checkUUID("attributes."+f.name, f.v); err != nil {
			return nil, err
		}
	}
	if at.SnapshotCreatedAt == nil {
		return nil, errors.New("attributes.snapshot_created_at is required")
	}
	if at.ProjectType != "" && !slices.Contains(ProjectTypes, at.ProjectType) {
		return nil, fmt.Errorf("attributes.project_type %q is not a known project type", at.ProjectType)
	}
	if at.Issues.Critical < 0 || at.Issues.High < 0 || at.Issues.Medium < 0 || at.Issues.Low < 0 {
		return nil, errors.New("attributes.issues: counts cannot be negative")
	}
	if len(at.BaseImageRemediation) > 0 && (string(at.BaseImageRemediation) == "null" || at.BaseImageRemediation[0] != '{') {
		return nil, errors.New("attributes.base_image_remediation must be an object")
	}
	return &Project{ID: id, AssetID: at.AssetID, OrgID: at.OrgID, TargetID: at.TargetID, TargetFile: at.TargetFile,
		TargetOrigin: at.TargetOrigin, TargetRef: at.TargetRef, ProjectType: at.ProjectType, SnapshotID: at.SnapshotID,
		SnapshotCreatedAt: at.SnapshotCreatedAt.UTC(), MonitorID: at.MonitorID, MonitorCreatedAt: at.MonitorCreatedAt,
		RiskScore: at.RiskScore, Issues: at.Issues, BaseImageRemediation: at.BaseImageRemediation}, nil
}

// attributesOf is the import shape of p.
func (p *Project) attributesOf() projectAttributes {
	t := p.SnapshotCreatedAt
	return projectAttributes{AssetID: p.AssetID, OrgID: p.OrgID, TargetID: p.TargetID, TargetFile: p.TargetFile,
		TargetOrigin: p.TargetOrigin, TargetRef: p.TargetRef, ProjectType: p.ProjectType, SnapshotID: p.SnapshotID,
		SnapshotCreatedAt: &t, MonitorID: p.MonitorID, MonitorCreatedAt: p.MonitorCreatedAt, RiskScore: p.RiskScore,
		Issues: p.Issues, BaseImageRemediation: p.BaseImageRemediation}
}

// derivedColumns are the asset columns derived from its projects while it
// has any (see Project).
var derivedColumns = map[string]bool{"risk_score": true, "issues_critical": true, "issues_high": true,
	"issues_medium": true, "issues_low": true}

// projectColumns are the staged and upserted project columns, in COPY order
// (staging adds line first).
var projectColumns = []string{"id", "asset_id", "org_id", "target_id", "target_file", "target_origin", "target_ref",
	"project_type", "snapshot_id", "snapshot_created_at", "monitor_id", "monitor_created_at", "risk_score",
	"issues_critical", "issues_high", "issues_medium", "issues_low", "base_image_remediation"}

// optUUID is a UUID column that may be empty.
func optUUID(s string) any {
	if s == "" {
		return nil
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return nil // checked by the parser
	}
	return u
}

func (p *Project) row(line int) []any {
	var bir any
	if len(p.BaseImageRemediation) > 0 {
		bir = []byte(p.BaseImageRemediation)
	}
	return []any{line, optUUID(p.ID), optUUID(p.AssetID), optUUID(p.OrgID), optUUID(p.TargetID), p.TargetFile,
		p.TargetOrigin, p.TargetRef, nullString(p.ProjectType), optUUID(p.SnapshotID), p.SnapshotCreatedAt,
		optUUID(p.MonitorID), p.MonitorCreatedAt, p.RiskScore, p.Issues.Critical, p.Issues.High, p.Issues.Medium,
		p.Issues.Low, bir}
}

// RelationshipBatchDefault is how many projects and targets an import
// buffers before it stages them (pausing the asset COPY): a bound on its
// memory whatever the size of the file.
const RelationshipBatchDefault = 20_000

// relationships are the projects, targets and project removals of an
// import, buffered as COPY rows and staged in batches.
type relationships struct {
	projects [][]any
	targets  [][]any
	removals removals // of projects
	// staged counts the rows staged so far, per table.
	staged map[string]int
	batch  int
}

// RelationshipBatch makes Import stage projects and targets every n rows
// (at least 1; RelationshipBatchDefault without it).
func RelationshipBatch(n int) ImportOption {
	return func(o *importOptions) { o.relBatch = max(n, 1) }
}

// full reports whether a batch is buffered.
func (r *relationships) full() bool {
	return len(r.projects)+len(r.targets) >= max(r.batch, 1)
}

// take keeps a project or target record, returning its type and id for
// the duplicate check; ok is false for any other record.
func (r *relationships) take(rec Record, sum *ImportSummary) (typ, id string, ok bool) {
	switch {
	case rec.Project != nil:
		r.projects = append(r.projects, rec.Project.row(rec.Line))
		sum.Projects++
		return ResourceTypeProjects, rec.Project.ID, true
	case rec.Target != nil:
		r.targets = append(r.targets, rec.Target.row(rec.Line))
		sum.Targets++
		return ResourceTypeTargets, rec.Target.ID, true
	}
	return "", "", false
}

// flush stages the buffered rows, creating the staging tables on first use.
func (r *relationships) flush(ctx context.Context, tx pgx.Tx) error {
	if r.staged == nil {
		r.staged = map[string]int{}
	}
	for _, b := range []struct {
		table string
		cols  []string
		rows  *[][]any
	}{{"targets", targetColumns, &r.targets}, {"projects", projectColumns, &r.projects}} {
		if len(*b.rows) == 0 {
			continue
		}
		if _, ok := r.staged[b.table]; !ok {
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_`+b.table+` (line int NOT NULL, LIKE `+b.table+`) ON COMMIT DROP`); err != nil {
				return fmt.Errorf("creating the %s staging table: %w", b.table, err)
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_" + b.table}, append([]string{"line"}, b.cols...), pgx.CopyFromRows(*b.rows)); err != nil {
			return fmt.Errorf("copying %s: %w", b.table, err)
		}
		r.staged[b.table] += len(*b.rows)
		*b.rows = (*b.rows)[:0]
	}
	return nil
}

// merge stages what is left, upserts the targets, then the projects (whose
// targets they may name), then deletes the removed projects. It runs after
// the assets are merged, so a file may hold an asset and its projects.
func (r *relationships) merge(ctx context.Context, tx pgx.Tx, sum *ImportSummary) error {
	if err := r.flush(ctx, tx); err != nil {
		return err
	}
	if r.staged["targets"] > 0 {
		if err := mergeTargets(ctx, tx); err != nil {
			return err
		}
	}
	if r.staged["projects"] > 0 {
		if err := mergeProjects(ctx, tx); err != nil {
			return err
		}
	}
	if len(r.removals.ids) > 0 {
		tag, err := tx.Exec(ctx, `DELETE FROM projects WHERE id = ANY ($1::uuid[])`, r.removals.ids)
		if err != nil {
			return fmt.Errorf("deleting removed projects: %w", err)
		}
		sum.ProjectsRemoved = int(tag.RowsAffected())
	}
	return nil
}

// analyze updates the planner's statistics of a staging table before it is
// checked and merged.
func analyze(ctx context.Context, tx pgx.Tx, table string) error {
	if _, err := tx.Exec(ctx, `ANALYZE import_`+table); err != nil {
		return fmt.Errorf("analysing staged %s: %w", table, err)
	}
	return nil
}

// firstBad reports the first staged line a check query finds, as a
// *LineError; the query selects the line and the offending id.
func firstBad(ctx context.Context, tx pgx.Tx, sql, what string) error {
	var line int
	var ref string
	err := tx.QueryRow(ctx, sql+` ORDER BY 1 LIMIT 1`).Scan(&line, &ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking %s: %w", what, err)
	}
	return &LineError{Line: line, Err: fmt.Errorf(what, ref)}
}

// stagedCheck is a query selecting the line and the offending id of the
// staged rows that break a rule, and the error it makes (with the id).
type stagedCheck struct{ sql, what string }

// firstBadOf runs checks in order, returning the first failure.
func firstBadOf(ctx context.Context, tx pgx.Tx, checks []stagedCheck) error {
	for _, c := range checks {
		if err := firstBad(ctx, tx, c.sql, c.what); err != nil {
			return err
		}
	}
	return nil
}

// upsertStaged merges a staging table into its table by id, leaving
// unchanged rows alone.
func upsertStaged(ctx context.Context, tx pgx.Tx, table string, cols []string) error {
	list := joinColumns(cols, "")
	var sets, cmpOld, cmpNew string
	for i, c := range cols[1:] {
		if i > 0 {
			sets, cmpOld, cmpNew = sets+", ", cmpOld+", ", cmpNew+", "
		}
		sets += c + " = EXCLUDED." + c
		cmpOld += table + "." + c
		cmpNew += "EXCLUDED." + c
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+list+`) SELECT `+list+` FROM import_`+table+`
		ON CONFLICT (id) DO UPDATE SET `+sets+` WHERE (`+cmpOld+`) IS DISTINCT FROM (`+cmpNew+`)`); err != nil {
		return fmt.Errorf("upserting %s: %w", table, err)
	}
	return nil
}

// mergeProjects stages and checks the projects (their asset exists, their
// org is one of the asset's orgs, their target is one of the asset's), and
// upserts them in one statement: the statement trigger re-derives the
// issue counts of every asset concerned, once.
func mergeProjects(ctx context.Context, tx pgx.Tx) error {
	if err := analyze(ctx, tx, "projects"); err != nil {
		return err
	}
	checks := []stagedCheck{
		{`SELECT i.line, i.asset_id::text FROM import_projects i
			WHERE NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = i.asset_id)`, "asset %s does not exist"},
		{`SELECT i.line, i.org_id::text FROM import_projects i
			WHERE NOT EXISTS (SELECT 1 FROM asset_orgs ao WHERE ao.asset_id = i.asset_id AND ao.org_id = i.org_id)`,
			"org %s is not one of the asset's orgs"},
		{`SELECT i.line, i.target_id::text FROM import_projects i WHERE i.target_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM targets t WHERE t.id = i.target_id AND t.asset_id = i.asset_id)`,
			"target %s is not a target of the asset"},
	}
	if err := firstBadOf(ctx, tx, checks); err != nil {
		return err
	}
	return upsertStaged(ctx, tx, "projects", projectColumns)
}

// ProjectCanonical filters projects by canonical status, as the contract's
// canonical parameter.
const (
	CanonicalAll  = ""     // every project, is_canonical not reported
	CanonicalWith = "with" // every project, is_canonical reported
	CanonicalOnly = "only"
	CanonicalNone = "none"
)

// ProjectSort is an order of an asset's projects.
const (
	ProjectSortSnapshot = "snapshot_created_at"
	ProjectSortIssues   = "issues"
)

// ProjectQuery selects a page of an asset's projects. After and Before are
// the sort values and id of the cursor item (see ProjectKey); at most one
// is set.
type ProjectQuery struct {
	Sort      string // ProjectSortSnapshot (default) or ProjectSortIssues
	Desc      bool
	Canonical string
	TargetID  string
	Limit     int
	After     *ProjectKey
	Before    *ProjectKey
}

// ProjectKey is the position of a project in a sort: its sort values
// (SnapshotCreatedAt, or Issues) and id.
type ProjectKey struct {
	SnapshotCreatedAt time.Time
	Issues            IssueCounts
	ID                string
}

// KeyOf is p's position in the sort of q.
func (q ProjectQuery) KeyOf(p Project) ProjectKey {
	return ProjectKey{SnapshotCreatedAt: p.SnapshotCreatedAt, Issues: p.Issues, ID: p.ID}
}

// ListAssetProjects returns a page of the projects of an asset the scope
// can see, and whether more follow in the direction of the page (after
// the last with After or no cursor, before the first with Before).
//
// Visibility: the asset must be in the scope (ErrNotFound otherwise), and
// only the projects of orgs in the scope are listed: at org scope the
// org's, at group scope those of the group's orgs, at tenant scope all.
// Canonical status is a property of the asset, computed over all its
// projects, whoever reads them.
func ListAssetProjects(ctx context.Context, q Querier, s Scope, assetID string, pq ProjectQuery) ([]Project, bool, error) {
	if err := assetVisible(ctx, q, s, assetID); err != nil {
		return nil, false, err
	}
	sql, args := projectListSQL(s, assetID, pq)
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("listing the projects of asset %s: %w", assetID, err)
	}
	ps, err := pgx.CollectRows(rows, scanProject)
	if err != nil {
		return nil, false, fmt.Errorf("reading the projects of asset %s: %w", assetID, err)
	}
	more := len(ps) > pq.Limit
	if more {
		ps = ps[:pq.Limit]
	}
	if pq.Before != nil {
		slices.Reverse(ps)
	}
	return ps, more, nil
}

// assetVisible is ErrNotFound unless the asset exists in the scope.
func assetVisible(ctx context.Context, q Querier, s Scope, assetID string) error {
	cond, args := scopeCondition(s, 2)
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM assets a WHERE a.id = $1 AND `+cond+`)`,
		append([]any{assetID}, args...)...).Scan(&ok); err != nil {
		return fmt.Errorf("checking asset %s: %w", assetID, err)
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// orgVisible is the SQL condition that the org column col is in the scope,
// with the scope's id as parameter $n.
func orgVisible(s Scope, col string, n int) (string, any) {
	switch s.Kind {
	case ScopeOrg:
		return fmt.Sprintf(`%s = $%d`, col, n), s.OrgID
	case ScopeGroup:
		return fmt.Sprintf(`%s IN (SELECT id FROM orgs WHERE group_id = $%d)`, col, n), s.GroupID
	}
	return fmt.Sprintf(`%s IN (SELECT o.id FROM orgs o JOIN groups g ON g.id = o.group_id WHERE g.tenant_id = $%d)`, col, n), s.TenantID
}

const selectProjects = `SELECT p.id::text, p.asset_id::text, p.org_id::text, coalesce(p.target_id::text, ''), p.target_file,
	p.target_origin, p.target_ref, coalesce(p.project_type, ''), coalesce(p.snapshot_id::text, ''), p.snapshot_created_at,
	coalesce(p.monitor_id::text, ''), p.monitor_created_at, p.risk_score, p.issues_critical, p.issues_high,
	p.issues_medium, p.issues_low, p.base_image_remediation, k.is_canonical
	FROM projects p JOIN projects_canonical(ARRAY[$1::uuid]) k ON k.id = p.id`

func scanProject(row pgx.CollectableRow) (Project, error) {
	var p Project
	var bir []byte
	err := row.Scan(&p.ID, &p.AssetID, &p.OrgID, &p.TargetID, &p.TargetFile, &p.TargetOrigin, &p.TargetRef,
		&p.ProjectType, &p.SnapshotID, &p.SnapshotCreatedAt, &p.MonitorID, &p.MonitorCreatedAt, &p.RiskScore,
		&p.Issues.Critical, &p.Issues.High, &p.Issues.Medium, &p.Issues.Low, &bir, &p.IsCanonical)
	p.BaseImageRemediation = bir
	p.SnapshotCreatedAt = p.SnapshotCreatedAt.UTC()
	return p, err
}

// projectListSQL builds the page query: scope, filters, keyset and order.
func projectListSQL(s Scope, assetID string, pq ProjectQuery) (string, []any) {
	vis, scopeArg := orgVisible(s, "p.org_id", 2)
	args := []any{assetID, scopeArg}
	where := `p.asset_id = $1 AND ` + vis
	switch pq.Canonical {
	case CanonicalOnly:
		where += ` AND k.is_canonical`
	case CanonicalNone:
		where += ` AND NOT k.is_canonical`
	}
	if pq.TargetID != "" {
		args = append(args, pq.TargetID)
		where += fmt.Sprintf(` AND p.target_id = $%d`, len(args))
	}
	cols := []string{"p.snapshot_created_at"}
	if pq.Sort == ProjectSortIssues {
		cols = []string{"p.issues_critical", "p.issues_high", "p.issues_medium", "p.issues_low"}
	}
	cols = append(cols, "p.id")
	// Going backwards reads the reverse order and flips the page after.
	desc := pq.Desc != (pq.Before != nil)
	if k := pq.After; k != nil || pq.Before != nil {
		if k == nil {
			k = pq.Before
		}
		vals := []any{k.SnapshotCreatedAt}
		if pq.Sort == ProjectSortIssues {
			vals = []any{k.Issues.Critical, k.Issues.High, k.Issues.Medium, k.Issues.Low}
		}
		vals = append(vals, k.ID)
		ph := ""
		for i, v := range vals {
			args = append(args, v)
			if i > 0 {
				ph += ", "
			}
			ph += fmt.Sprintf("$%d", len(args))
			if i == len(vals)-1 {
				ph += "::uuid"
			}
		}
		op := ">"
		if desc {
			op = "<"
		}
		where += fmt.Sprintf(` AND (%s) %s (%s)`, joinColumns(cols, ""), op, ph)
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	order := ""
	for i, c := range cols {
		if i > 0 {
			order += ", "
		}
		order += c + dir
	}
	args = append(args, pq.Limit+1)
	return selectProjects + ` WHERE ` + where + ` ORDER BY ` + order + fmt.Sprintf(` LIMIT $%d`, len(args)), args
}
