package store

import (
	"fmt"

	"github.com/google/uuid"
)

// seenIDs remembers the first line of every id of an import, per resource
// type, so that a second line with the same id is rejected at once: O(1) per
// line. A 16-byte UUID and a 4-byte line number take about 40 bytes an entry
// with the map's overhead, so ~40 MB for a million assets.
type seenIDs map[string]map[uuid.UUID]int32

// add records the id of type typ on line, or returns the error naming the
// line that had it first.
func (s seenIDs) add(typ string, id uuid.UUID, line int) error {
	lines, ok := s[typ]
	if !ok {
		lines = map[uuid.UUID]int32{}
		s[typ] = lines
	}
	if first, dup := lines[id]; dup {
		return fmt.Errorf("duplicate id %s (first on line %d)", id, first)
	}
	lines[id] = int32(min(line, maxLineRecorded))
	return nil
}

// maxLineRecorded caps the remembered line number: a file of more than two
// billion lines names this line instead of wrapping around.
const maxLineRecorded = 1<<31 - 1
