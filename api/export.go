package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-fuego/fuego"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// Export: every matching asset of a scope in one streamed answer, NDJSON
// (one resource of the list per line) or CSV, read from one point in time.

// Defaults of exports; each has a Config field and a serve flag.
const (
	// ExportTimeoutDefault bounds one export, start to end, in place of
	// the request timeout, which no large export could meet.
	ExportTimeoutDefault = time.Hour
	// ExportMaxConcurrentDefault bounds the exports a server streams at
	// once (each holds a point in time and a connection); more is a 429.
	ExportMaxConcurrentDefault = 4
)

const (
	mediaTypeNDJSON = "application/x-ndjson"
	mediaTypeCSV    = "text/csv"
	formatNDJSON    = "ndjson"
	formatCSV       = "csv"
	// csvErrorPrefix opens the last line of a CSV export that broke off.
	csvErrorPrefix = "#error: "
)

// isExportPath reports whether path is .../inventory/assets/export.
func isExportPath(path string) bool { return strings.HasSuffix(path, "/inventory/assets/export") }

// acceptedExport returns the export format an Accept header admits (ndjson
// first), "" when it admits neither.
func acceptedExport(accept string) string {
	found := ""
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok && strings.TrimLeft(q, "0.") == "" {
			continue
		}
		switch mt {
		case mediaTypeNDJSON, "*/*", "application/*":
			return formatNDJSON
		case mediaTypeCSV, "text/*":
			found = formatCSV
		}
	}
	return found
}

// exportAcceptable lets an export through the Accept check when Accept
// admits NDJSON or CSV (or when format chooses; errors stay JSON:API).
func exportAcceptable(r *http.Request) bool {
	if !isExportPath(r.URL.Path) {
		return false
	}
	return r.URL.Query().Has("format") || acceptedExport(r.Header.Get("Accept")) != ""
}

// exportFormat is format, or the Accept header's choice; NDJSON by default.
func exportFormat(r *http.Request) (string, error) {
	if f := r.URL.Query().Get("format"); r.URL.Query().Has("format") {
		if f != formatNDJSON && f != formatCSV {
			return "", badParameter("format", "format must be ndjson or csv.")
		}
		return f, nil
	}
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" || acceptable(accept) && acceptedExport(accept) == "" {
		return formatNDJSON, nil
	}
	return acceptedExport(accept), nil
}

// exportQuery is a checked export request.
type exportQuery struct {
	req    index.ExportRequest
	fields []string // nil: all
	format string
}

func (s *Server) parseExport(r *http.Request, acc access) (exportQuery, error) {
	q := r.URL.Query()
	eq := exportQuery{req: index.ExportRequest{Scope: indexScope(acc.scope), PageSize: s.cfg.ExportPageSize}}
	var err error
	if eq.format, err = exportFormat(r); err != nil {
		return eq, err
	}
	if eq.req.Filter, err = parseFilter(q.Get("filter"), "filter", ""); err != nil {
		return eq, err
	}
	if err = checkFilterCost(eq.req.Filter, s.cfg.FilterCostMax, "filter", ""); err != nil {
		return eq, err
	}
	if eq.req.Sort, err = parseSort(q.Get("sort"), "sort", "", assetSortNames()); err != nil {
		return eq, err
	}
	eq.fields, err = parseFields(r, assetFields())
	eq.req.Attributes = &index.AttributeSelection{Fields: eq.fields}
	return eq, err
}

// exportAssets answers GET .../inventory/assets/export. Problems found
// before the first asset is sent are JSON:API errors; a failure after it
// ends the stream with an error trailer (see exportStream.fail).
func (s *Server) exportAssets(c fuego.ContextNoBody) (any, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
	eq, err := s.parseExport(r, acc)
	if err != nil {
		return nil, err
	}
	select {
	case s.exports <- struct{}{}:
		defer func() { <-s.exports }()
	default:
		return nil, &Error{Status: http.StatusTooManyRequests, RetryAfter: 10 * time.Second,
			Detail: fmt.Sprintf("This server streams at most %d exports at once; try again later.", cap(s.exports))}
	}
	// The export outlives the request timeout: its own bound instead.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.cfg.ExportTimeout)
	defer cancel()
	st := newExportStream(c.Response(), r, acc, eq, s.cfg.RequestTimeout)
	err = s.index.Export(ctx, eq.req, func(p index.ExportPage) error {
		if s.afterExportPage != nil {
			s.afterExportPage(p)
		}
		return st.page(p.Hits)
	})
	switch {
	case err != nil && st.sent == 0 && !st.started:
		return nil, searchFailed(err)
	case err != nil:
		st.fail(err)
		return nil, nil
	}
	return nil, st.finish()
}

