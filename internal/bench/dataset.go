package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/store"
	assetsync "github.com/openinventory/assets/sync"
)

// dataset is what the measurements read and write.
type dataset struct {
	tenantID     string
	tenantAssets int64
	// ids is a shuffled sample of the tenant's asset ids, for the writes.
	ids  []string
	next int
}

// takeIDs returns the next n sample ids, wrapping around.
func (d *dataset) takeIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = d.ids[d.next%len(d.ids)]
		d.next++
	}
	return out
}

// sampleSize is how many ids the writes draw from.
const sampleSize = 20_000

// benchLabelPrefix starts every label the benchmark writes; the seed
// never makes such labels, so they can be removed wholesale.
const benchLabelPrefix = "bench-"

// prepare migrates the database, seeds or reuses the assets, indexes or
// reuses the index, and drains the outbox.
func (r *runner) prepare(ctx context.Context) error {
	if err := store.Migrate(ctx, r.pool, r.log); err != nil {
		return fmt.Errorf("migrating the benchmark database: %w", err)
	}
	if err := r.recordFingerprint(ctx); err != nil {
		return err
	}
	seeded, err := r.ensureAssets(ctx)
	if err != nil {
		return err
	}
	if n, err := r.removeBenchLabels(ctx); err != nil {
		return err
	} else if n > 0 {
		r.log.Info("bench: removed labels left by an earlier run", "assets", n)
	}
	if err := r.ensureIndex(ctx, seeded); err != nil {
		return err
	}
	return r.pickTenant(ctx)
}

// seedOptions are the options of the data set.
func (r *runner) seedOptions() seed.Options {
	return seed.Options{Assets: r.cfg.Assets, Tenants: seedTenants, Groups: seedGroups, Orgs: seedOrgs, Seed: r.cfg.Seed}
}

