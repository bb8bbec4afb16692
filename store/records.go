package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"regexp"

	"github.com/google/uuid"
)

// Tenant, Group and Org are the hierarchy: a group is in one tenant, an org
// in one group.
type Tenant struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type Group struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Name     string `json:"name"`
}

type Org struct {
	ID      string `json:"id"`
	GroupID string `json:"group_id"`
	Name    string `json:"name"`
}

// Record is one line of an import: exactly one of the pointers is set.
// Line is its 1-based line number in the source, for error messages.
type Record struct {
	Line   int
	Tenant *Tenant
	Group  *Group
	Org    *Org
	Asset  *Asset
	Remove *Removal
	// Project and Target are the relationships behind an asset.
	Project *Project
	Target  *Target
}

// LineError is a problem with one line of an import.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// The contract's limits on labels and tags (see the PATCH schemas).
var (
	LabelPattern    = regexp.MustCompile(`^[a-zA-Z0-9_/:?#@&=+%~-]{1,40}$`)
	TagKeyPattern   = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,30}$`)
	TagValuePattern = regexp.MustCompile(`^[a-zA-Z0-9_/:?#@&=+%~-]{0,40}$`)
)

const (
	MaxLabels = 50
	MaxTags   = 100
)

// ValidateLabelsAndTags checks labels and tags against the contract's limits.
func ValidateLabelsAndTags(labels []string, tags map[string]string) error {
	if len(labels) > MaxLabels {
		return fmt.Errorf("labels: %d labels, at most %d allowed", len(labels), MaxLabels)
	}
	for _, l := range labels {
		if !LabelPattern.MatchString(l) {
			return fmt.Errorf("labels: %q must be 1-40 characters of letters, digits and _/:?#@&=+%%~-", l)
		}
	}
	if len(tags) > MaxTags {
		return fmt.Errorf("tags: %d tags, at most %d allowed", len(tags), MaxTags)
	}
	for k, v := range tags {
		if !TagKeyPattern.MatchString(k) {
			return fmt.Errorf("tags: key %q must be 1-30 characters of letters, digits, _ and -", k)
		}
		if !TagValuePattern.MatchString(v) {
			return fmt.Errorf("tags: value %q of key %q must be up to 40 characters of letters, digits and _/:?#@&=+%%~-", v, k)
		}
	}
	return nil
}

// importLine is the NDJSON shape of one line: a resource, or an operation
// (op and ref) such as a removal.
type importLine struct {
	Op         string          `json:"op"`
	Ref        *resourceRef    `json:"ref"`
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Attributes json.RawMessage `json:"attributes"`
}

// NDJSONReader reads import NDJSON: one resource per line, each
// {"type": ..., "id": ..., "attributes": {...}}, or a removal
// {"op":"remove","ref":{"type":"container_images","id":...}}. Blank lines
// are skipped.
type NDJSONReader struct {
	sc   *bufio.Scanner
	line int
}

// NewNDJSONReader reads resources from r.
func NewNDJSONReader(r io.Reader) *NDJSONReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	return &NDJSONReader{sc: sc}
}

// Next returns the next record, io.EOF at the end, or a *LineError.
func (r *NDJSONReader) Next() (Record, error) {
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		rec, err := parseLine(b)
		if err != nil {
			return Record{}, &LineError{Line: r.line, Err: err}
		}
		rec.Line = r.line
		return rec, nil
	}
	if err := r.sc.Err(); err != nil {
		return Record{}, &LineError{Line: r.line + 1, Err: fmt.Errorf("reading: %w", err)}
	}
	return Record{}, io.EOF
}

func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func checkUUID(what, s string) error {
	if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
		return fmt.Errorf("%s: %q is not a UUID", what, s)
	}
	return nil
}

