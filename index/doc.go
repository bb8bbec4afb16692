// Package index is the Elasticsearch side of the asset inventory: the field
// catalogue, the index mapping and the document projection, external-version
// writes, RSQL-to-query translation, searches with search_after paging, and
// the aggregations behind the groups and filters endpoints.
//
// # Indexes
//
// Reads go through an alias (the prefix, ASSETS_INDEX); concrete indexes are
// prefix-initial (created by EnsureIndex) and prefix-<UTC timestamp>
// (NewIndexName, for reindexing). Each has one shard (counts and terms
// aggregations are exact), no replicas, a strict mapping, and gc_deletes of
// 1h so a delete's tombstone outlives late writes of older versions.
//
// # Case rules
//
// One rule for every string selector: exact comparisons (==, !=, =in=,
// =out=, ranges) and sorts see the value as stored, case included, as
// PostgreSQL's = and < do; wildcard patterns and q ignore case. Facets and
// autocomplete return values as stored. Each string field is a keyword as
// stored with an lc sub-field (the lowercase normalizer) that patterns and
// q search. ids (id, tenant, group and org ids) are UUIDs, not text: they
// are compared as PostgreSQL compares a uuid, in any case.
//
// # Wildcards
//
// In == and != values every * is a wildcard matching any run of characters
// (x*, *x, *x*, and also a*b or a*b*c), on every string selector, the
// enumerated type and class included (type==*image*); a lone * means the
// field has a value. Other characters are literal: ? and \ are escaped, so
// values are data, never query syntax. x* becomes a prefix query, the rest
// wildcard queries with case_insensitive. =in= and =out= values are always
// literal, which is how a literal * is matched. q==term is a substring
// search with no wildcards: a case-insensitive *term* over labels, tag keys
// and values, registry, repository, name, config digest, manifest and index
// digests and image tags.
//
// # Missing and empty
//
// An empty string is a value; missing is no value. registry, repository and
// name are never NULL in PostgreSQL, so they are always indexed, "" included:
// x==* matches an empty one, facets have its "" bucket, and it sorts as the
// empty string (first ascending). Fields PostgreSQL may hold as NULL
// (digests, os, ...) are read by the store as "" and indexed only when not
// empty. x=="" and x=in=("") match an empty value or none, x!="" a
// non-empty value; != and =out= match assets lacking the field (or, for
// tags.k, lacking the key). Ranges never match a missing field.
//
// # Instants
//
// Dates are date_nanos, so the microseconds PostgreSQL keeps are compared
// and sorted exactly. A filter value is one instant, never a span: query
// bounds are sent with nine fractional digits, so built_at>10:00:00Z is
// after that instant (10:00:00.8 matches), and built_at==10:00:00Z is that
// instant only. A date without a time is that day's midnight UTC:
// built_at>2025-01-01 is after 2025-01-01T00:00:00Z, built_at>=2025-01-01
// from it. An instant before 1970 or after 2262 (outside date_nanos) is
// kept in _source but unindexed: filters and sorts treat it as missing.
// The max and min of dates in group values are aggregated by Elasticsearch
// in milliseconds. Changing this mapping needs an assets reindex.
//
// # Tags and image labels
//
// An object field with arbitrary keys is indexed as keywords "key\x1fvalue"
// (tags, image_labels) plus a keys array (tag_keys, image_label_keys),
// rather than as nested documents: one Lucene document per asset keeps bulk
// loads fast, and every query stays a plain term/range/prefix/wildcard:
//
//   - tags.k==v is the term "k\x1fv"; =in= a terms query;
//   - ranges on tags.k are ranges between "k\x1f" and "k\x20", the
//     separator sorting below every printable character;
//   - wildcards run on the lowercased pairs (tags.lc), anchored at the
//     lowercased key, together with a term on the exact key;
//   - the key exists: a term on tag_keys;
//   - aggregations: terms on tag_keys for keys, on tags (with the "k\x1f"
//     prefix) for one key's values, on tags for key/value pairs.
//
// Group values of tags show as "key:value".
//
// # Sorting and paging
//
// Sort fields a document lacks sort last in both directions; id breaks
// ties. Backward pages (SearchBefore) reverse the order and missing
// placement, then the hits. Group values are sorted by the contract's sort
// keys (count ascending by default, ties by value) and paged by an opaque
// cursor. On a one-shard index, a page within GroupTermsDepth of the start
// of an order Elasticsearch can express (count, the value, issue sums, a
// max descending or a min ascending) is cut from one terms aggregation
// ordered by those keys and then by value; every other page is cut from a
// composite aggregation collected in full and sorted in Go. Both give the
// same pages and cursors. Meta fields the sort did not compute are
// computed for the returned page only.
package index
