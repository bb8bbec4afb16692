package store

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/sourcegraph/conc/panics"
	"github.com/sourcegraph/conc/stream"
)

// chunk is a run of consecutive lines, parsed by one worker.
type chunk struct {
	first int // line number of lines[0]
	lines [][]byte
	recs  []Record
	err   error // the first bad line of the chunk, or a read error
	// panicked is a panic while parsing, raised again by Next in order.
	panicked *panics.Recovered
}

// ParallelNDJSONReader parses import NDJSON with several goroutines and
// yields the records in file order: JSON decoding is most of an import's
// CPU time. Close it when stopping early.
type ParallelNDJSONReader struct {
	out  chan *chunk
	stop chan struct{}
	once sync.Once
	cur  *chunk
	pos  int
	err  error
	// panicked is a panic of the reading goroutine, raised again by Next
	// after the chunks before it; written before out is closed.
	panicked *panics.Recovered
}

const chunkLines = 256

// NewParallelNDJSONReader reads r with the given number of parsing
// goroutines (at least one).
func NewParallelNDJSONReader(r io.Reader, workers int) *ParallelNDJSONReader {
	workers = max(workers, 1)
	p := &ParallelNDJSONReader{out: make(chan *chunk, 4*workers), stop: make(chan struct{})}
	go func() {
		defer close(p.out)
		var pc panics.Catcher
		pc.Try(func() { p.read(r, workers) })
		p.panicked = pc.Recovered()
	}()
	return p
}

// read splits r into chunks and parses them on a stream of workers, whose
// callbacks hand the chunks to Next in file order.
func (p *ParallelNDJSONReader) read(r io.Reader, workers int) {
	s := stream.New().WithMaxGoroutines(workers)
	defer s.Wait()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	line := 0
	for {
		c := &chunk{first: line + 1}
		for len(c.lines) < chunkLines && sc.Scan() {
			line++
			c.lines = append(c.lines, bytes.Clone(sc.Bytes()))
		}
		if err := sc.Err(); err != nil && len(c.lines) < chunkLines {
			c.err = &LineError{Line: line + 1, Err: fmt.Errorf("reading: %w", err)}
		}
		last := len(c.lines) < chunkLines
		if len(c.lines) == 0 && c.err == nil {
			return
		}
		select {
		case <-p.stop:
			return
		default:
		}
		s.Go(func() stream.Callback {
			var pc panics.Catcher
			pc.Try(c.parse)
			c.panicked = pc.Recovered()
			return func() {
				select {
				case p.out <- c:
				case <-p.stop:
				}
			}
		})
		if last {
			return
		}
	}
}

func (c *chunk) parse() {
	if c.err != nil && len(c.lines) == 0 {
		return
	}
	readErr := c.err
	c.recs = make([]Record, 0, len(c.lines))
	for i, b := range c.lines {
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		rec, err := parseLine(b)
		if err != nil {
			c.err = &LineError{Line: c.first + i, Err: err}
			return
		}
		rec.Line = c.first + i
		c.recs = append(c.recs, rec)
	}
	c.lines = nil
	c.err = readErr
}

// Next returns the next record in file order, io.EOF at the end, or the
// first *LineError. A panic while parsing is raised again here.
func (p *ParallelNDJSONReader) Next() (Record, error) {
	for {
		if p.err != nil {
			return Record{}, p.err
		}
		if p.cur != nil && p.pos < len(p.cur.recs) {
			r := p.cur.recs[p.pos]
			p.pos++
			return r, nil
		}
		if p.cur != nil && p.cur.err != nil {
			p.err = p.cur.err
			continue
		}
		c, ok := <-p.out
		if ok && c.panicked != nil {
			panic(c.panicked)
		}
		if !ok {
			if p.panicked != nil {
				panic(p.panicked)
			}
			p.err = io.EOF
			continue
		}
		p.cur, p.pos = c, 0
	}
}

// Close stops the goroutines; the reader yields nothing more.
func (p *ParallelNDJSONReader) Close() error {
	p.once.Do(func() { close(p.stop) })
	return nil
}
