// Package store owns PostgreSQL: tenants, groups, orgs, assets and their org
// membership, API tokens, stored searches, and the outbox the sync worker reads.
//
// # Function signatures
//
// Every function that touches the database takes a context first, then
// one database handle, chosen by one rule:
//
//   - q Querier: the function runs a single statement (a read, or one
//     write that is atomic by itself). The caller picks the handle: the
//     pool, or its own transaction to read or write inside it.
//   - pool *pgxpool.Pool: the function runs several statements that must be
//     all or nothing, so it opens, commits or rolls back its own
//     transaction (Import, CreateToken, UpdateAssets, ApplyPatches), or it
//     needs a whole pool (Migrate).
//   - tx pgx.Tx: the function is only correct inside the caller's
//     transaction, because what it does must commit or roll back with the
//     caller's other work (ClaimOutbox locks rows until the caller's
//     DeleteOutbox or RetryOutbox commits).
//
// Unexported helpers follow the same rule; those that are steps of a
// function owning a transaction take its pgx.Tx.
//
// Options of a function with several of them are functional options
// (ImportOption). Errors from PostgreSQL are told apart by their SQLSTATE:
// see SQLState and the SQLState... constants.
package store

import (
	"encoding/json"
	"time"
)

// AssetTypeContainerImage is the only asset type so far.
const AssetTypeContainerImage = "container_images"

// ClassNames maps a class rank (1..4) to its display name.
var ClassNames = [5]string{"", "A", "B", "C", "D"}

// IssueCounts are issue counts by severity.
type IssueCounts struct {
	Critical int32 `json:"critical"`
	High     int32 `json:"high"`
	Medium   int32 `json:"medium"`
	Low      int32 `json:"low"`
}

// Total is the sum over all severities.
func (c IssueCounts) Total() int64 {
	return int64(c.Critical) + int64(c.High) + int64(c.Medium) + int64(c.Low)
}

// DistributionDigest is one manifest/index digest pair.
type DistributionDigest struct {
	ManifestDigest string `json:"manifest_digest,omitempty"`
	IndexDigest    string `json:"index_digest,omitempty"`
}

// Asset is one row of the assets table with its org membership: everything
// the API returns and the index projects.
type Asset struct {
	ID          string
	TenantID    string
	Type        string
	ClassRank   int16
	ClassLocked bool
	Labels      []string
	Tags        map[string]string

	Registry            string
	Repository          string
	Name                string // registry/repository, computed by the database
	ConfigDigest        string
	DistributionDigests []DistributionDigest
	ImageTags           []string
	BuiltAt             *time.Time
	SizeBytes           *int64
	OS                  string
	OSVersion           string
	Architecture        string
	Variant             string
	Author              string
	// Config is the OCI image config object as given (entry_point, env,
	// labels, ...); ImageLabels is its "labels" member, kept apart because
	// it is filtered on.
	Config      json.RawMessage
	ImageLabels map[string]string
	// Extra holds the remaining contract attributes that are returned but
	// never filtered on (history, root_fs, os_features, inferred_base_images,
	// scan_engines, teams, test_surfaces), as a JSON object.
	Extra json.RawMessage

	RiskScore  *int32
	Issues     IssueCounts
	LastScan   *time.Time
	LastSeenAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64

	// OrgIDs are the orgs the asset is used in; GroupIDs the groups of
	// those orgs (derived, for group scope).
	OrgIDs   []string
	GroupIDs []string
}

// ClassName is the display name (A..D) of the asset's class.
func (a *Asset) ClassName() string {
	if a.ClassRank < 1 || a.ClassRank > 4 {
		return ""
	}
	return ClassNames[a.ClassRank]
}
