package store

import (
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/google/uuid"
)

// BenchmarkSeenIDs1M measures the duplicate check of a 1M-asset import: the
// time per id and the memory the map holds at the end.
func BenchmarkSeenIDs1M(b *testing.B) {
	const n = 1_000_000
	ids := make([]uuid.UUID, n)
	for i := range ids {
		binary.BigEndian.PutUint64(ids[i][8:], uint64(i)*0x9e3779b97f4a7c15)
	}
	b.ReportAllocs()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := seenIDs{}
		for i, id := range ids {
			if err := s.add("container_images", id, i+1); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/id")
		runtime.KeepAlive(s)
	}
}
