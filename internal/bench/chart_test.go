package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// svgBars parses the chart as XML and returns, per read, the sides that
// have a bar, and the texts.
func svgBars(t *testing.T, svg []byte) (map[string][]string, []string) {
	t.Helper()
	bars := map[string][]string{}
	var texts []string
	dec := xml.NewDecoder(bytes.NewReader(svg))
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not valid XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			inText = e.Name.Local == "text"
			attr := map[string]string{}
			for _, a := range e.Attr {
				attr[a.Name.Local] = a.Value
			}
			if e.Name.Local == "rect" && attr["class"] == "bar" {
				bars[attr["data-read"]] = append(bars[attr["data-read"]], attr["data-side"])
			}
			if e.Name.Local == "script" || strings.Contains(attr["href"], "http") {
				t.Errorf("the chart refers outside itself: %v", e)
			}
		case xml.CharData:
			if inText {
				texts = append(texts, string(e))
			}
		case xml.EndElement:
			inText = false
		}
	}
	return bars, texts
}

func TestChartOneBarPerSidePerRead(t *testing.T) {
	r := &Report{}
	r.add(Measurement{Name: "list <&> sort", Sides: []Stats{{Side: "API", P50: 16, P99: 32}, {Side: "Elasticsearch", P50: 11, P99: 30}}})
	r.add(Measurement{Name: "q==nginx", Sides: []Stats{{Side: "API", P50: 100, P99: 105}, {Side: "Elasticsearch", P50: 95, P99: 97}, {Side: "PostgreSQL (pg_trgm)", P50: 1835, P99: 1880}}})
	r.add(Measurement{Name: "filter values", Sides: []Stats{{Side: "API", P50: 2, P99: 5}}})
	svg, err := Chart(r)
	if err != nil {
		t.Fatal(err)
	}
	bars, texts := svgBars(t, svg)
	if len(bars) != len(r.Measurements) {
		t.Fatalf("bars for %d reads, want %d: %v", len(bars), len(r.Measurements), bars)
	}
	for _, m := range r.Measurements {
		var want []string
		for _, s := range m.Sides {
			want = append(want, s.Side)
		}
		if strings.Join(bars[m.Name], ",") != strings.Join(want, ",") {
			t.Errorf("%s: bars %v, want %v", m.Name, bars[m.Name], want)
		}
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"list <&> sort", "PostgreSQL", "ms, log scale", "1,835 / 1,880 ms", "1,000"} {
		if !strings.Contains(all, want) {
			t.Errorf("the chart lacks the text %q", want)
		}
	}
}

func TestChartScale(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sides  []Stats
		log    bool
		lo, hi float64
	}{
		{"large spread: decades", []Stats{{P50: 0.36, P99: 1}, {P50: 1835, P99: 1880}}, true, 0.1, 10000},
		{"small spread: linear from 0", []Stats{{P50: 11, P99: 30}, {P50: 16, P99: 32.6}}, false, 0, 50},
		{"no samples", []Stats{{}}, false, 0, 1},
	} {
		s := newChartScale([]Measurement{{Sides: tc.sides}})
		if s.log != tc.log || s.lo != tc.lo || s.hi != tc.hi {
			t.Errorf("%s: %+v", tc.name, s)
		}
		if s.x(s.hi) != chartPlotRight {
			t.Errorf("%s: the maximum is at %v, want %v", tc.name, s.x(s.hi), chartPlotRight)
		}
	}
}

func TestChartSideWithoutSamples(t *testing.T) {
	r := &Report{}
	r.add(Measurement{Name: "stored search", Sides: []Stats{{Side: "API", Errors: 5}, {Side: "Elasticsearch", P50: 30, P99: 40}}})
	svg, err := Chart(r)
	if err != nil {
		t.Fatal(err)
	}
	bars, texts := svgBars(t, svg)
	if strings.Join(bars["stored search"], ",") != "Elasticsearch" || !strings.Contains(strings.Join(texts, "\n"), "no samples") {
		t.Errorf("bars %v, texts %v", bars, texts)
	}
}
