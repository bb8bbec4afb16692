package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/store"
)

// SnapshotsDefault is how many project snapshots the snapshot step
// imports (and removes again).
const SnapshotsDefault = 100_000

// snapshotsPerAsset is how many new snapshots an asset gets at most in a
// round; the step goes round the chosen assets until it has enough.
const snapshotsPerAsset = 5

// snapshotTimeout bounds each import and each drain of the step.
const snapshotTimeout = 30 * time.Minute

// SnapshotImport is the cost of importing project snapshots through
// `assets import`: its wall time, the outbox rows the derived issue
// counts wrote, and the sync worker's time to drain them; then the same
// for the remove lines that take them out again.
type SnapshotImport struct {
	Snapshots          int     `json:"snapshots"`
	Assets             int     `json:"assets"`
	ImportSeconds      float64 `json:"import_seconds"`
	PerSecond          float64 `json:"snapshots_per_second"`
	OutboxRows         int64   `json:"outbox_rows"`
	DrainSeconds       float64 `json:"drain_seconds"`
	RemoveSeconds      float64 `json:"remove_seconds"`
	RemoveOutboxRows   int64   `json:"remove_outbox_rows"`
	RemoveDrainSeconds float64 `json:"remove_drain_seconds"`
	// DuringImport is a relationships page of one of the assets, asked
	// over and over while the import ran.
	DuringImport *Stats `json:"relationships_during_import,omitempty"`
	// Unchanged: the assets and projects read the same after the removal
	// as before the import (versions and updated_at aside).
	Unchanged bool `json:"unchanged"`
}

// baseProject is an existing project a new snapshot copies its target
// from, so that it lands in that project's canonical group.
type baseProject struct {
	AssetID, OrgID, TargetID, TargetFile, TargetOrigin, TargetRef, ProjectType string
}

// measureSnapshots imports project snapshots of the tenant's assets that
// already have projects (their counts are derived, so removing the
// snapshots derives the same counts again), measures, removes them, and
// checks the data reads as before.
func (r *runner) measureSnapshots(ctx context.Context) error {
	n := r.cfg.Snapshots
	if n <= 0 {
		n = SnapshotsDefault
	}
	bases, err := r.snapshotBases(ctx, (n+snapshotsPerAsset-1)/snapshotsPerAsset)
	if err != nil {
		return err
	}
	if len(bases) == 0 {
		r.rep.add(Measurement{Name: "project snapshots", Note: "not measured: the data set has no projects (reseed it)"})
		return nil
	}
	ids := make([]string, len(bases))
	for i, b := range bases {
		ids[i] = b.AssetID
	}
	before, err := r.snapshotChecksum(ctx, ids)
	if err != nil {
		return err
	}
	x := &SnapshotImport{Snapshots: n, Assets: len(bases)}
	projects, err := r.importSnapshots(ctx, x, bases, n)
	if err != nil {
		return err
	}
	if err := r.removeSnapshots(ctx, x, projects); err != nil {
		return err
	}
	after, err := r.snapshotChecksum(ctx, ids)
	if err != nil {
		return err
	}
	x.Unchanged = before == after
	r.rep.Snapshots = x
	if !x.Unchanged {
		return errors.New("after removing the imported snapshots the assets or projects differ from before: the data set changed")
	}
	return nil
}

