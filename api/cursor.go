package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// cursorPrefix versions the cursor format, so a later format can tell old
// cursors apart.
const cursorPrefix = "v1."

// cursor is the position of one item in a sorted result: the item's sort
// values and its id (the tie-breaker), and a hash of the query it belongs
// to, so that a cursor replayed against another query is refused rather
// than silently paging somewhere else.
type cursor struct {
	Sort  []any  `json:"s"`
	ID    string `json:"i"`
	Query string `json:"q"`
}

// queryHash identifies a query by the parts that decide the order and the
// membership of its results.
func queryHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func encodeCursor(c cursor) string {
	b, err := json.Marshal(c)
	if err != nil {
		// Sort values come from JSON, so they always encode.
		panic("encoding a cursor: " + err.Error())
	}
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor given in param, checking that it belongs to
// the query with hash want.
func decodeCursor(param, s, want string) (cursor, *Error) {
	bad := func(why string) (cursor, *Error) {
		return cursor{}, badParameter(param, "The cursor %s; use the links of a previous page of this same query.", why)
	}
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok {
		return bad("is not valid")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rest, "="))
	if err != nil {
		return bad("is not valid")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // sort values may be longs beyond float64 precision
	dec.DisallowUnknownFields()
	var c cursor
	if err := dec.Decode(&c); err != nil || c.ID == "" || c.Query == "" {
		return bad("is not valid")
	}
	if c.Query != want {
		return bad("belongs to another query (different filter, sort or scope)")
	}
	return c, nil
}
