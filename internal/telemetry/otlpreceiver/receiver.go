// Package otlpreceiver is an OTLP/HTTP trace receiver for tests and the lab:
// it answers export requests (protobuf) as a collector would, and either
// keeps their spans for inspection or discards them unread.
package otlpreceiver

import (
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// MaxRequestBytesDefault bounds one export request the receiver reads.
const MaxRequestBytesDefault = 64 << 20

// TracesPath is where OTLP/HTTP exporters post spans.
const TracesPath = "/v1/traces"

// Span is what the receiver keeps of one span.
type Span struct {
	TraceID, SpanID, ParentSpanID string // hex
	Name                          string
	Service                       string            // the resource's service.name
	Attributes                    map[string]string // values as text
}

// Receiver is a running OTLP/HTTP receiver on loopback.
type Receiver struct {
	// URL is the base URL (OTEL_EXPORTER_OTLP_ENDPOINT); TracesURL the
	// traces endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
	URL, TracesURL string

	srv      *httptest.Server
	keep     bool
	requests atomic.Int64
	mu       sync.Mutex
	spans    []Span
}

// Start runs a receiver that keeps every span it is sent.
func Start() *Receiver { return start(true) }

// StartDiscarding runs a receiver that reads and drops every request, as
// cheaply as a receiver can: what an exporter costs its process, alone.
func StartDiscarding() *Receiver { return start(false) }

func start(keep bool) *Receiver {
	r := &Receiver{keep: keep}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	r.TracesURL = r.srv.URL + TracesPath
	return r
}

// Close stops the receiver.
func (r *Receiver) Close() { r.srv.Close() }

// Requests is the number of export requests answered.
func (r *Receiver) Requests() int64 { return r.requests.Load() }

// Spans returns a copy of the spans kept so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != TracesPath {
		http.Error(w, "not an OTLP traces export", http.StatusNotFound)
		return
	}
	body := io.Reader(http.MaxBytesReader(w, req.Body, MaxRequestBytesDefault))
	if !r.keep {
		_, _ = io.Copy(io.Discard, body)
		r.answer(w)
		return
	}
	spans, err := decode(body, req.Header.Get("Content-Encoding"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.spans = append(r.spans, spans...)
	r.mu.Unlock()
	r.answer(w)
}

// answer is a full success: an empty ExportTraceServiceResponse.
func (r *Receiver) answer(w http.ResponseWriter) {
	r.requests.Add(1)
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// decode reads one export request into spans.
func decode(body io.Reader, encoding string) ([]Span, error) {
	if encoding == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("reading gzip export request: %w", err)
		}
		defer zr.Close()
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, fmt.Errorf("reading export request: %w", err)
	}
	var msg coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &msg); err != nil {
		return nil, fmt.Errorf("decoding export request: %w", err)
	}
	var out []Span
	for _, rs := range msg.GetResourceSpans() {
		service := text(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				out = append(out, Span{
					TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
					ParentSpanID: hex.EncodeToString(s.GetParentSpanId()),
					Name:         s.GetName(), Service: service, Attributes: text(s.GetAttributes()),
				})
			}
		}
	}
	return out, nil
}

// text renders attributes' values as text, whatever their type.
func text(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch x := v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = x.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = strconv.FormatInt(x.IntValue, 10)
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = strconv.FormatBool(x.BoolValue)
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
		default:
			m[kv.GetKey()] = v.String()
		}
	}
	return m
}
