package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// apiPage is the part of a JSON:API list the benchmark reads.
type apiPage struct {
	Data []struct {
		ID         string `json:"id"`
		Attributes struct {
			Value string `json:"value"`
		} `json:"attributes"`
		Meta struct {
			Count int64 `json:"count"`
		} `json:"meta"`
	} `json:"data"`
	Links struct {
		Next string `json:"next"`
	} `json:"links"`
}

func decodeAPIPage(b []byte) (*apiPage, error) {
	var p apiPage
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decoding an API answer: %w", err)
	}
	return &p, nil
}

// ids lists the ids of the page's resources.
func (p *apiPage) ids() []string {
	out := make([]string, len(p.Data))
	for i, d := range p.Data {
		out[i] = d.ID
	}
	return out
}

// esHits is the part of a _search answer the benchmark reads.
type esHits struct {
	PITID string `json:"pit_id"`
	Hits  struct {
		Hits []struct {
			ID     string          `json:"_id"`
			Sort   []any           `json:"sort"`
			Source json.RawMessage `json:"_source"`
		} `json:"hits"`
	} `json:"hits"`
}

// decodeESHits reads hits with sort values kept exact (json.Number).
func decodeESHits(b []byte) (*esHits, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var h esHits
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("decoding an Elasticsearch answer: %w", err)
	}
	return &h, nil
}

// ids lists the first n hit ids (all when fewer).
func (h *esHits) ids(n int) []string {
	var out []string
	for i, hit := range h.Hits.Hits {
		if i == n {
			break
		}
		out = append(out, hit.ID)
	}
	return out
}

// esComposite is one page of a composite aggregation named g.
type esComposite struct {
	Aggregations struct {
		G struct {
			AfterKey json.RawMessage `json:"after_key"`
			Buckets  []struct {
				Key      map[string]any `json:"key"`
				DocCount int64          `json:"doc_count"`
			} `json:"buckets"`
		} `json:"g"`
	} `json:"aggregations"`
}

// groupCount is one facet value and its count.
type groupCount struct {
	Value string
	Count int64
}
