package store

import (
	"bytes"
	"fmt"
	json "github.com/goccy/go-json"
	"time"
)

// Class is the contract's class object: display_name and rank name the same
// thing (A=1 .. D=4); on input either may be given.
type Class struct {
	DisplayName string `json:"display_name,omitempty"`
	Rank        int16  `json:"rank,omitempty"`
	Locked      *bool  `json:"locked,omitempty"`
}

// Attributes are a container image's attributes as the contract names them:
// the JSON of the import format and of the API's asset resource.
type Attributes struct {
	Class               *Class               `json:"class,omitempty"`
	Labels              []string             `json:"labels"`
	Tags                map[string]string    `json:"tags"`
	Registry            string               `json:"registry,omitempty"`
	Repository          string               `json:"repository,omitempty"`
	Name                string               `json:"name,omitempty"`
	ConfigDigest        string               `json:"config_digest,omitempty"`
	DistributionDigests []DistributionDigest `json:"distribution_digests,omitempty"`
	ImageTags           []string             `json:"image_tags,omitempty"`
	TotalImageTags      *int                 `json:"total_image_tags,omitempty"`
	BuiltAt             *time.Time           `json:"built_at,omitempty"`
	SizeBytes           *int64               `json:"size_bytes,omitempty"`
	OS                  string               `json:"os,omitempty"`
	OSVersion           string               `json:"os_version,omitempty"`
	Architecture        string               `json:"architecture,omitempty"`
	Variant             string               `json:"variant,omitempty"`
	Author              string               `json:"author,omitempty"`
	Config              json.RawMessage      `json:"config,omitempty"`
	RiskScore           *int32               `json:"risk_score,omitempty"`
	Issues              *IssueCounts         `json:"issues,omitempty"`
	LastScan            *time.Time           `json:"last_scan,omitempty"`
	LastSeenAt          *time.Time           `json:"last_seen_at,omitempty"`
	CreatedAt           *time.Time           `json:"created_at,omitempty"`
	UpdatedAt           *time.Time           `json:"updated_at,omitempty"`

	// The rest of the contract's attributes, returned as given and never
	// filtered on; kept in Asset.Extra.
	History            json.RawMessage `json:"history,omitempty"`
	RootFS             json.RawMessage `json:"root_fs,omitempty"`
	OSFeatures         json.RawMessage `json:"os_features,omitempty"`
	InferredBaseImages json.RawMessage `json:"inferred_base_images,omitempty"`
	ScanEngines        json.RawMessage `json:"scan_engines,omitempty"`
	Teams              json.RawMessage `json:"teams,omitempty"`
	TestSurfaces       json.RawMessage `json:"test_surfaces,omitempty"`
}

// extraAttributes is the JSON object kept in Asset.Extra.
type extraAttributes struct {
	History            json.RawMessage `json:"history,omitempty"`
	RootFS             json.RawMessage `json:"root_fs,omitempty"`
	OSFeatures         json.RawMessage `json:"os_features,omitempty"`
	InferredBaseImages json.RawMessage `json:"inferred_base_images,omitempty"`
	ScanEngines        json.RawMessage `json:"scan_engines,omitempty"`
	Teams              json.RawMessage `json:"teams,omitempty"`
	TestSurfaces       json.RawMessage `json:"test_surfaces,omitempty"`
}

// AttributesOf renders an asset as the contract's attributes.
func AttributesOf(a *Asset) Attributes {
	locked := a.ClassLocked
	issues := a.Issues
	total := len(a.ImageTags)
	at := Attributes{
		Class:               &Class{DisplayName: a.ClassName(), Rank: a.ClassRank, Locked: &locked},
		Labels:              nonNil(a.Labels),
		Tags:                a.Tags,
		Registry:            a.Registry,
		Repository:          a.Repository,
		Name:                a.Name,
		ConfigDigest:        a.ConfigDigest,
		DistributionDigests: a.DistributionDigests,
		ImageTags:           a.ImageTags,
		TotalImageTags:      &total,
		BuiltAt:             a.BuiltAt,
		SizeBytes:           a.SizeBytes,
		OS:                  a.OS,
		OSVersion:           a.OSVersion,
		Architecture:        a.Architecture,
		Variant:             a.Variant,
		Author:              a.Author,
		Config:              a.Config,
		RiskScore:           a.RiskScore,
		Issues:              &issues,
		LastScan:            a.LastScan,
		LastSeenAt:          timePtr(a.LastSeenAt),
		CreatedAt:           timePtr(a.CreatedAt),
		UpdatedAt:           timePtr(a.UpdatedAt),
	}
	if at.Tags == nil {
		at.Tags = map[string]string{}
	}
	if len(a.Extra) > 0 {
		var x extraAttributes
		if err := json.Unmarshal(a.Extra, &x); err == nil {
			at.History, at.RootFS, at.OSFeatures = x.History, x.RootFS, x.OSFeatures
			at.InferredBaseImages, at.ScanEngines = x.InferredBaseImages, x.ScanEngines
			at.Teams, at.TestSurfaces = x.Teams, x.TestSurfaces
		}
	}
	return at
}

