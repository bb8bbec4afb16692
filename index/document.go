package index

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	json "github.com/goccy/go-json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openinventory/assets/store"
)

// pairSep joins an object field's key and value into one keyword. It sorts
// below every printable character, so "key\x1f..." keywords of one key form
// a contiguous range, and it does not occur in real keys.
const pairSep = "\x1f"

// Document is the indexed form of an asset and its _source. It carries every
// attribute, so reads render from Elasticsearch alone (DecodeAsset), plus
// the scoping ids and derived search fields. Strings PostgreSQL may hold as
// NULL are left out when empty (the store reads NULL as ""); the others are
// written even when empty, so an empty value is a value in queries.
type Document struct {
	ID          string   `json:"id"`
	TenantID    string   `json:"tenant_id"`
	OrgIDs      []string `json:"org_ids,omitempty"`
	GroupIDs    []string `json:"group_ids,omitempty"`
	Version     int64    `json:"version"`
	Type        string   `json:"type,omitempty"`
	Class       string   `json:"class,omitempty"`
	ClassRank   int16    `json:"class_rank"`
	ClassLocked bool     `json:"class_locked,omitempty"`
	Labels      []string `json:"labels,omitempty"`
	// Tags are "key\x1fvalue" pairs sorted by key; TagKeys the keys.
	Tags    []string `json:"tags,omitempty"`
	TagKeys []string `json:"tag_keys,omitempty"`

	// Registry, Repository and Name are never NULL in PostgreSQL, so
	// they are always written, "" included: an empty string is a value.
	Registry            string                     `json:"registry"`
	Repository          string                     `json:"repository"`
	Name                string                     `json:"name"`
	ConfigDigest        string                     `json:"config_digest,omitempty"`
	DistributionDigests []store.DistributionDigest `json:"distribution_digests,omitempty"`
	ImageTags           []string                   `json:"image_tags,omitempty"`
	BuiltAt             *time.Time                 `json:"built_at,omitempty"`
	SizeBytes           *int64                     `json:"size_bytes,omitempty"`
	OS                  string                     `json:"os,omitempty"`
	OSVersion           string                     `json:"os_version,omitempty"`
	Architecture        string                     `json:"architecture,omitempty"`
	Variant             string                     `json:"variant,omitempty"`
	Author              string                     `json:"author,omitempty"`
	Config              json.RawMessage            `json:"config,omitempty"`
	ImageLabels         []string                   `json:"image_labels,omitempty"` // pairs, like Tags
	ImageLabelKeys      []string                   `json:"image_label_keys,omitempty"`
	Extra               json.RawMessage            `json:"extra,omitempty"`

	RiskScore  *int32            `json:"risk_score,omitempty"`
	Issues     store.IssueCounts `json:"issues"`
	LastScan   *time.Time        `json:"last_scan,omitempty"`
	LastSeenAt time.Time         `json:"last_seen_at"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`

	// Attrs is the asset's attributes as the API answers them
	// (AttributesJSON): reads splice it in without decoding (attrs.go).
	Attrs    json.RawMessage `json:"attrs,omitempty"`
	attrsErr error

	// QGrams and QOverflow are the substring index of q (qgrams.go).
	QGrams    []string `json:"q_grams,omitempty"`
	QOverflow []string `json:"q_overflow,omitempty"`
}