func parseLine(b []byte) (Record, error) {
	var l importLine
	if err := strictDecode(b, &l); err != nil {
		return Record{}, fmt.Errorf("invalid JSON resource: %w", err)
	}
	if l.Op != "" || l.Ref != nil {
		return parseOperation(l)
	}
	if err := checkUUID("id", l.ID); err != nil {
		return Record{}, err
	}
	if len(l.Attributes) == 0 {
		l.Attributes = []byte("{}")
	}
	switch l.Type {
	case "tenants":
		t := Tenant{ID: l.ID}
		if err := strictDecode(l.Attributes, &struct {
			Name *string `json:"name"`
		}{&t.Name}); err != nil {
			return Record{}, fmt.Errorf("tenant attributes: %w", err)
		}
		return Record{Tenant: &t}, nil
	case "groups":
		g := Group{ID: l.ID}
		if err := strictDecode(l.Attributes, &struct {
			Name     *string `json:"name"`
			TenantID *string `json:"tenant_id"`
		}{&g.Name, &g.TenantID}); err != nil {
			return Record{}, fmt.Errorf("group attributes: %w", err)
		}
		if err := checkUUID("attributes.tenant_id", g.TenantID); err != nil {
			return Record{}, err
		}
		return Record{Group: &g}, nil
	case "orgs":
		o := Org{ID: l.ID}
		if err := strictDecode(l.Attributes, &struct {
			Name    *string `json:"name"`
			GroupID *string `json:"group_id"`
		}{&o.Name, &o.GroupID}); err != nil {
			return Record{}, fmt.Errorf("org attributes: %w", err)
		}
		if err := checkUUID("attributes.group_id", o.GroupID); err != nil {
			return Record{}, err
		}
		return Record{Org: &o}, nil
	case AssetTypeContainerImage:
		a, err := parseAsset(l.ID, l.Attributes)
		if err != nil {
			return Record{}, err
		}
		return Record{Asset: a}, nil
	case ResourceTypeProjects:
		p, err := parseProject(l.ID, l.Attributes)
		if err != nil {
			return Record{}, err
		}
		return Record{Project: p}, nil
	case ResourceTypeTargets:
		t, err := parseTarget(l.ID, l.Attributes)
		if err != nil {
			return Record{}, err
		}
		return Record{Target: t}, nil
	case "":
		return Record{}, errors.New(`missing "type"`)
	default:
		return Record{}, fmt.Errorf("unknown type %q (want tenants, groups, orgs, container_images, projects or targets)", l.Type)
	}
}

// assetAttributes is the import shape of a container image: the contract's
// attributes plus the import-only tenant_id and org_ids, decoded in one pass.
type assetAttributes struct {
	TenantID string   `json:"tenant_id"`
	OrgIDs   []string `json:"org_ids"`
	Attributes
}

// parseAsset decodes a container image's attributes strictly.
func parseAsset(id string, raw json.RawMessage) (*Asset, error) {
	var at assetAttributes
	if err := strictDecode(raw, &at); err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	if err := checkUUID("attributes.tenant_id", at.TenantID); err != nil {
		return nil, err
	}
	for i, o := range at.OrgIDs {
		if err := checkUUID(fmt.Sprintf("attributes.org_ids[%d]", i), o); err != nil {
			return nil, err
		}
	}
	a := &Asset{ID: id, TenantID: at.TenantID, OrgIDs: at.OrgIDs}
	if err := at.Attributes.apply(a); err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	if err := ValidateLabelsAndTags(a.Labels, a.Tags); err != nil {
		return nil, fmt.Errorf("attributes.%w", err)
	}
	return a, nil
}

// WriteNDJSON writes one record as an import line.
func WriteNDJSON(w io.Writer, rec Record) error {
	var l struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes any    `json:"attributes"`
	}
	switch {
	case rec.Tenant != nil:
		l.Type, l.ID, l.Attributes = "tenants", rec.Tenant.ID, map[string]string{"name": rec.Tenant.Name}
	case rec.Group != nil:
		l.Type, l.ID, l.Attributes = "groups", rec.Group.ID, map[string]string{"name": rec.Group.Name, "tenant_id": rec.Group.TenantID}
	case rec.Org != nil:
		l.Type, l.ID, l.Attributes = "orgs", rec.Org.ID, map[string]string{"name": rec.Org.Name, "group_id": rec.Org.GroupID}
	case rec.Remove != nil:
		return writeRemoval(w, rec.Remove)
	case rec.Project != nil:
		l.Type, l.ID, l.Attributes = ResourceTypeProjects, rec.Project.ID, rec.Project.attributesOf()
	case rec.Target != nil:
		l.Type, l.ID, l.Attributes = ResourceTypeTargets, rec.Target.ID, rec.Target.attributesOf()
	case rec.Asset != nil:
		at := AttributesOf(rec.Asset)
		at.Name, at.TotalImageTags = "", nil // computed by the server
		l.Type, l.ID = AssetTypeContainerImage, rec.Asset.ID
		l.Attributes = struct {
			TenantID string   `json:"tenant_id"`
			OrgIDs   []string `json:"org_ids"`
			Attributes
		}{rec.Asset.TenantID, nonNil(rec.Asset.OrgIDs), at}
	default:
		return errors.New("empty record")
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}
