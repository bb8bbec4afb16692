package index

// Settings and mappings of a concrete asset index. See doc.go for the case
// rules these encode.

func keyword() map[string]any { return map[string]any{"type": "keyword"} }

// ciKeyword is matched case-insensitively: the indexed term is lowercased,
// and Elasticsearch lowercases term, range, prefix and wildcard values for
// it too. raw keeps the original for facets and autocomplete.
func ciKeyword(raw bool) map[string]any {
	m := map[string]any{"type": "keyword", "normalizer": "lowercase"}
	if raw {
		m["fields"] = map[string]any{"raw": keyword()}
	}
	return m
}

// csKeyword is matched exactly (case-sensitive) and has an lc sub-field for
// case-insensitive wildcards and q.
func csKeyword() map[string]any {
	return map[string]any{"type": "keyword", "fields": map[string]any{
		"lc": map[string]any{"type": "keyword", "normalizer": "lowercase"},
	}}
}

func date() map[string]any { return map[string]any{"type": "date"} }

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
			"properties": map[string]any{
				"id":            ciKeyword(false),
				"tenant_id":     ciKeyword(false),
				"org_ids":       ciKeyword(false),
				"group_ids":     ciKeyword(false),
				"version":       map[string]any{"type": "long", "index": false},
				"type":          keyword(),
				"class":         keyword(),
				"class_rank":    map[string]any{"type": "byte"},
				"class_locked":  map[string]any{"type": "boolean"},
				"labels":        csKeyword(),
				"tags":          csKeyword(),
				"tag_keys":      keyword(),
				"registry":      ciKeyword(true),
				"repository":    ciKeyword(true),
				"name":          ciKeyword(true),
				"config_digest": ciKeyword(false),
				"distribution_digests": map[string]any{"properties": map[string]any{
					"manifest_digest": ciKeyword(false),
					"index_digest":    ciKeyword(false),
				}},
				"image_tags":       csKeyword(),
				"built_at":         date(),
				"size_bytes":       map[string]any{"type": "long"},
				"os":               keyword(),
				"os_version":       keyword(),
				"architecture":     keyword(),
				"variant":          keyword(),
				"author":           map[string]any{"type": "keyword", "ignore_above": 1024},
				"config":           map[string]any{"type": "object", "enabled": false},
				"image_labels":     csKeyword(),
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
				// Sort fields of other asset types; container images lack them.
				"url": keyword(),
				"scm": keyword(),
			},
		},
	}
}