// apply sets an asset's fields from the contract's attributes, checking
// what the types alone cannot (class, issue counts). Server-computed members
// (name, total_image_tags) are accepted and ignored.
func (at *Attributes) apply(a *Asset) error {
	a.Type = AssetTypeContainerImage
	a.ClassRank = 3
	if c := at.Class; c != nil {
		rank, err := ClassRank(c.DisplayName, c.Rank)
		if err != nil {
			return err
		}
		a.ClassRank = rank
		if c.Locked != nil {
			a.ClassLocked = *c.Locked
		}
	}
	a.Labels, a.Tags = nonNil(at.Labels), at.Tags
	if a.Tags == nil {
		a.Tags = map[string]string{}
	}
	a.Registry, a.Repository = at.Registry, at.Repository
	a.ConfigDigest, a.DistributionDigests, a.ImageTags = at.ConfigDigest, at.DistributionDigests, nonNil(at.ImageTags)
	a.BuiltAt, a.SizeBytes = at.BuiltAt, at.SizeBytes
	a.OS, a.OSVersion, a.Architecture, a.Variant, a.Author = at.OS, at.OSVersion, at.Architecture, at.Variant, at.Author
	a.Config, a.ImageLabels = nil, map[string]string{}
	if len(at.Config) > 0 && !bytes.Equal(at.Config, []byte("null")) {
		var cfg struct {
			Labels map[string]string `json:"labels"`
		}
		if err := json.Unmarshal(at.Config, &cfg); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		a.Config = at.Config
		if cfg.Labels != nil {
			a.ImageLabels = cfg.Labels
		}
	}
	a.RiskScore, a.LastScan = at.RiskScore, at.LastScan
	if at.Issues != nil {
		a.Issues = *at.Issues
	}
	if a.Issues.Critical < 0 || a.Issues.High < 0 || a.Issues.Medium < 0 || a.Issues.Low < 0 {
		return fmt.Errorf("issues: counts must not be negative")
	}
	now := time.Now().UTC()
	a.LastSeenAt, a.CreatedAt, a.UpdatedAt = orNow(at.LastSeenAt, now), orNow(at.CreatedAt, now), orNow(at.UpdatedAt, now)
	x := extraAttributes{at.History, at.RootFS, at.OSFeatures, at.InferredBaseImages, at.ScanEngines, at.Teams, at.TestSurfaces}
	extra, err := json.Marshal(x)
	if err != nil {
		return fmt.Errorf("encoding extra attributes: %w", err)
	}
	a.Extra = extra
	return nil
}

// ClassRank resolves a class given by display name (A..D) and/or rank
// (1..4); when both are given they must agree.
func ClassRank(displayName string, rank int16) (int16, error) {
	var byName int16
	if displayName != "" {
		for r := int16(1); r <= 4; r++ {
			if ClassNames[r] == displayName {
				byName = r
			}
		}
		if byName == 0 {
			return 0, fmt.Errorf("class.display_name: %q is not one of A, B, C, D", displayName)
		}
	}
	switch {
	case rank == 0 && byName == 0:
		return 0, fmt.Errorf("class: display_name or rank is required")
	case rank != 0 && (rank < 1 || rank > 4):
		return 0, fmt.Errorf("class.rank: %d is not one of 1, 2, 3, 4", rank)
	case rank != 0 && byName != 0 && rank != byName:
		return 0, fmt.Errorf("class: display_name %s and rank %d disagree", displayName, rank)
	case rank != 0:
		return rank, nil
	}
	return byName, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func orNow(t *time.Time, now time.Time) time.Time {
	if t == nil {
		return now
	}
	return t.UTC()
}
