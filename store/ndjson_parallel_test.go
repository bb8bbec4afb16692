package store_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/store"
)

func seededNDJSON(t testing.TB, n int) []byte {
	t.Helper()
	g, err := seed.New(seed.Options{Assets: n, Tenants: 2, Groups: 2, Orgs: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for {
		rec, err := g.Next()
		if errors.Is(err, io.EOF) {
			return buf.Bytes()
		}
		if err := store.WriteNDJSON(&buf, rec); err != nil {
			t.Fatal(err)
		}
	}
}

func readAll(src store.RecordSource) ([]store.Record, error) {
	var out []store.Record
	for {
		r, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

func TestParallelReaderMatchesSequential(t *testing.T) {
	data := seededNDJSON(t, 1500)
	// A blank line in the middle must keep line numbers right.
	mid := bytes.IndexByte(data[len(data)/2:], '\n') + len(data)/2 + 1
	data = append(append(append([]byte{}, data[:mid]...), '\n'), data[mid:]...)
	seq, err := readAll(store.NewNDJSONReader(bytes.NewReader(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2, 4} {
		p := store.NewParallelNDJSONReader(bytes.NewReader(data), workers)
		par, err := readAll(p)
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(seq, par) {
			t.Fatalf("workers=%d: parallel records differ from sequential ones (%d vs %d)", workers, len(par), len(seq))
		}
	}
}

func TestParallelReaderReportsFirstBadLine(t *testing.T) {
	data := seededNDJSON(t, 1000)
	lines := bytes.SplitAfter(data, []byte("\n"))
	lines[700] = []byte("{oops\n")
	lines[900] = []byte("{also bad\n")
	p := store.NewParallelNDJSONReader(bytes.NewReader(bytes.Join(lines, nil)), 3)
	defer p.Close()
	recs, err := readAll(p)
	var le *store.LineError
	if !errors.As(err, &le) || le.Line != 701 {
		t.Fatalf("err = %v, want line 701", err)
	}
	if len(recs) != 700 {
		t.Errorf("%d records before the bad line, want 700", len(recs))
	}
}

func BenchmarkParallelNDJSONParse(b *testing.B) {
	data := seededNDJSON(b, 2000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p := store.NewParallelNDJSONReader(bytes.NewReader(data), 2)
		if _, err := readAll(p); err != nil {
			b.Fatal(err)
		}
	}
}