// snapshotBases picks up to n assets of the tenant with derived counts,
// one existing project of each.
func (r *runner) snapshotBases(ctx context.Context, n int) ([]baseProject, error) {
	rows, err := r.pool.Query(ctx, `SELECT DISTINCT ON (p.asset_id) p.asset_id::text, p.org_id::text, coalesce(p.target_id::text, ''),
			coalesce(p.target_file, ''), coalesce(p.target_origin, ''), coalesce(p.target_ref, ''), coalesce(p.project_type, '')
		FROM projects p JOIN assets a ON a.id = p.asset_id
		WHERE a.tenant_id = $1 AND a.issues_derived
		ORDER BY p.asset_id, p.id LIMIT $2`, r.data.tenantID, n)
	if err != nil {
		return nil, fmt.Errorf("choosing assets with projects: %w", err)
	}
	defer rows.Close()
	var out []baseProject
	for rows.Next() {
		var b baseProject
		if err := rows.Scan(&b.AssetID, &b.OrgID, &b.TargetID, &b.TargetFile, &b.TargetOrigin, &b.TargetRef, &b.ProjectType); err != nil {
			return nil, fmt.Errorf("choosing assets with projects: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("choosing assets with projects: %w", err)
	}
	return out, nil
}

// snapshotChecksum is an MD5 over the assets (without version and
// updated_at, which a change and its undoing move) and their projects.
func (r *runner) snapshotChecksum(ctx context.Context, assetIDs []string) (string, error) {
	var sum string
	err := r.pool.QueryRow(ctx, `SELECT md5(
			coalesce((SELECT string_agg((to_jsonb(a) - 'version' - 'updated_at')::text, ',' ORDER BY a.id)
				FROM assets a WHERE a.id = ANY($1::uuid[])), '') || '|' ||
			coalesce((SELECT string_agg(to_jsonb(p)::text, ',' ORDER BY p.id)
				FROM projects p WHERE p.asset_id = ANY($1::uuid[])), ''))`, assetIDs).Scan(&sum)
	if err != nil {
		return "", fmt.Errorf("reading the checksum of the snapshot assets: %w", err)
	}
	return sum, nil
}

// newSnapshots makes n snapshots going round bases, each newer than
// every seeded one (so canonical in its group), with ids of their own.
func newSnapshots(bases []baseProject, n int, now time.Time) []store.Project {
	out := make([]store.Project, n)
	for i := range out {
		b := bases[i%len(bases)]
		out[i] = store.Project{ID: uuid.NewString(), AssetID: b.AssetID, OrgID: b.OrgID, TargetID: b.TargetID,
			TargetFile: b.TargetFile, TargetOrigin: b.TargetOrigin, TargetRef: b.TargetRef, ProjectType: b.ProjectType,
			SnapshotID: uuid.NewString(), SnapshotCreatedAt: now.Add(time.Duration(i/len(bases)) * time.Second),
			Issues: store.IssueCounts{Critical: int32(i % 3), High: int32(i % 7), Medium: int32(i % 11), Low: int32(i % 13)}}
	}
	return out
}

// writeImportFile writes records as import NDJSON to path.
func writeImportFile(path string, n int, rec func(i int) store.Record) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range n {
		if err := store.WriteNDJSON(w, rec(i)); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// importSnapshots writes and imports the snapshots, asking for a
// relationships page meanwhile, and waits for the worker to drain.
func (r *runner) importSnapshots(ctx context.Context, x *SnapshotImport, bases []baseProject, n int) ([]store.Project, error) {
	projects := newSnapshots(bases, n, time.Now().UTC().Truncate(time.Second))
	path := filepath.Join(r.cfg.OutDir, "snapshots-import.ndjson")
	defer os.Remove(path)
	if err := writeImportFile(path, n, func(i int) store.Record { return store.Record{Project: &projects[i]} }); err != nil {
		return nil, err
	}
	stopProbe := r.probeRelationships(ctx, bases[0].AssetID)
	sum, took, rows, drain, err := r.runImport(ctx, path, "snapshots-import")
	st := stopProbe()
	x.DuringImport = &st
	if err != nil {
		return projects, err
	}
	if sum.Projects != n {
		return projects, fmt.Errorf("the import counted %d projects, %d were written", sum.Projects, n)
	}
	x.ImportSeconds, x.OutboxRows, x.DrainSeconds = took.Seconds(), rows, drain.Seconds()
	if took > 0 {
		x.PerSecond = float64(n) / took.Seconds()
	}
	return projects, nil
}

// removeSnapshots imports a remove line for every snapshot imported.
func (r *runner) removeSnapshots(ctx context.Context, x *SnapshotImport, projects []store.Project) error {
	path := filepath.Join(r.cfg.OutDir, "snapshots-remove.ndjson")
	defer os.Remove(path)
	err := writeImportFile(path, len(projects), func(i int) store.Record {
		return store.Record{Remove: &store.Removal{Type: store.ResourceTypeProjects, ID: projects[i].ID}}
	})
	if err != nil {
		return err
	}
	sum, took, rows, drain, err := r.runImport(ctx, path, "snapshots-remove")
	if err != nil {
		return err
	}
	if sum.ProjectsRemoved != len(projects) {
		return fmt.Errorf("the remove lines deleted %d of the %d imported projects", sum.ProjectsRemoved, len(projects))
	}
	x.RemoveSeconds, x.RemoveOutboxRows, x.RemoveDrainSeconds = took.Seconds(), rows, drain.Seconds()
	return nil
}

// runImport runs `assets import path` as a child, then waits until the
// sync worker emptied the outbox. It returns the import's summary, its
// wall time, the outbox rows written meanwhile and the drain time after it.
func (r *runner) runImport(ctx context.Context, path, name string) (store.ImportSummary, time.Duration, int64, time.Duration, error) {
	var sum store.ImportSummary
	seq0, err := r.outboxSequence(ctx)
	if err != nil {
		return sum, 0, 0, 0, err
	}
	env := append(os.Environ(), "ASSETS_DATABASE_URL="+r.cfg.DatabaseURL, "ASSETS_LOG_LEVEL=info")
	t0 := time.Now()
	out, err := harness.Run(ctx, harness.Spec{Name: name, Bin: r.cfg.Binary, Args: []string{"import", path}, Env: env,
		Log: filepath.Join(r.cfg.OutDir, "logs", name+".log")}, snapshotTimeout)
	took := time.Since(t0)
	if err != nil {
		return sum, took, 0, 0, fmt.Errorf("importing %s: %w", filepath.Base(path), err)
	}
	if err := json.Unmarshal(out, &sum); err != nil {
		return sum, took, 0, 0, fmt.Errorf("reading the summary of the import of %s: %w", filepath.Base(path), err)
	}
	seq1, err := r.outboxSequence(ctx)
	if err != nil {
		return sum, took, 0, 0, err
	}
	t1 := time.Now()
	if err := r.waitBacklog(ctx, snapshotTimeout); err != nil {
		return sum, took, seq1 - seq0, 0, fmt.Errorf("draining the outbox after importing %s: %w", filepath.Base(path), err)
	}
	return sum, took, seq1 - seq0, time.Since(t1), nil
}

// outboxSequence is the last id the outbox handed out: the difference
// over a step is the rows it wrote, whatever the worker removed meanwhile.
func (r *runner) outboxSequence(ctx context.Context) (int64, error) {
	var n int64
	err := r.pool.QueryRow(ctx, `SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM asset_outbox_id_seq`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("reading the outbox sequence: %w", err)
	}
	return n, nil
}

// addRows adds the snapshot step's lines to the report's table.
func (x *SnapshotImport) addRows(o *table) {
	o.add(fmt.Sprintf("assets import of %s project snapshots (%s assets)", thousands(float64(x.Snapshots)), thousands(float64(x.Assets))),
		fmt.Sprintf("%s snapshots/s (%.1f s)", thousands(x.PerSecond), x.ImportSeconds))
	o.add(fmt.Sprintf("sync worker: %s outbox rows drained after the import", thousands(float64(x.OutboxRows))), fmt.Sprintf("%.1f s", x.DrainSeconds))
	o.add(fmt.Sprintf("remove lines for them (%s outbox rows, drained in %.1f s)", thousands(float64(x.RemoveOutboxRows)), x.RemoveDrainSeconds),
		fmt.Sprintf("%.1f s", x.RemoveSeconds))
	if d := x.DuringImport; d != nil && d.N > 0 {
		o.add("relationships page during the import, p50 / p99", fmt.Sprintf("%s / %s ms (%d requests, %d failed)", msText(d.P50), msText(d.P99), d.N, d.Errors))
	}
	o.add("data set unchanged after the removal", map[bool]string{true: "yes", false: "**no**"}[x.Unchanged])
}
