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
// Exact comparisons (==, !=, =in=, =out=, ranges) are case-insensitive on
// fields whose values are case-insensitive by nature, and case-sensitive on
// user text:
//
//   - case-insensitive: id, registry (DNS names), repository and name
//     (lowercase by the distribution spec), config_digest, manifest_digest,
//     index_digest (hex). These keyword fields use the built-in lowercase
//     normalizer, which Elasticsearch also applies to term, range, prefix and
//     wildcard values; registry, repository and name keep a .raw sub-field
//     with the original text for facets and autocomplete.
//   - case-sensitive: labels, tags (keys and values), image_labels,
//     image_tag; type and class are enums. These have an lc sub-field with
//     the lowercase normalizer for wildcards and q.
//
// Wildcard patterns and q are case-insensitive on every field.
//
// # Wildcards
//
// In == and != values every * is a wildcard matching any run of characters
// (x*, *x, *x*, and also a*b or a*b*c); a lone * means the field has a
// value. Other characters are literal: ? and \ are escaped, so values are
// data, never query syntax. x* becomes a prefix query, the rest wildcard
// queries with case_insensitive. =in= and =out= values are always literal,
// which is how a literal * is matched. q==term is a substring search with
// no wildcards: a case-insensitive *term* over labels, tag keys and values,
// registry, repository, name, config digest, manifest and index digests and
// image tags.
//
// # Missing and empty
//
// Empty strings are not indexed, so "" and missing are the same: x=="" and
// x=in=("") match assets without x, x!="" those with it. != and =out= match
// assets lacking the field (or, for tags.k, lacking the key). For tags.k,
// =="" also matches the key with an empty value. Ranges never match a
// missing field. Dates are indexed with millisecond precision (the _source
// keeps the full value); a date without a time means midnight UTC.
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
// placement, then the hits. Group values are collected with a composite
// aggregation, sorted in Go by the contract's sort keys (count ascending by
// default, ties by value) and paged by an opaque cursor; their meta fields
// are computed for the returned page only.
package index
