package drills

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/openinventory/assets/index"
)

// crossReplica checks that what replica from makes, replica to accepts: a
// stored search created on from pages on to, and the next links of a list
// and of a group's values made by from are followed on to.
func (h *harness) crossReplica(ctx context.Context, from, to string) error {
	tf := h.fx.tenants[0]
	base := "/rest/tenants/" + tf.id + "/inventory/assets"
	created, err := h.request(ctx, http.MethodPost, from+base+"/searches", tf.token,
		[]byte(`{"data":{"type":"searches","attributes":{"limit":10}}}`), nil)
	if err != nil || created.status != http.StatusFound {
		return fmt.Errorf("creating a search on %s: status %d %v: %s", from, created.status, err, truncate(created.body))
	}
	if err := h.pageTwice(ctx, onReplica(created.header.Get("Location"), from, to), from, to, "a stored search"); err != nil {
		return err
	}
	if err := h.pageTwice(ctx, from+base+"?limit=10", from, to, "a list"); err != nil {
		return err
	}
	repo, ok := index.NewCatalogue().GroupByName("repository")
	if !ok {
		return errors.New("the catalogue has no group field repository")
	}
	return h.pageTwice(ctx, from+base+"/groups/"+repo.ID+"/values?limit=10&sort=value", from, to, "a group's values")
}

// pageTwice reads the first page at first (on whichever replica it names)
// and then its next link on replica to: both must be 200 with data.
func (h *harness) pageTwice(ctx context.Context, first, from, to, what string) error {
	tf := h.fx.tenants[0]
	next := first
	for page := 1; page <= 2; page++ {
		res, err := h.request(ctx, http.MethodGet, next, tf.token, nil, nil)
		if err != nil || res.status != http.StatusOK {
			return fmt.Errorf("%s, page %d, on %s: status %d %v: %s", what, page, next, res.status, err, truncate(res.body))
		}
		var doc struct {
			Data  []json.RawMessage `json:"data"`
			Links struct {
				Next string `json:"next"`
			} `json:"links"`
		}
		if err := json.Unmarshal(res.body, &doc); err != nil || len(doc.Data) == 0 {
			return fmt.Errorf("%s, page %d, on %s: no data (%v): %s", what, page, next, err, truncate(res.body))
		}
		if page == 1 && doc.Links.Next == "" {
			return fmt.Errorf("%s: the first page has no next link", what)
		}
		next = onReplica(doc.Links.Next, from, to)
	}
	return nil
}

func truncate(b []byte) string { return strings.TrimSpace(string(b[:min(len(b), 200)])) }

// versions reads every asset's version from PostgreSQL.
func (h *harness) versions(ctx context.Context) (map[string]int64, error) {
	rows, err := h.pool.Query(ctx, `SELECT id::text, version FROM assets`)
	if err != nil {
		return nil, fmt.Errorf("reading the assets' versions: %w", err)
	}
	out := map[string]int64{}
	var id string
	var v int64
	_, err = pgx.ForEachRow(rows, []any{&id, &v}, func() error { out[id] = v; return nil })
	if err != nil {
		return nil, fmt.Errorf("reading the assets' versions: %w", err)
	}
	return out, nil
}

// esDoc is what the drill reads back of a document.
type esDoc struct {
	ID      string `json:"_id"`
	Found   bool   `json:"found"`
	Version int64  `json:"_version"`
	Source  struct {
		Tags []string `json:"tags"`
	} `json:"_source"`
}

// checkUpdated compares every asset an update was acknowledged for:
// Elasticsearch's _version is PostgreSQL's version (external versions let
// no older write win), PostgreSQL's version grew by at least the
// acknowledged updates (none lost), and the drill tag the API reads from
// PostgreSQL is the one Elasticsearch holds.
func (h *harness) checkUpdated(ctx context.Context, before map[string]int64, acked map[string]int) (string, error) {
	after, err := h.versions(ctx)
	if err != nil {
		return "", err
	}
	ids := make([]string, 0, len(acked))
	for id := range acked {
		ids = append(ids, id)
	}
	docs, err := h.mget(ctx, ids)
	if err != nil {
		return "", err
	}
	var problems []string
	for _, id := range ids {
		d := docs[id]
		switch {
		case !d.Found:
			problems = append(problems, "missing in Elasticsearch")
		case d.Version != after[id]:
			problems = append(problems, "Elasticsearch _version is not PostgreSQL's version")
		case after[id]-before[id] < int64(acked[id]):
			problems = append(problems, "fewer version bumps than acknowledged updates")
		}
	}
	tagProblems, err := h.compareTags(ctx, ids, docs)
	if err != nil {
		return "", err
	}
	problems = append(problems, tagProblems...)
	summary := fmt.Sprintf("%d updated assets read back: Elasticsearch _version = PostgreSQL version and the API's tags = Elasticsearch's for %d",
		len(ids), len(ids)-len(problems))
	if len(problems) > 0 {
		return summary, fmt.Errorf("%d updated assets differ: %s", len(problems), tally(problems))
	}
	return summary, nil
}

