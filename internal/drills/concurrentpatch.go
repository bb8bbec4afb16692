package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// concurrentPatch clears one asset's labels, then sends
// cfg.ConcurrentPatches PATCHes at once, each adding a different label.
// Every label must be there afterwards: in PostgreSQL (GET one asset), and
// in Elasticsearch once the outbox drained (a list filtered on a label).
func concurrentPatch(ctx context.Context, h *harness) Result {
	n := h.cfg.ConcurrentPatches
	tf := h.fx.tenants[0]
	id := tf.assets[len(tf.assets)/2]
	path := "/rest/tenants/" + tf.id + "/inventory/assets/" + id
	r := Result{}
	res, err := h.request(ctx, http.MethodPatch, path, tf.token, patchDocument(id, map[string]any{"labels": []string{}}), nil)
	if err != nil || res.status != http.StatusOK {
		return r.passIf(false, fmt.Sprintf("clearing the labels: %v %d %s", err, res.status, hn.Truncate(res.body, 200)))
	}
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("concurrent-%02d", i)
	}
	statuses := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	gate := make(chan struct{})
	var slowest time.Duration
	for _, label := range want {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			res, err := h.request(ctx, http.MethodPatch, path, tf.token,
				patchDocument(id, map[string]any{"labels": map[string]any{"add": []string{label}}}), nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				statuses[0]++
				return
			}
			statuses[res.status]++
			slowest = max(slowest, res.elapsed)
		}()
	}
	close(gate)
	wg.Wait()

	inPG, err := h.assetLabels(ctx, tf, path)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	missingPG := missing(want, inPG)
	r.Measured = fmt.Sprintf("%d concurrent PATCHes (%s, slowest %s): %d/%d labels in PostgreSQL",
		n, formatCounts(statuses), slowest.Round(time.Millisecond), n-len(missingPG), n)
	rep, err := h.verify(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	inES, err := h.indexedLabels(ctx, tf, want[n-1], id)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	missingES := missing(want, inES)
	r.Measured += fmt.Sprintf(", %d/%d in Elasticsearch; %s", n-len(missingES), n, rep)
	switch {
	case statuses[http.StatusOK] != n:
		return r.passIf(false, "not every PATCH answered 200: "+formatCounts(statuses))
	case len(missingPG) > 0:
		return r.passIf(false, fmt.Sprintf("labels lost in PostgreSQL: %v", missingPG))
	case len(inPG) != n:
		return r.passIf(false, fmt.Sprintf("the asset has %d labels, want %d: %v", len(inPG), n, inPG))
	case len(missingES) > 0:
		return r.passIf(false, fmt.Sprintf("labels missing in Elasticsearch: %v", missingES))
	}
	return r.passIf(rep.ok(), "PostgreSQL and Elasticsearch drifted")
}

// assetDocument is the part of an asset document the drills read.
type assetDocument struct {
	ID         string `json:"id"`
	Attributes struct {
		Labels []string `json:"labels"`
	} `json:"attributes"`
}

// assetLabels reads one asset's labels through GET one asset (PostgreSQL).
func (h *harness) assetLabels(ctx context.Context, tf tenantFixture, path string) ([]string, error) {
	res, err := h.request(ctx, http.MethodGet, path, tf.token, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the asset: %w", err)
	}
	if res.status != http.StatusOK {
		return nil, fmt.Errorf("reading the asset: %d %s", res.status, hn.Truncate(res.body, 200))
	}
	var doc struct {
		Data assetDocument `json:"data"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil {
		return nil, fmt.Errorf("reading the asset: %w", err)
	}
	return doc.Data.Attributes.Labels, nil
}

// indexedLabels lists the assets carrying label (a read served by
// Elasticsearch) and returns the labels of the asset id among them.
func (h *harness) indexedLabels(ctx context.Context, tf tenantFixture, label, id string) ([]string, error) {
	q := url.Values{"filter": {"labels==" + label}, "limit": {"10"}}
	res, err := h.request(ctx, http.MethodGet, "/rest/tenants/"+tf.id+"/inventory/assets?"+q.Encode(), tf.token, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("listing by label: %w", err)
	}
	if res.status != http.StatusOK {
		return nil, fmt.Errorf("listing by label: %d %s", res.status, hn.Truncate(res.body, 200))
	}
	var doc struct {
		Data []assetDocument `json:"data"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil {
		return nil, fmt.Errorf("listing by label: %w", err)
	}
	for _, a := range doc.Data {
		if a.ID == id {
			return a.Attributes.Labels, nil
		}
	}
	return nil, fmt.Errorf("the list filtered on %s does not hold the asset (%d results)", label, len(doc.Data))
}

// missing returns the members of want that got lacks.
func missing(want, got []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, w)
		}
	}
	return out
}
