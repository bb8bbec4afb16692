package bench

import (
	"fmt"
	"math"
	"strings"
)

// bottleneck is one limit of the smallest deployment (one data node, one
// shard, one worker, one PostgreSQL primary): the update rate or the
// asset count at which it binds.
type bottleneck struct {
	name, capacity, derivation string
	rate                       float64 // updates/s it allows; 0: not rate bound
	assets                     float64 // assets it allows; 0: not size bound
}

func (in sizingInputs) bottlenecks() []bottleneck {
	nodeBudget := SizingNodeCoresDefault * SizingUtilisationDefault
	shard := ratio(SizingShardBytesDefault, in.primaryPerAsset)
	qPerAsset := ratio(SizingQRateDefault*in.esQuery["q=="], in.docs)
	return []bottleneck{
		{name: "PostgreSQL write rate", rate: in.pgWriteRows * SizingUtilisationDefault,
			capacity: fmt.Sprintf("%s rows/s, one connection", thousands(in.pgWriteRows)),
			derivation: fmt.Sprintf("%s × %.1f; batches of %d (single-asset PATCHes cost more a row, more connections add cores)",
				thousands(in.pgWriteRows), SizingUtilisationDefault, bulkSize)},
		{name: "outbox drain per worker", rate: in.drainPerWorker * SizingUtilisationDefault,
			capacity:   fmt.Sprintf("%s rows/s", thousands(in.drainPerWorker)),
			derivation: fmt.Sprintf("%s × %.1f; more workers share the outbox (SKIP LOCKED)", thousands(in.drainPerWorker), SizingUtilisationDefault)},
		{name: "one shard's size", assets: shard,
			capacity: fmt.Sprintf("%s of primary store", bytesText(SizingShardBytesDefault)),
			derivation: fmt.Sprintf("%s / %s per 1M assets; documents are routed by id, so more shards lift it. Routed by tenant, "+
				"the largest tenant (%.0f%% of the assets) would fill its shard at %s assets whatever the shard count",
				bytesText(SizingShardBytesDefault), perMillion(in.primaryPerAsset), in.tenantShare*100, millions(ratio(shard, in.tenantShare)))},
		{name: "Elasticsearch CPU for q==", assets: ratio(nodeBudget, qPerAsset),
			capacity: fmt.Sprintf("%.0f cores × %.1f", SizingNodeCoresDefault, SizingUtilisationDefault),
			derivation: fmt.Sprintf("%.1f / (%.0f q==/s × %.2f ms / 1000 / %s docs)", nodeBudget, SizingQRateDefault,
				in.esQuery["q=="]*1000, thousands(in.docs))},
		{name: "Elasticsearch CPU, all of the load", assets: ratio(nodeBudget-in.writeCPU(), in.readCPUPerAsset()),
			capacity:   fmt.Sprintf("%.0f cores × %.1f", SizingNodeCoresDefault, SizingUtilisationDefault),
			derivation: fmt.Sprintf("(%.1f − %.2f for writes) / %.3g core per asset for reads (the plan's CPU row)", nodeBudget, in.writeCPU(), in.readCPUPerAsset())},
	}
}

// sizingBottlenecks writes the table of limits and names the first.
func sizingBottlenecks(b *strings.Builder, in sizingInputs) {
	t := newTable("bottleneck", "capacity of one", "binds at", "derivation")
	bs := in.bottlenecks()
	first, firstAt := "", math.Inf(1)
	var already []string
	for _, x := range bs {
		at := ""
		switch {
		case x.rate > 0:
			at = fmt.Sprintf("%s updates/s", thousands(x.rate))
			if x.rate < SizingUpdateRateDefault {
				already = append(already, x.name)
			}
		case x.assets > 0:
			at = millions(x.assets) + " assets"
			if x.assets < firstAt {
				first, firstAt = x.name, x.assets
			}
		default:
			at = "not measured"
		}
		t.add(x.name, x.capacity, at, x.derivation)
	}
	b.WriteString("For the smallest deployment (one data node, one shard, one sync worker, one PostgreSQL primary), at the load above:\n\n")
	b.WriteString(t.markdown())
	b.WriteString("\n")
	if len(already) > 0 {
		fmt.Fprintf(b, "At %.0f updates/s, %s binds first, whatever the size: add workers or write capacity before anything else.\n",
			SizingUpdateRateDefault, strings.Join(already, " and "))
	}
	if first != "" {
		fmt.Fprintf(b, "Of the limits that grow with the data, %s binds first, at %s assets; the plan above adds nodes and shards before it.\n",
			first, millions(firstAt))
	}
}
