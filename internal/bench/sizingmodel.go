package bench

import "math"

// sizingInputs are the measured numbers the model uses, per asset or per
// request, from one report.
type sizingInputs struct {
	docs, assets    float64
	primaryPerAsset float64 // bytes
	heapPerAsset    float64 // bytes
	pgPerAsset      float64 // bytes
	bulkPerDoc      float64 // ES CPU seconds
	esQuery         map[string]float64
	serveQuery      map[string]float64 // CPU seconds per request
	drainPerWorker  float64            // rows/s, the slower drain
	pgWriteRows     float64            // rows/s, one connection
	tenantShare     float64            // largest tenant / assets
}

func newSizingInputs(r *Report) sizingInputs {
	s := r.Sizing
	in := sizingInputs{docs: float64(s.Index.Docs), assets: float64(r.Dataset.Assets),
		bulkPerDoc: s.Bulk.PerThousandDocs / 1000, esQuery: map[string]float64{}, serveQuery: map[string]float64{}}
	// Each Elasticsearch cost is the larger of the process's CPU less the
	// background and the time the bench's index reports: an overestimated
	// background cannot make a cost vanish, nor the index's blind spots
	// (coordination, merges) hide one.
	in.primaryPerAsset = ratio(float64(s.Index.PrimaryStoreBytes), in.docs)
	in.heapPerAsset = ratio(float64(s.Index.HeapBytes), in.docs)
	in.pgPerAsset = ratio(float64(s.Postgres.DatabaseBytes), in.assets)
	in.tenantShare = ratio(float64(r.Dataset.TenantAssets), in.assets)
	for _, q := range s.Queries {
		in.esQuery[q.Name], in.serveQuery[q.Name] = max(q.ElasticsearchMS, q.ShardMS)/1000, q.ServeMS/1000
	}
	for i, d := range s.Outbox {
		if i == 0 || d.RowsPerSecond < in.drainPerWorker {
			in.drainPerWorker = d.RowsPerSecond
		}
		in.bulkPerDoc = max(in.bulkPerDoc, d.IndexMSPerThousand/1e6)
	}
	if m := r.measurement("bulk PATCH"); m != nil {
		for _, st := range m.Sides {
			if st.Side == "store.ApplyPatches" && st.Mean > 0 {
				in.pgWriteRows = bulkSize * 1000 / st.Mean
			}
		}
	}
	return in
}

// readCPUPerAsset is the Elasticsearch CPU (core seconds per second) the
// stated reads take per asset indexed: read cost grows with the documents
// a query matches, assumed in proportion to the data set.
func (in sizingInputs) readCPUPerAsset() float64 {
	return ratio(SizingListRateDefault*in.esQuery["list"]+SizingFacetRateDefault*in.esQuery["group values"]+
		SizingQRateDefault*in.esQuery["q=="], in.docs)
}

// writeCPU is the Elasticsearch CPU of the stated updates, on every copy.
func (in sizingInputs) writeCPU() float64 {
	return SizingUpdateRateDefault * in.bulkPerDoc * (1 + SizingReplicasDefault)
}

// serveCPU is the API's CPU for the stated reads; it does not grow with
// the data set (pages and facets have fixed sizes).
func (in sizingInputs) serveCPU() float64 {
	return SizingListRateDefault*in.serveQuery["list"] + SizingFacetRateDefault*in.serveQuery["group values"] +
		SizingQRateDefault*in.serveQuery["q=="]
}

// sizingPlan is the deployment for one data set size.
type sizingPlan struct {
	assets, primary, esCores, storePerNode, heapPerNode, ramPerNode, pg float64
	shards, nodes, workers, api                                         int
}

func (in sizingInputs) plan(assets float64) sizingPlan {
	p := sizingPlan{assets: assets, primary: in.primaryPerAsset * assets, pg: in.pgPerAsset * assets}
	p.esCores = in.readCPUPerAsset()*assets + in.writeCPU()
	copies := float64(1 + SizingReplicasDefault)
	p.nodes = max(1+SizingReplicasDefault, ceil(p.esCores/(SizingNodeCoresDefault*SizingUtilisationDefault)),
		ceil(p.primary*copies/SizingNodeDiskBytesDefault))
	p.shards = max(p.nodes, ceil(p.primary/SizingShardBytesDefault))
	p.storePerNode = p.primary * copies / float64(p.nodes)
	p.heapPerNode = min(SizingMaxHeapBytesDefault, SizingMinHeapBytesDefault+in.heapPerAsset*assets*copies/float64(p.nodes))
	p.ramPerNode = p.heapPerNode + p.storePerNode
	p.workers = max(1, ceil(ratio(SizingUpdateRateDefault, in.drainPerWorker*SizingUtilisationDefault)))
	p.api = max(2, ceil(in.serveCPU()/(SizingAPICoresDefault*SizingUtilisationDefault)))
	return p
}

// ceil rounds up to an int; a non-finite value (a missing input) is 0.
func ceil(v float64) int {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return int(math.Ceil(v))
}