// ensureAssets seeds the data set unless the database already holds it:
// the same count and the seed's first asset. It reports whether it seeded.
func (r *runner) ensureAssets(ctx context.Context) (bool, error) {
	opts := r.seedOptions()
	r.rep.Dataset = DatasetInfo{Assets: opts.Assets, Seed: opts.Seed, Tenants: opts.Tenants, Groups: opts.Groups, Orgs: opts.Orgs}
	gen, err := seed.New(opts)
	if err != nil {
		return false, err
	}
	var first string
	for first == "" {
		rec, err := gen.Next()
		if err != nil {
			return false, fmt.Errorf("generating the first asset: %w", err)
		}
		if rec.Asset != nil {
			first = rec.Asset.ID
		}
	}
	var count int64
	var hasFirst bool
	err = r.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM assets), EXISTS (SELECT 1 FROM assets WHERE id = $1)`, first).
		Scan(&count, &hasFirst)
	if err != nil {
		return false, fmt.Errorf("counting the benchmark's assets: %w", err)
	}
	if count == int64(opts.Assets) && hasFirst {
		r.log.Info("bench: reusing the seeded assets", "assets", count)
		return false, nil
	}
	if count > 0 {
		r.log.Info("bench: the database holds another data set; emptying it", "assets", count)
		if _, err := r.pool.Exec(ctx, `TRUNCATE assets, asset_orgs, asset_outbox, orgs, groups, tenants, searches, index_targets`); err != nil {
			return false, fmt.Errorf("emptying the benchmark database: %w", err)
		}
	}
	r.log.Info("bench: seeding", "assets", opts.Assets, "seed", opts.Seed)
	gen, err = seed.New(opts)
	if err != nil {
		return false, err
	}
	t0 := time.Now()
	src := &progressSource{src: gen, total: opts.Assets, every: max(opts.Assets/10, 1), log: r.log}
	if _, err := store.Import(ctx, r.pool, src); err != nil {
		return false, fmt.Errorf("seeding: %w", err)
	}
	r.rep.Dataset.Seeded = true
	r.rep.Dataset.SeedSeconds = time.Since(t0).Seconds()
	r.log.Info("bench: seeded", "assets", opts.Assets, "elapsed", time.Since(t0).Round(time.Millisecond))
	return true, nil
}

// progressSource logs every so many assets read from src.
type progressSource struct {
	src   store.RecordSource
	total int
	every int
	n     int
	log   *slog.Logger
}

func (p *progressSource) Next() (store.Record, error) {
	rec, err := p.src.Next()
	if err == nil && rec.Asset != nil {
		p.n++
		if p.n%p.every == 0 {
			p.log.Info("bench: seeding", "generated", p.n, "of", p.total)
		}
	}
	return rec, err
}

// removeBenchLabels takes the benchmark's labels off every asset, in SQL
// (the triggers write the outbox rows), and returns how many changed.
func (r *runner) removeBenchLabels(ctx context.Context) (int64, error) {
	tag, err := r.pool.Exec(ctx, `UPDATE assets SET labels = ARRAY(
			SELECT l FROM unnest(labels) WITH ORDINALITY AS u(l, n) WHERE l NOT LIKE $1 ORDER BY n)
		WHERE EXISTS (SELECT 1 FROM unnest(labels) AS l WHERE l LIKE $1)`, benchLabelPrefix+"%")
	if err != nil {
		return 0, fmt.Errorf("removing the benchmark's labels: %w", err)
	}
	return tag.RowsAffected(), nil
}

// ensureIndex reindexes unless the index already holds as many documents
// as the database (and the data was not just seeded), then drains the
// outbox. Outbox rows written before a reindex started are covered by it:
// nothing else writes to the benchmark database meanwhile, so they are
// deleted rather than replayed.
func (r *runner) ensureIndex(ctx context.Context, seeded bool) error {
	var pg int64
	if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM assets`).Scan(&pg); err != nil {
		return fmt.Errorf("counting assets: %w", err)
	}
	es, err := r.esCount(ctx, r.idx.Alias())
	if err != nil {
		return err
	}
	have, outdated := 0, false
	if !seeded && es == pg {
		// An index built by an older projection is rebuilt, not reused.
		if have, outdated, err = r.idx.Outdated(ctx); err != nil {
			return err
		}
	}
	if !seeded && es == pg && !outdated {
		r.log.Info("bench: reusing the index", "alias", r.idx.Alias(), "docs", es)
	} else {
		if outdated {
			r.log.Info("bench: the index has an older mapping version, rebuilding it", "have", have, "want", index.MappingVersion)
		}
		var covered int64
		if err := r.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM asset_outbox`).Scan(&covered); err != nil {
			return fmt.Errorf("reading the outbox: %w", err)
		}
		r.log.Info("bench: indexing", "assets", pg, "alias", r.idx.Alias())
		res, err := assetsync.Reindex(ctx, r.pool, r.idx, r.log, assetsync.ReindexConfig{Progress: r.reindexProgress()})
		if err != nil {
			return fmt.Errorf("indexing the data set: %w", err)
		}
		r.rep.Dataset.Indexed = true
		r.rep.Dataset.IndexSeconds = res.Duration.Seconds()
		r.log.Info("bench: indexed", "docs", res.Docs, "elapsed", res.Duration.Round(time.Millisecond))
		if _, err := r.pool.Exec(ctx, `DELETE FROM asset_outbox WHERE id <= $1`, covered); err != nil {
			return fmt.Errorf("deleting the outbox rows the reindex covered: %w", err)
		}
	}
	return r.drain(ctx, 10*time.Minute)
}

// reindexProgress logs every tenth of a reindex.
func (r *runner) reindexProgress() func(done, total int64) {
	var last int64
	return func(done, total int64) {
		if total > 0 && done*10/total > last {
			last = done * 10 / total
			r.log.Info("bench: reindexing", "docs", done, "of", total)
		}
	}
}

// drain runs a sync worker in this process until the outbox is empty,
// then refreshes the index. Only for before the child worker starts.
func (r *runner) drain(ctx context.Context, timeout time.Duration) error {
	w := assetsync.NewWorker(r.pool, r.idx, r.log, assetsync.WorkerConfig{BatchSize: 1000})
	deadline := time.Now().Add(timeout)
	for total := 0; ; {
		n, err := w.ProcessBatch(ctx)
		if err != nil {
			return fmt.Errorf("draining the outbox: %w", err)
		}
		if n == 0 {
			if total > 0 {
				r.log.Info("bench: drained the outbox", "rows", total)
			}
			break
		}
		total += n
		if time.Now().After(deadline) {
			return fmt.Errorf("draining the outbox: not empty after %s (%d rows synced)", timeout, total)
		}
	}
	return r.idx.Refresh(ctx)
}

// waitBacklog waits until the child worker has emptied the outbox.
func (r *runner) waitBacklog(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		n, _, err := store.Backlog(ctx, r.pool)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the outbox still holds %d rows after %s", n, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pickTenant chooses the largest tenant and samples its ids.
func (r *runner) pickTenant(ctx context.Context) error {
	err := r.pool.QueryRow(ctx, `SELECT tenant_id::text, count(*) FROM assets GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`).
		Scan(&r.data.tenantID, &r.data.tenantAssets)
	if err != nil {
		return fmt.Errorf("finding the largest tenant: %w", err)
	}
	rows, err := r.pool.Query(ctx, `SELECT id::text FROM assets WHERE tenant_id = $1 ORDER BY id LIMIT $2`, r.data.tenantID, sampleSize)
	if err != nil {
		return fmt.Errorf("sampling asset ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("sampling asset ids: %w", err)
		}
		r.data.ids = append(r.data.ids, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sampling asset ids: %w", err)
	}
	if len(r.data.ids) < 100 {
		return fmt.Errorf("the largest tenant has only %d assets", len(r.data.ids))
	}
	rng := rand.New(rand.NewPCG(uint64(r.cfg.Seed), 0x6265_6e63_68))
	rng.Shuffle(len(r.data.ids), func(i, j int) { r.data.ids[i], r.data.ids[j] = r.data.ids[j], r.data.ids[i] })
	r.rep.Dataset.TenantID, r.rep.Dataset.TenantAssets = r.data.tenantID, r.data.tenantAssets
	return nil
}

// esCount counts the documents behind an alias or index.
func (r *runner) esCount(ctx context.Context, target string) (int64, error) {
	b, err := r.es.Do(ctx, "GET", "/"+target+"/_count", nil)
	if err != nil {
		return 0, fmt.Errorf("counting documents in %s: %w", target, err)
	}
	var res struct {
		Count int64 `json:"count"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return 0, fmt.Errorf("counting documents in %s: %w", target, err)
	}
	return res.Count, nil
}

var _ store.RecordSource = (*progressSource)(nil)
