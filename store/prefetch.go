package store

import (
	"context"
	"io"
)

// prefetched is a record or the error that ended the source.
type prefetched struct {
	rec Record
	err error
}

// prefetch reads src in its own goroutine, a batch ahead, so that parsing
// or generating records overlaps with PostgreSQL consuming the COPY.
func prefetch(ctx context.Context, src RecordSource) RecordSource {
	ch := make(chan []prefetched, 8)
	go func() {
		defer close(ch)
		const batch = 256
		buf := make([]prefetched, 0, batch)
		for {
			rec, err := src.Next()
			buf = append(buf, prefetched{rec, err})
			if err != nil || len(buf) == batch {
				select {
				case ch <- buf:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
				buf = make([]prefetched, 0, batch)
			}
		}
	}()
	return &prefetchSource{ch: ch}
}

type prefetchSource struct {
	ch  <-chan []prefetched
	cur []prefetched
}

func (p *prefetchSource) Next() (Record, error) {
	for len(p.cur) == 0 {
		b, ok := <-p.ch
		if !ok {
			return Record{}, io.EOF
		}
		p.cur = b
	}
	r := p.cur[0]
	p.cur = p.cur[1:]
	return r.rec, r.err
}
