package store_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/openinventory/assets/store"
)

// BenchmarkNDJSONParse measures parsing import lines of seeded assets.
func BenchmarkNDJSONParse(b *testing.B) {
	data := seededNDJSON(b, 2000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := store.NewNDJSONReader(bytes.NewReader(data))
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
