package rsql

import "testing"

// A realistic inventory filter: 10 comparisons, a list or two, a date, a
// prefixed selector and one OR.
const benchFilter = `registry==docker.io;name==*nginx*;class=in=(A,B);created_at=ge=2024-01-01;` +
	`tags.env==prod;labels=in=(pci,critical);risk_score=gt=500;image_tag!=latest,` +
	`os==linux;architecture=out=(arm,386)`

func BenchmarkParseValidate(b *testing.B) {
	cat := newTestCatalogue()
	b.ReportAllocs()
	for b.Loop() {
		n, err := Parse(benchFilter)
		if err != nil {
			b.Fatal(err)
		}
		if err := Validate(n, cat); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchFilter); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	n, err := Parse(benchFilter)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = n.String()
	}
}
