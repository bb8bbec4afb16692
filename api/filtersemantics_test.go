package api

import (
	"strings"
	"testing"
)

// TestFilterDescriptionStatesSemantics: the filter parameter's description
// states the rules the index keeps: case, empty values, wildcards on
// enumerated fields and instants.
func TestFilterDescriptionStatesSemantics(t *testing.T) {
	d := filterDescription(100)
	for _, want := range []string{
		"compare strings as stored, case included",
		"wildcards and `q` ignore case",
		"an empty string is a value, so `registry==*`",
		"(`type` and `class` included)",
		"that day's midnight UTC",
		"compared to the microsecond",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("filter description lacks %q", want)
		}
	}
}
