package otlpreceiver

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func exportRequest(t *testing.T) []byte {
	t.Helper()
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	msg := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "svc")}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8), Name: "s",
			Attributes: []*commonpb.KeyValue{str("k", "v"),
				{Key: "n", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 7}}}},
		}}}},
	}}}
	raw, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func post(t *testing.T, url string, body []byte, encoding string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestReceiverKeeps(t *testing.T) {
	t.Parallel()
	r := Start()
	defer r.Close()
	raw := exportRequest(t)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	if post(t, r.TracesURL, raw, "") != http.StatusOK || post(t, r.TracesURL, zipped.Bytes(), "gzip") != http.StatusOK {
		t.Fatal("an export request was refused")
	}
	if got := post(t, r.TracesURL, []byte("not protobuf at all \xff"), ""); got != http.StatusBadRequest {
		t.Errorf("garbage: %d, want 400", got)
	}
	spans := r.Spans()
	if len(spans) != 2 || r.Requests() != 2 {
		t.Fatalf("kept %d spans of %d requests, want 2 of 2", len(spans), r.Requests())
	}
	s := spans[1]
	if s.Service != "svc" || s.Name != "s" || s.TraceID != "01010101010101010101010101010101" ||
		s.Attributes["k"] != "v" || s.Attributes["n"] != "7" {
		t.Errorf("span = %+v", s)
	}
}

func TestReceiverDiscards(t *testing.T) {
	t.Parallel()
	r := StartDiscarding()
	defer r.Close()
	if post(t, r.TracesURL, exportRequest(t), "") != http.StatusOK {
		t.Fatal("refused")
	}
	if r.Requests() != 1 || len(r.Spans()) != 0 {
		t.Errorf("requests %d, spans %d; want 1, 0", r.Requests(), len(r.Spans()))
	}
}