// exportStream writes the pages of one export: each page encoded into a
// buffer that is reused, written and flushed, so memory holds one page.
type exportStream struct {
	w        http.ResponseWriter
	r        *http.Request
	acc      access
	q        exportQuery
	buf      bytes.Buffer
	csv      *csv.Writer
	row      []string
	started  bool // headers sent
	sent     int  // assets sent
	writeFor time.Duration
	broken   bool // the client is gone: write nothing more
	self     selfLink
}

func newExportStream(w http.ResponseWriter, r *http.Request, acc access, q exportQuery, writeFor time.Duration) *exportStream {
	st := &exportStream{w: w, r: r, acc: acc, q: q, writeFor: writeFor, self: newSelfLink(acc)}
	if q.format == formatCSV {
		st.csv = csv.NewWriter(&st.buf)
	}
	return st
}

// start sends the headers (and the CSV header row) once.
func (st *exportStream) start() {
	if st.started {
		return
	}
	st.started = true
	h := st.w.Header()
	h.Del("Content-Length")
	if st.csv != nil {
		h.Set("Content-Type", mediaTypeCSV+"; charset=utf-8; header=present")
		_ = st.csv.Write(st.csvHeader())
	} else {
		h.Set("Content-Type", mediaTypeNDJSON)
	}
	st.w.WriteHeader(http.StatusOK)
}

// page writes one page and flushes it.
func (st *exportStream) page(hits []index.AttributesHit) error {
	st.start()
	for _, h := range hits {
		if err := st.encode(h); err != nil {
			return fmt.Errorf("encoding asset %s: %w", h.ID, err)
		}
	}
	if err := st.flush(); err != nil {
		st.broken = true
		return fmt.Errorf("sending the export: %w", err)
	}
	st.sent += len(hits)
	return nil
}

// encode writes one asset: an NDJSON line (the list's resource, its
// attributes spliced in as read) or a CSV row.
func (st *exportStream) encode(h index.AttributesHit) error {
	if st.csv == nil {
		st.buf.Write(appendResource(st.buf.AvailableBuffer(), h, st.self))
		st.buf.WriteByte('\n')
		return nil
	}
	row, err := st.csvRow(h)
	if err != nil {
		return err
	}
	return st.csv.Write(row)
}

// flush sends the buffer, pushing the write deadline on by one request
// timeout per page: a live export is never cut by the server's timeout.
func (st *exportStream) flush() error {
	if st.csv != nil {
		st.csv.Flush()
	}
	rc := http.NewResponseController(st.w)
	_ = rc.SetWriteDeadline(time.Now().Add(st.writeFor + 10*time.Second)) // unsupported under some wrappers: then the server's own
	_, err := st.w.Write(st.buf.Bytes())
	st.buf.Reset()
	if err == nil {
		err = rc.Flush()
	}
	return err
}

// finish ends an export that ran to its end (an empty one is the CSV
// header row alone, or no NDJSON line).
func (st *exportStream) finish() error {
	st.start()
	if err := st.flush(); err != nil {
		logger(st.r.Context()).WarnContext(st.r.Context(), "sending the end of an export", "error", err)
	}
	return nil
}

