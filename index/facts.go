package index

import (
	"errors"
	"slices"
	"strings"
)

// MetaFields lists the contract's meta_fields values in output order: every
// meta field, then "all".
func MetaFields() []string { return append(slices.Clone(metaOrder), MetaAll) }

// AggregateFields lists, sorted, the meta fields an aggregate[FIELD]
// parameter may name (those with aggregate modes).
func AggregateFields() []string {
	out := make([]string, 0, len(metaModes))
	for f := range metaModes {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// InvalidRequestError is a request problem (unknown field, unsupported mode,
// malformed cursor) with the detail to show the client. It is
// ErrInvalidRequest for errors.Is.
type InvalidRequestError struct{ Detail string }

func (e *InvalidRequestError) Error() string     { return ErrInvalidRequest.Error() + ": " + e.Detail }
func (e *InvalidRequestError) Is(err error) bool { return err == ErrInvalidRequest }

// InvalidDetail reports whether err is a request problem and, if so, the
// detail to show the client: that of an *InvalidRequestError, or the text
// after the "invalid request: " prefix invalidf and the translator write.
func InvalidDetail(err error) (string, bool) {
	var ie *InvalidRequestError
	if errors.As(err, &ie) {
		return ie.Detail, true
	}
	if !errors.Is(err, ErrInvalidRequest) {
		return "", false
	}
	return strings.TrimPrefix(err.Error(), ErrInvalidRequest.Error()+": "), true
}
