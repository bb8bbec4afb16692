package index

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/store"
)

// normalise maps empty collections to nil, as the document does.
func normalise(a *store.Asset) *store.Asset {
	c := *a
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	if len(c.Tags) == 0 {
		c.Tags = nil
	}
	if len(c.ImageLabels) == 0 {
		c.ImageLabels = nil
	}
	if len(c.OrgIDs) == 0 {
		c.OrgIDs = nil
	}
	if len(c.GroupIDs) == 0 {
		c.GroupIDs = nil
	}
	if len(c.ImageTags) == 0 {
		c.ImageTags = nil
	}
	if len(c.DistributionDigests) == 0 {
		c.DistributionDigests = nil
	}
	for _, t := range []*time.Time{&c.LastSeenAt, &c.CreatedAt, &c.UpdatedAt} {
		*t = t.UTC()
	}
	for _, t := range []**time.Time{&c.BuiltAt, &c.LastScan} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	return &c
}

func TestDocumentRoundTrip(t *testing.T) {
	assets, _ := synthAssets(300, 1)
	odd := *assets[0]
	odd.Labels = []string{"quote\"", "back\\", "tab\t", "nl\n", "ctl\x01", "ünïcode", "bad\xffutf8", "<html>&"}
	odd.Tags = map[string]string{"k=v": "a\x1fb", "": "empty key"}
	odd.Config = json.RawMessage("{\n  \"user\": \"x\"\n}")
	loc := time.FixedZone("X", 3600)
	bt := time.Date(1, 1, 1, 0, 0, 0, 123456000, loc)
	odd.BuiltAt = &bt
	assets = append(assets, &odd)
	for _, a := range assets {
		d := Project(a)
		b, err := d.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) || strings.ContainsAny(string(b), "\n\r") {
			t.Fatalf("invalid or multi-line JSON: %s", b)
		}
		got, err := DecodeAsset(b)
		if err != nil {
			t.Fatal(err)
		}
		want := normalise(a)
		if a == &odd {
			want.Labels[6] = "bad\ufffdutf8"
			want.Config = json.RawMessage(`{"user":"x"}`)
			// "k=v" and the empty key survive; a \x1f inside a value does too,
			// since the split is at the first separator.
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %s:\n got %+v\nwant %+v", a.ID, got, want)
		}
		// The hand-written encoder agrees with the struct tags.
		var viaTags, viaHand map[string]any
		type plain Document // no MarshalJSON
		tagged, _ := json.Marshal((*plain)(&d))
		_ = json.Unmarshal(tagged, &viaTags)
		_ = json.Unmarshal(b, &viaHand)
		if a != &odd && !reflect.DeepEqual(viaTags, viaHand) {
			t.Errorf("encoders differ:\n tags %s\n hand %s", tagged, b)
		}
	}
	d := Project(&odd)
	d.Extra = json.RawMessage(`{"x":`)
	if _, err := d.AppendJSON(nil); err == nil {
		t.Error("invalid Extra: no error")
	}
}

func TestProjectPairs(t *testing.T) {
	d := Project(&store.Asset{Tags: map[string]string{"b": "2", "a": "1"}, ImageLabels: map[string]string{"x": ""}, ClassRank: 2})
	if !reflect.DeepEqual(d.Tags, []string{"a\x1f1", "b\x1f2"}) || !reflect.DeepEqual(d.TagKeys, []string{"a", "b"}) {
		t.Errorf("tags %q keys %q", d.Tags, d.TagKeys)
	}
	if !reflect.DeepEqual(d.ImageLabels, []string{"x\x1f"}) || d.Class != "B" {
		t.Errorf("image labels %q class %q", d.ImageLabels, d.Class)
	}
}