// Project builds the document of an asset. Slices of a are shared, not
// copied: the document is meant to be encoded and dropped.
func Project(a *store.Asset) Document {
	d := Document{
		ID: a.ID, TenantID: a.TenantID, OrgIDs: a.OrgIDs, GroupIDs: a.GroupIDs,
		Version: a.Version, Type: a.Type, Class: a.ClassName(), ClassRank: a.ClassRank,
		ClassLocked: a.ClassLocked, Labels: a.Labels,
		Registry: a.Registry, Repository: a.Repository, Name: a.Name,
		ConfigDigest: a.ConfigDigest, DistributionDigests: a.DistributionDigests,
		ImageTags: a.ImageTags, BuiltAt: a.BuiltAt, SizeBytes: a.SizeBytes,
		OS: a.OS, OSVersion: a.OSVersion, Architecture: a.Architecture, Variant: a.Variant,
		Author: a.Author, Config: a.Config, Extra: a.Extra,
		RiskScore: a.RiskScore, Issues: a.Issues, LastScan: a.LastScan,
		LastSeenAt: a.LastSeenAt, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
	d.Tags, d.TagKeys = pairs(a.Tags)
	d.ImageLabels, d.ImageLabelKeys = pairs(a.ImageLabels)
	d.Attrs, d.attrsErr = AttributesJSON(a) // AppendJSON reports the error
	d.QGrams, d.QOverflow = d.qGrams(QGramsPerDocumentDefault)
	return d
}

// pairs flattens a map into sorted key\x1fvalue keywords and its keys.
func pairs(m map[string]string) (kv, keys []string) {
	if len(m) == 0 {
		return nil, nil
	}
	keys = make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	kv = make([]string, len(keys))
	for i, k := range keys {
		kv[i] = k + pairSep + m[k]
	}
	return kv, keys
}

func splitPair(p string) (key, value string) {
	key, value, _ = strings.Cut(p, pairSep)
	return key, value
}

func unpairs(kv []string) map[string]string {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]string, len(kv))
	for _, p := range kv {
		k, v := splitPair(p)
		m[k] = v
	}
	return m
}

// Asset rebuilds the store.Asset the document was projected from.
func (d *Document) Asset() *store.Asset {
	a := &store.Asset{
		ID: d.ID, TenantID: d.TenantID, Type: d.Type, ClassRank: d.ClassRank,
		ClassLocked: d.ClassLocked, Labels: d.Labels, Tags: unpairs(d.Tags),
		Registry: d.Registry, Repository: d.Repository, Name: d.Name,
		ConfigDigest: d.ConfigDigest, DistributionDigests: d.DistributionDigests,
		ImageTags: d.ImageTags, BuiltAt: d.BuiltAt, SizeBytes: d.SizeBytes,
		OS: d.OS, OSVersion: d.OSVersion, Architecture: d.Architecture, Variant: d.Variant,
		Author: d.Author, Config: d.Config, ImageLabels: unpairs(d.ImageLabels), Extra: d.Extra,
		RiskScore: d.RiskScore, Issues: d.Issues, LastScan: d.LastScan,
		LastSeenAt: d.LastSeenAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		Version: d.Version, OrgIDs: d.OrgIDs, GroupIDs: d.GroupIDs,
	}
	return a
}

// DecodeAsset rebuilds an asset from a document's _source.
func DecodeAsset(source []byte) (*store.Asset, error) {
	var d Document
	if err := json.Unmarshal(source, &d); err != nil {
		return nil, fmt.Errorf("decoding asset document: %w", err)
	}
	return d.Asset(), nil
}

// MarshalJSON encodes the document with AppendJSON.
func (d *Document) MarshalJSON() ([]byte, error) {
	return d.AppendJSON(make([]byte, 0, 2048))
}

