package index

// Settings and mappings of a concrete asset index. See doc.go for the case
// rules these encode.

func keyword() map[string]any { return map[string]any{"type": "keyword"} }

// uuidKeyword holds ids (UUIDs): the lowercase normalizer makes the
// indexed term and every compared value lowercase, so an id matches in any
// case, as a PostgreSQL uuid does.
func uuidKeyword() map[string]any {
	return map[string]any{"type": "keyword", "normalizer": "lowercase"}
}

// textKeyword is a string as stored: exact comparisons, sorts and
// aggregations see the original case; its lc sub-field (lowercase
// normalizer) serves the case-insensitive wildcards and q.
func textKeyword() map[string]any {
	return map[string]any{"type": "keyword", "fields": map[string]any{
		"lc": map[string]any{"type": "keyword", "normalizer": "lowercase"},
	}}
}

// date keeps the nanoseconds of an instant (PostgreSQL keeps microseconds;
// a date type would cut them to milliseconds). date_nanos spans 1970 to
// 2262: ignore_malformed keeps a document with an instant outside that
// (a built_at of year 1) instead of rejecting it, the field then being
// unindexed (missing to filters and sorts) while _source keeps it.
func date() map[string]any {
	return map[string]any{"type": "date_nanos", "ignore_malformed": true}
}

// attrsField keeps the API's attributes JSON of an asset (Document.Attrs)
// in _source, unindexed: it is only ever read back.
func attrsField() map[string]any { return map[string]any{"type": "object", "enabled": false} }

// indexBody is the body of the create-index request.
func indexBody() map[string]any {
	integer := map[string]any{"type": "integer"}
	return map[string]any{
		"settings": map[string]any{
			"index": map[string]any{
				// The defaults; Client.createBody puts the configured shape.
				"number_of_shards":   IndexShardsDefault,
				"number_of_replicas": IndexReplicasDefault,
				// A delete's tombstone (with its external version) must outlive
				// any write that can still arrive late, or that write would
				// resurrect the document; a reindex can run for a while.
				"gc_deletes": "1h",
			},
		},
		"mappings": map[string]any{
			"dynamic": "strict",
			"_meta":   mappingMeta(),
			"properties": map[string]any{
				"id":            uuidKeyword(),
				"tenant_id":     uuidKeyword(),
				"org_ids":       uuidKeyword(),
				"group_ids":     uuidKeyword(),
				"version":       map[string]any{"type": "long", "index": false},
				"type":          keyword(),
				"class":         keyword(),
				"class_rank":    map[string]any{"type": "byte"},
				"class_locked":  map[string]any{"type": "boolean"},
				"labels":        textKeyword(),
				"tags":          textKeyword(),
				"tag_keys":      keyword(),
				"registry":      textKeyword(),
				"repository":    textKeyword(),
				"name":          textKeyword(),
				"config_digest": textKeyword(),
				"distribution_digests": map[string]any{"properties": map[string]any{
					"manifest_digest": textKeyword(),
					"index_digest":    textKeyword(),
				}},
				"image_tags":       textKeyword(),
				"built_at":         date(),
				"size_bytes":       map[string]any{"type": "long"},
				"os":               keyword(),
				"os_version":       keyword(),
				"architecture":     keyword(),
				"variant":          keyword(),
				"author":           map[string]any{"type": "keyword", "ignore_above": 1024},
				"config":           map[string]any{"type": "object", "enabled": false},
				"image_labels":     textKeyword(),
				"image_label_keys": keyword(),
				"extra":            map[string]any{"type": "object", "enabled": false},
				"risk_score":       integer,
				"issues": map[string]any{"properties": map[string]any{
					"critical": integer, "high": integer, "medium": integer, "low": integer,
				}},
				"last_scan":    date(),
				"last_seen_at": date(),
				"created_at":   date(),
				"updated_at":   date(),
				"attrs":        attrsField(),
				// Sort fields of other asset types; container images lack them.
				"url": keyword(),
				"scm": keyword(),
				// The substring index of q (qgrams.go).
				qGramsField:    qGramsMapping(),
				qOverflowField: keyword(),
			},
		},
	}
}