// mget reads the documents of ids from the drills' alias.
func (h *harness) mget(ctx context.Context, ids []string) (map[string]esDoc, error) {
	out := make(map[string]esDoc, len(ids))
	for start := 0; start < len(ids); start += 500 {
		body, err := json.Marshal(map[string]any{"ids": ids[start:min(start+500, len(ids))]})
		if err != nil {
			return nil, err
		}
		b, err := h.es.Do(ctx, http.MethodPost, "/"+h.cfg.IndexPrefix+"/_mget?_source=tags", body)
		if err != nil {
			return nil, fmt.Errorf("reading the updated documents: %w", err)
		}
		var res struct {
			Docs []esDoc `json:"docs"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			return nil, fmt.Errorf("reading the updated documents: %w", err)
		}
		for _, d := range res.Docs {
			out[d.ID] = d
		}
	}
	return out, nil
}

// compareTags reads each asset through the API (GET of one asset answers
// from PostgreSQL) and compares its drill tag with Elasticsearch's.
func (h *harness) compareTags(ctx context.Context, ids []string, docs map[string]esDoc) ([]string, error) {
	tenantOf := map[string]tenantFixture{}
	for _, tf := range h.fx.tenants {
		for _, id := range tf.assets {
			tenantOf[id] = tf
		}
	}
	work := make(chan string)
	var mu sync.Mutex
	var problems []string
	var firstErr error
	var wg sync.WaitGroup
	for range writeWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				problem, err := h.compareOne(ctx, tenantOf[id], id, docs[id])
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if problem != "" {
					problems = append(problems, problem)
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	return problems, firstErr
}

func (h *harness) compareOne(ctx context.Context, tf tenantFixture, id string, d esDoc) (string, error) {
	res, err := h.request(ctx, http.MethodGet, "/rest/tenants/"+tf.id+"/inventory/assets/"+id, tf.token, nil, nil)
	if err != nil || res.status != http.StatusOK {
		return "", fmt.Errorf("reading asset %s: status %d %v: %s", id, res.status, err, truncate(res.body))
	}
	var doc struct {
		Data struct {
			Attributes struct {
				Tags map[string]string `json:"tags"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil {
		return "", fmt.Errorf("reading asset %s: %w", id, err)
	}
	want := "drill" + "\x1f" + doc.Data.Attributes.Tags["drill"]
	for _, t := range d.Source.Tags {
		if t == want {
			return "", nil
		}
	}
	return "the API's drill tag is not Elasticsearch's", nil
}

// syncLogs are the logs of the two-of-each drill's workers.
func (h *harness) syncLogs() []string {
	return []string{filepath.Join(h.logDir, "sync.log"), filepath.Join(h.logDir, "sync-2.log")}
}

// syncLogMarks records how long each worker log is, so that only what the
// drill adds is read (the logs are appended to).
func (h *harness) syncLogMarks() map[string]int64 {
	marks := map[string]int64{}
	for _, p := range h.syncLogs() {
		if st, err := os.Stat(p); err == nil {
			marks[p] = st.Size()
		}
	}
	return marks
}

// staleLine matches the worker's log line for writes Elasticsearch
// answered with a version conflict, and its count.
var staleLine = regexp.MustCompile(`benign version conflicts.*\bdocuments=(\d+)`)

// benignConflicts sums the version conflicts the workers logged since
// marks.
func (h *harness) benignConflicts(marks map[string]int64) (int, error) {
	total := 0
	for _, p := range h.syncLogs() {
		n, err := countStale(p, marks[p])
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func countStale(path string, from int64) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if m := staleLine.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[1])
			total += n
		}
	}
	return total, sc.Err()
}