// fail ends a stream that broke off after its headers: NDJSON gets a last
// line {"errors":[...]}, CSV a last line "#error: detail". A client that
// has read no such line and no end of stream has an incomplete export.
func (st *exportStream) fail(err error) {
	e := asError(searchFailed(err))
	ctx := st.r.Context()
	logger(ctx).ErrorContext(ctx, "export broke off", "assets_sent", st.sent, "error", err)
	if st.broken {
		return
	}
	st.buf.Reset()
	detail := fmt.Sprintf("The export broke off after %d assets: %s", st.sent, e.Detail)
	if st.csv != nil {
		st.csv.Flush()
		st.buf.WriteString(csvErrorPrefix + strings.ReplaceAll(detail, "\n", " ") + "\n")
	} else {
		e2 := *e
		e2.Detail = detail
		line, _ := json.Marshal(struct {
			Errors []ErrorObject `json:"errors"`
		}{[]ErrorObject{e2.object(requestIDOf(ctx))}})
		st.buf.Write(append(line, '\n'))
	}
	_, _ = st.w.Write(st.buf.Bytes())
	_ = http.NewResponseController(st.w).Flush()
}

// csvHeader is the id, then the chosen attributes in the list's order.
func (st *exportStream) csvHeader() []string {
	fields := st.q.fields
	if fields == nil {
		fields = assetFields()
	}
	return append([]string{"id"}, fields...)
}

// csvRow is one asset as CSV cells: strings as they are, numbers and
// booleans as JSON writes them, null as empty; labels joined with ";";
// tags as key=value joined with ";" by key (neither may contain ";", and
// a key no "="); any other structured attribute as compact JSON.
func (st *exportStream) csvRow(h index.AttributesHit) ([]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(h.Attributes, &m); err != nil {
		return nil, err
	}
	header := st.csvHeader()
	st.row = append(st.row[:0], csvSafe(h.ID))
	for _, f := range header[1:] {
		st.row = append(st.row, csvSafe(csvCell(f, m[f])))
	}
	return st.row, nil
}

func csvCell(field string, v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	switch v[0] {
	case '"':
		var s string
		_ = json.Unmarshal(v, &s)
		return s
	case '[':
		var xs []string
		if field == "labels" && json.Unmarshal(v, &xs) == nil {
			return strings.Join(xs, ";")
		}
	case '{':
		var kv map[string]string
		if field == "tags" && json.Unmarshal(v, &kv) == nil {
			keys := make([]string, 0, len(kv))
			for k := range kv {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for i, k := range keys {
				keys[i] = k + "=" + kv[k]
			}
			return strings.Join(keys, ";")
		}
	}
	return string(v)
}

// exportFormatDescription documents the answer of an export.
func exportFormatDescription() string {
	return "Extension. Every asset of the scope that matches filter, in sort order, from one point in time " +
		"(a consistent snapshot), streamed in pages of " + strconv.Itoa(index.ExportPageSizeDefault) + ". " +
		"application/x-ndjson: one resource per line, as in the list. text/csv: a header row (id, then the " +
		"fields[container_images] attributes, or all), one row per asset; labels joined with ';', tags as " +
		"key=value joined with ';' (sorted by key), other structured attributes as compact JSON, null as empty; " +
		"a cell that begins with =, +, -, @, a tab or a carriage return is prefixed with a single quote (') so " +
		"that spreadsheets show it as text instead of evaluating it as a formula. " +
		"If the export breaks off after it began, its last line says so: {\"errors\":[...]} in NDJSON, " +
		"'#error: detail' in CSV; an export without such a line that ends normally is complete. " +
		"Chosen by format, else by Accept."
}

// exportOptions documents an export operation: format and its two media
// types.
func exportOptions() fuego.RouteOption {
	return func(r *fuego.BaseRoute) {
		p := openapi3.NewQueryParameter("format").WithDescription("ndjson or csv; without it, Accept chooses (ndjson by default)").
			WithSchema(openapi3.NewStringSchema().WithEnum(formatNDJSON, formatCSV))
		p.Extensions = map[string]any{extensionMark: true}
		r.Operation.AddParameter(p)
		r.Operation.Extensions = map[string]any{extensionMark: true}
		line := openapi3.NewObjectSchema()
		line.Description = "One asset resource per line, as an item of the list's data"
		text := openapi3.NewStringSchema()
		text.Description = "CSV with a header row"
		resp := openapi3.NewResponse().WithDescription(exportFormatDescription()).WithContent(openapi3.Content{
			mediaTypeNDJSON: openapi3.NewMediaType().WithSchema(line),
			mediaTypeCSV:    openapi3.NewMediaType().WithSchema(text),
		})
		r.Operation.AddResponse(http.StatusOK, resp)
	}
}
