package api

import (
	"bytes"
	"io"
	"net/http"

	"github.com/go-fuego/fuego"

	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// withFilterBudget checks the cost of the request's filter (the filter
// parameter, or for a search the filter of its body) against
// Config.FilterCostMax before h runs, so a filter over the budget never
// reaches Elasticsearch, nor is stored as a search. What does not parse is
// left to h, which reports it with its position. A refusal is reported
// only to a caller h would have served: authorization comes first, as in
// every handler.
func withFilterBudget[T any](s *Server, h func(fuego.ContextNoBody) (T, error)) func(fuego.ContextNoBody) (T, error) {
	return func(c fuego.ContextNoBody) (T, error) {
		var zero T
		r := c.Request()
		err := s.filterOverBudget(c.Response(), r)
		if err != nil {
			if _, authErr := s.begin(r, store.Read); authErr != nil {
				return zero, authErr
			}
			return zero, err
		}
		return h(c)
	}
}

// filterOverBudget is the 400 of a filter over the budget, or nil. A body
// it reads is put back for the handler.
func (s *Server) filterOverBudget(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodGet {
		return s.filterTextOverBudget(r.URL.Query().Get("filter"), "filter", "")
	}
	if r.ContentLength == 0 {
		return nil
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	attrs, err := parseSearchDocument(body)
	if err != nil {
		return nil // the handler reports it after authorization
	}
	text, _ := attrs["filter"].(string)
	return s.filterTextOverBudget(text, "", "/data/attributes/filter")
}

// filterTextOverBudget checks one filter's text; one that does not parse
// is not this check's to report.
func (s *Server) filterTextOverBudget(text, param, pointer string) error {
	if text == "" {
		return nil
	}
	n, err := rsql.Parse(text)
	if err != nil {
		return nil
	}
	return checkFilterCost(n, s.cfg.FilterCostMax, param, pointer)
}