// AppendJSON appends the document's JSON to dst. It is written out by hand
// because encoding documents is the hot path of a reindex; the field names
// match the struct tags, which DecodeAsset uses. Config and Extra must be
// valid JSON (they come from jsonb); anything else is an error rather than
// a corrupt bulk body. It is long because it is one field after another
// in mapping order; cutting it up would only hide that order.
func (d *Document) AppendJSON(dst []byte) ([]byte, error) {
	b := append(dst, `{"id":`...)
	b = appendString(b, d.ID)
	b = append(b, `,"tenant_id":`...)
	b = appendString(b, d.TenantID)
	b = appendStrings(b, `,"org_ids":`, d.OrgIDs)
	b = appendStrings(b, `,"group_ids":`, d.GroupIDs)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, d.Version, 10)
	b = appendField(b, `,"type":`, d.Type)
	b = appendField(b, `,"class":`, d.Class)
	b = append(b, `,"class_rank":`...)
	b = strconv.AppendInt(b, int64(d.ClassRank), 10)
	if d.ClassLocked {
		b = append(b, `,"class_locked":true`...)
	}
	b = appendStrings(b, `,"labels":`, d.Labels)
	b = appendStrings(b, `,"tags":`, d.Tags)
	b = appendStrings(b, `,"tag_keys":`, d.TagKeys)
	b = appendString(append(b, `,"registry":`...), d.Registry)
	b = appendString(append(b, `,"repository":`...), d.Repository)
	b = appendString(append(b, `,"name":`...), d.Name)
	b = appendField(b, `,"config_digest":`, d.ConfigDigest)
	if len(d.DistributionDigests) > 0 {
		b = append(b, `,"distribution_digests":[`...)
		for i, dd := range d.DistributionDigests {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			sep := ""
			if dd.ManifestDigest != "" {
				b = append(b, `"manifest_digest":`...)
				b = appendString(b, dd.ManifestDigest)
				sep = ","
			}
			if dd.IndexDigest != "" {
				b = append(b, sep+`"index_digest":`...)
				b = appendString(b, dd.IndexDigest)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendStrings(b, `,"image_tags":`, d.ImageTags)
	b = appendTimePtr(b, `,"built_at":`, d.BuiltAt)
	if d.SizeBytes != nil {
		b = append(b, `,"size_bytes":`...)
		b = strconv.AppendInt(b, *d.SizeBytes, 10)
	}
	b = appendField(b, `,"os":`, d.OS)
	b = appendField(b, `,"os_version":`, d.OSVersion)
	b = appendField(b, `,"architecture":`, d.Architecture)
	b = appendField(b, `,"variant":`, d.Variant)
	b = appendField(b, `,"author":`, d.Author)
	var err error
	if b, err = appendRaw(b, `,"config":`, d.Config); err != nil {
		return dst, fmt.Errorf("asset %s: config: %w", d.ID, err)
	}
	b = appendStrings(b, `,"image_labels":`, d.ImageLabels)
	b = appendStrings(b, `,"image_label_keys":`, d.ImageLabelKeys)
	if b, err = appendRaw(b, `,"extra":`, d.Extra); err != nil {
		return dst, fmt.Errorf("asset %s: extra: %w", d.ID, err)
	}
	if d.RiskScore != nil {
		b = append(b, `,"risk_score":`...)
		b = strconv.AppendInt(b, int64(*d.RiskScore), 10)
	}
	b = append(b, `,"issues":{"critical":`...)
	b = strconv.AppendInt(b, int64(d.Issues.Critical), 10)
	b = append(b, `,"high":`...)
	b = strconv.AppendInt(b, int64(d.Issues.High), 10)
	b = append(b, `,"medium":`...)
	b = strconv.AppendInt(b, int64(d.Issues.Medium), 10)
	b = append(b, `,"low":`...)
	b = strconv.AppendInt(b, int64(d.Issues.Low), 10)
	b = append(b, '}')
	b = appendTimePtr(b, `,"last_scan":`, d.LastScan)
	b = appendTime(b, `,"last_seen_at":`, d.LastSeenAt)
	b = appendTime(b, `,"created_at":`, d.CreatedAt)
	b = appendTime(b, `,"updated_at":`, d.UpdatedAt)
	if d.attrsErr != nil {
		return dst, d.attrsErr
	}
	if len(d.Attrs) > 0 {
		// Compact and valid as the encoder wrote it: no check needed.
		b = append(append(b, `,"attrs":`...), d.Attrs...)
	}
	b = d.appendQGrams(b)
	return append(b, '}'), nil
}

func appendField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(append(b, name...), v)
}

func appendStrings(b []byte, name string, vs []string) []byte {
	if len(vs) == 0 {
		return b
	}
	b = append(b, name...)
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

func appendTime(b []byte, name string, t time.Time) []byte {
	b = append(b, name...)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendTimePtr(b []byte, name string, t *time.Time) []byte {
	if t == nil {
		return b
	}
	return appendTime(b, name, *t)
}

// appendRaw copies a JSON value, compacting it when it spans lines (a bulk
// body is one document per line).
func appendRaw(b []byte, name string, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return b, nil
	}
	b = append(b, name...)
	if bytes.IndexByte(raw, '\n') < 0 && bytes.IndexByte(raw, '\r') < 0 && json.Valid(raw) {
		return append(b, raw...), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return b, err
	}
	return append(b, buf.Bytes()...), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD as
// encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Digest is the SHA-256 of the document's JSON, as a write sends it and
// Elasticsearch keeps it as _source: equal digests, equal documents.
func (d *Document) Digest() ([sha256.Size]byte, error) {
	b, err := d.AppendJSON(make([]byte, 0, 2048))
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(b), nil
}
