package store

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sync"
)

// chunk is a run of consecutive lines, parsed by one worker.
type chunk struct {
	first int // line number of lines[0]
	lines [][]byte
	recs  []Record
	err   error // the first bad line of the chunk, or a read error
	done  chan struct{}
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
}

const chunkLines = 256

// NewParallelNDJSONReader reads r with the given number of parsing
// goroutines (at least one).
func NewParallelNDJSONReader(r io.Reader, workers int) *ParallelNDJSONReader {
	p := &ParallelNDJSONReader{out: make(chan *chunk, 4*max(workers, 1)), stop: make(chan struct{})}
	work := make(chan *chunk, 4*max(workers, 1))
	var wg sync.WaitGroup
	for i := 0; i < max(workers, 1); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				c.parse()
			}
		}()
	}
	go func() {
		defer close(work)
		defer close(p.out)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
		line := 0
		for {
			c := &chunk{first: line + 1, done: make(chan struct{})}
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
			// Queue for order first, then for work, so the consumer waits
			// on chunks in file order.
			select {
			case p.out <- c:
			case <-p.stop:
				return
			}
			select {
			case work <- c:
			case <-p.stop:
				return
			}
			if last {
				return
			}
		}
	}()
	return p
}

func (c *chunk) parse() {
	defer close(c.done)
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
// first *LineError.
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
		if !ok {
			p.err = io.EOF
			continue
		}
		<-c.done
		p.cur, p.pos = c, 0
	}
}

// Close stops the goroutines; the reader yields nothing more.
func (p *ParallelNDJSONReader) Close() error {
	p.once.Do(func() { close(p.stop) })
	return nil
}
