package seed

import (
	"fmt"
	"math/rand"
	"time"

	"github.com/openinventory/assets/store"
)

// MaxProjectsPerAssetDefault bounds the projects seed gives an asset (0 to
// it, skewed low); TargetsPerAsset are 1 to MaxTargetsPerAssetDefault.
const (
	MaxProjectsPerAssetDefault = 6
	MaxTargetsPerAssetDefault  = 3
)

// relationshipSeedSalt derives the relationships' random source from the
// seed, so adding them left the assets of every seed as they were.
const relationshipSeedSalt = 0x5eed_9e1a

var (
	targetFiles    = []string{"Dockerfile", "", "package.json", "go.mod", "requirements.txt", "pom.xml"}
	targetOrigins  = []string{"github", "gitlab", "bitbucket-cloud", "docker-hub", "ecr", "acr", "cli"}
	targetRefs     = []string{"main", "master", "develop", "release", ""}
	osProjectTypes = []string{"apk", "deb", "rpm", "linux"}
	appTypes       = map[string]string{"package.json": "npm", "go.mod": "gomodules", "requirements.txt": "pip", "pom.xml": "maven"}
)

// relationshipGen makes the targets and projects of each asset.
type relationshipGen struct {
	rng *rand.Rand
	now time.Time
}

func newRelationshipGen(seed int64, now time.Time) *relationshipGen {
	return &relationshipGen{rng: rand.New(rand.NewSource(seed ^ relationshipSeedSalt)), now: now}
}

func (g *relationshipGen) uuid() string { return randomUUID(g.rng) }

// records returns a's targets and then its projects: a few target files,
// several snapshots of some of them, so each asset has canonical and
// superseded projects, and some with no target file.
func (g *relationshipGen) records(a *store.Asset) []store.Record {
	if len(a.OrgIDs) == 0 {
		return nil
	}
	var recs []store.Record
	var targets []*store.Target
	for i, n := 0, 1+g.rng.Intn(MaxTargetsPerAssetDefault); i < n; i++ {
		imported := g.now.Add(-time.Duration(g.rng.Int63n(int64(365 * 24 * time.Hour)))).Truncate(time.Second)
		t := &store.Target{ID: g.uuid(), AssetID: a.ID, OrgID: a.OrgIDs[g.rng.Intn(len(a.OrgIDs))],
			TargetFile: targetFiles[g.rng.Intn(len(targetFiles))], TargetOrigin: targetOrigins[g.rng.Intn(len(targetOrigins))],
			TargetRef: targetRefs[g.rng.Intn(len(targetRefs))], IntegrationID: g.uuid(), ImportedAt: &imported}
		targets = append(targets, t)
		recs = append(recs, store.Record{Target: t})
	}
	// Skewed low: most assets have a few projects, some none.
	n := int(float64(MaxProjectsPerAssetDefault+1) * g.rng.Float64() * g.rng.Float64())
	for i := 0; i < n; i++ {
		recs = append(recs, store.Record{Project: g.project(a, targets[g.rng.Intn(len(targets))])})
	}
	return recs
}

func (g *relationshipGen) project(a *store.Asset, t *store.Target) *store.Project {
	file := targetFiles[g.rng.Intn(3)] // Dockerfile, none or package.json: snapshots pile up on few files
	typ := osProjectTypes[g.rng.Intn(len(osProjectTypes))]
	if at, ok := appTypes[file]; ok {
		typ = at
	}
	snap := g.now.Add(-time.Duration(g.rng.Int63n(int64(90 * 24 * time.Hour)))).Truncate(time.Second)
	monitored := snap.Add(-time.Duration(g.rng.Int63n(int64(30 * 24 * time.Hour))))
	p := &store.Project{ID: g.uuid(), AssetID: a.ID, OrgID: t.OrgID, TargetID: t.ID, TargetFile: file,
		TargetOrigin: t.TargetOrigin, TargetRef: t.TargetRef, ProjectType: typ, SnapshotID: g.uuid(), SnapshotCreatedAt: snap,
		MonitorID: g.uuid(), MonitorCreatedAt: &monitored,
		Issues: store.IssueCounts{Critical: int32(g.rng.Intn(3) * g.rng.Intn(2)), High: int32(g.rng.Intn(8) * g.rng.Intn(2)),
			Medium: int32(g.rng.Intn(20)), Low: int32(g.rng.Intn(40))}}
	if g.rng.Intn(5) > 0 {
		r := int32(g.rng.Intn(1000) * g.rng.Intn(1000) / 1000)
		p.RiskScore = &r
	}
	if file == "Dockerfile" && g.rng.Intn(2) == 0 {
		p.BaseImageRemediation = []byte(fmt.Sprintf(`{"code":"UPGRADE_BASE_IMAGE","base_image_name":"alpine:3.%d","base_image_outdated":true}`, 15+g.rng.Intn(5)))
	}
	return p
}
