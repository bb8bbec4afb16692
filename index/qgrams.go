package index

import (
	"strings"
	"unicode/utf8"
)

// q==term is a case-insensitive substring search. A wildcard *term* over
// keyword fields visits every term of every field's dictionary, so the
// projection carries its own substring index instead: q_grams, a text field
// (the built-in whitespace analyzer; this distribution has no n-gram
// tokenizer) holding, for each lowercased value of the q fields, one token
// per character position: the (up to) three characters starting there.
//
//   - A term of three characters or more is a phrase of its trigrams at
//     consecutive positions. A phrase match at position p means the value's
//     characters p.. are the term's, so the phrase is the exact substring
//     test, not a candidate filter: nothing needs confirming. Values are
//     separate array elements, which Elasticsearch keeps 100 positions
//     apart, so a phrase never spans two values.
//   - A shorter term is a prefix query on the tokens: every position's token
//     starts with the character(s) found there, the last two positions of a
//     value included (their tokens are shorter than three characters, so no
//     phrase of full trigrams can match them).
//
// Tokens are written with the runes 0x21-0x7e as themselves and every other
// rune (space, control, non-ASCII, and the escape itself) as
// qGramEscape followed by six hex digits: the whitespace analyzer then
// splits exactly between tokens, and the encoding of a rune is never a
// prefix of another's, so prefixes of tokens are prefixes of grams.

// QGramsPerDocumentDefault caps the gram tokens (one per character of the
// q fields' values) of one document. A document over it gets no grams but
// its lowercased values in q_overflow, which q== searches by wildcard: the
// cap costs such documents speed, never a match, and the wildcard scans
// only the dictionary of q_overflow, which holds the values of over-cap
// documents alone (none in usual data), never the dictionaries of the q
// fields themselves. Labels and tags at
// their limits (50 labels of 40, 100 tags of 30+1+40 characters) take at
// most 9,100; the rest is room for registry, names, digests and image tags.
// It is part of the document's form (verify compares documents), so it is
// a constant: changing it needs an assets reindex.
const QGramsPerDocumentDefault = 16384

const (
	qGramsField    = "q_grams"
	qOverflowField = "q_overflow"
	// qGramSize is the length of the phrase tokens, in characters.
	qGramSize = 3
	// qGramEscape introduces a rune written as six hex digits.
	qGramEscape = '^'
)

// qGrams computes the gram strings of the document's q field values (one
// space-separated string of tokens per value), or, when they would exceed
// limit tokens, the lowercased values themselves (overflow).
func (d *Document) qGrams(limit int) (grams, overflow []string) {
	total := 0
	d.qValues(func(v string) { total += utf8.RuneCountInString(v) })
	if total > limit {
		d.qValues(func(v string) {
			if v != "" {
				overflow = append(overflow, strings.ToLower(v))
			}
		})
		return nil, overflow
	}
	d.qValues(func(v string) {
		if v != "" {
			grams = append(grams, valueGrams(v))
		}
	})
	return grams, nil
}

// qValues calls f with every value the q fields (qFields) index.
func (d *Document) qValues(f func(string)) {
	for _, vs := range [][]string{d.Labels, d.Tags, d.ImageTags} {
		for _, v := range vs {
			f(v)
		}
	}
	for _, v := range []string{d.Registry, d.Repository, d.Name, d.ConfigDigest} {
		f(v)
	}
	for _, dd := range d.DistributionDigests {
		f(dd.ManifestDigest)
		f(dd.IndexDigest)
	}
}

// valueGrams is the token string of one value: the lowercased value's
// (up to) three runes at each position, space-separated.
func valueGrams(v string) string {
	runes := []rune(strings.ToLower(v))
	b := make([]byte, 0, len(runes)*(qGramSize+1))
	for i := range runes {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendGram(b, runes[i:min(i+qGramSize, len(runes))])
	}
	return string(b)
}

func appendGram(b []byte, runes []rune) []byte {
	for _, r := range runes {
		if r > ' ' && r < 0x7f && r != qGramEscape {
			b = append(b, byte(r))
			continue
		}
		b = append(b, qGramEscape)
		for shift := 20; shift >= 0; shift -= 4 {
			b = append(b, hexDigits[(r>>shift)&0xf])
		}
	}
	return b
}

// termGrams is what a lowercased, non-empty term is searched by: its
// trigram tokens in order, or, for a term shorter than a trigram, the one
// token prefix (prefix true).
func termGrams(term string) (tokens []string, prefix bool) {
	runes := []rune(term)
	if len(runes) < qGramSize {
		return []string{string(appendGram(nil, runes))}, true
	}
	tokens = make([]string, 0, len(runes)-qGramSize+1)
	for i := 0; i+qGramSize <= len(runes); i++ {
		tokens = append(tokens, string(appendGram(nil, runes[i:i+qGramSize])))
	}
	return tokens, false
}

// qGramQuery matches the documents whose q_grams contain the lowercased,
// non-empty term as a substring of one value.
func qGramQuery(term string) Query {
	tokens, prefix := termGrams(term)
	if prefix {
		return Query{"prefix": Query{qGramsField: Query{"value": tokens[0]}}}
	}
	return Query{"match_phrase": Query{qGramsField: Query{"query": strings.Join(tokens, " ")}}}
}

// appendQGrams appends the document's q_grams and q_overflow fields.
func (d *Document) appendQGrams(b []byte) []byte {
	b = appendStrings(b, `,"q_grams":`, d.QGrams)
	if len(d.QOverflow) > 0 {
		b = appendStrings(b, `,"q_overflow":`, d.QOverflow)
	}
	return b
}

// qOverflowQuery matches the over-cap documents holding the lowercased term.
func qOverflowQuery(lc string) Query {
	return Query{"wildcard": Query{qOverflowField: Query{"value": "*" + escapeWildcard(lc) + "*"}}}
}

// qGramsMapping is the mapping of q_grams: positions for the phrases, no
// norms (q only filters, never scores).
func qGramsMapping() map[string]any {
	return map[string]any{"type": "text", "analyzer": "whitespace", "norms": false}
}
