// Package filter parses, compiles and evaluates SCIM 2.0 filters
// (RFC 7644 section 3.4.2.2) and attribute paths against resource
// documents.
//
// A document is the JSON-shaped map a store.Resource renders to: core
// attributes at the top level under their canonical names, each schema
// extension as a nested map under its URN, values of type string, bool,
// float64, int64, int, json.Number, map[string]any, []any or nil.
//
//	f, err := filter.Parse(`userName eq "bjensen" and emails[type eq "work"]`,
//		filter.WithSchemas(schema.User(), schema.EnterpriseUser())) // package github.com/scimkit/scimkit/schema
//	if err != nil { /* errors.Is(err, filter.ErrInvalidFilter) */ }
//	if f.Match(doc) { ... }
//
// A filter is compiled once (attribute paths resolved, constants
// case-folded, timestamps parsed) and then evaluated any number of times,
// concurrently, without allocating in the common case.
//
// # Limits
//
// Parse (filters), ParsePath (sortBy and the names of attributes and
// excludedAttributes) and ParsePatchPath (PATCH paths) are the only
// parsing entries, and they apply one set of limits, so that hostile input
// costs time and memory linear in a small size whatever request parameter
// it arrives in:
//
//   - Length: at most DefaultMaxLength (4096) bytes after trimming
//     surrounding white space, or what WithMaxLength sets. Longer text is
//     refused before any parsing; filter-parser would spend seconds and
//     about 2 KiB per byte on a 900 KB path.
//   - Nesting: parentheses and value-filter brackets at most 100 deep;
//     value filters cannot nest inside value filters.
//   - Expression depth: at most 10000 levels in Compile (a long and/or
//     chain is as deep as it is long), so that no expression exhausts the
//     stack.
//   - Error messages: every error quotes at most the first 64 bytes of the
//     rejected text, and of any piece of it named in the reason, followed by
//     "…" (Excerpt).
//   - Panics: every call into filter-parser is wrapped in a recover that
//     turns a panic into an error.
//
// Every error these entries return is an *Error wrapping ErrInvalidFilter.
//
// # Semantics
//
// All operators of RFC 7644 are supported: eq, ne, co, sw, ew, gt, ge, lt,
// le, pr, and, or, not (with precedence not > and > or), parentheses, value
// paths (emails[type eq "work" and value co "@example.com"]), sub-attributes
// (name.familyName) and URN-qualified names. Attribute names match
// case-insensitively, both in the filter and in the document.
//
// With WithSchemas, comparisons follow the attribute's type: strings
// compare case-insensitively unless the attribute is caseExact (id,
// externalId, meta.version, references), dateTime values compare as
// instants (falling back to string comparison when either side is not
// RFC 3339), integer and decimal numerically, and booleans support only eq
// and ne. Unknown attributes and type-incompatible operators are errors.
// Without schemas any attribute is accepted, strings compare
// case-insensitively and the type is inferred from the compare value.
//
// Case-insensitive means: compared after Fold, the canonical Unicode simple
// case folding (each rune mapped to the smallest rune that
// strings.EqualFold considers equal to it; ASCII letters fold to upper
// case). So eq is Fold(s) == Fold(c), co is strings.Contains(Fold(s),
// Fold(c)), sw and ew are prefix and suffix tests on folded strings, gt,
// ge, lt and le compare folded strings bytewise, and Path.Compare orders
// strings of attributes that are not caseExact by their folded form. The
// constant is folded when the filter is compiled. Stores use the same
// Fold for case-insensitive keys, so index lookups agree with Match.
//
// A multi-valued attribute matches when any of its values matches;
// `emails eq "x"` compares the elements' "value" sub-attribute. "pr" is
// true for values that are not null, "" or empty arrays or objects.
// `attr eq null` holds when the attribute is absent and `attr ne null` when
// it is present. "ne" also holds when the attribute is absent. Values of
// the wrong type never match (except for "ne"), and no document makes
// Match panic.
//
// # Translation to SQL
//
// Filter.SQL turns a filter compiled WithSchemas into a parameterised SQL
// WHERE clause for SQLite (JSON functions over TEXT) or PostgreSQL (jsonb),
// with exactly Match's semantics, plus a residual Filter for what it could
// not translate. An SQLTarget names the store's columns: scalar columns
// for top-level attributes (userName, with a second column holding
// Fold(userName) for case-insensitive comparison, meta.created as Unix
// milliseconds, ...), a JSON column with the resource's attributes, and
// one with FoldDocument of them. Case-insensitive comparisons compare
// folded columns or the folded document with the folded constant, so that
// `userName eq "x"` becomes `user_name_fold = ?`, which an index serves.
// Filter values and JSON paths are always bound parameters.
//
// The conjuncts of a top-level "and" are translated one by one; an "or" or
// "not" only as a whole. Left to the residual are: filters without
// schemas, attributes neither in a column nor in the document (meta.version,
// meta.resourceType, groups, members), dateTime comparisons other than
// eq/ne/gt/ge/lt/le on a dateTime column with a compare value that is an
// RFC 3339 timestamp of whole milliseconds, string comparisons with no
// suitable column or document (case-insensitive ones need Folded or
// FoldedDoc), and multi-valued sub-attributes.
//
// The translation relies on what a store keeps: documents rendered with
// canonical attribute names (as store.Resource.Attributes holds them),
// single-valued attributes holding a single value (not an array),
// timestamp columns holding the same instant as meta.created or
// meta.lastModified in the document (which store.FormatTime renders to the
// millisecond), numbers that round-trip through JSON (integers as int64,
// decimals as float64 below 2^53), valid UTF-8 strings and, for
// PostgreSQL, a UTF-8 database and numeric (not double precision) decimal
// columns. Values of the wrong type never match, as in Match, and
// multi-valued attributes are tested element by element with EXISTS over
// json_each or jsonb_array_elements.
//
// # Parser workarounds
//
// Filters are parsed with github.com/scim2/filter-parser/v2 (v2.3.1), whose
// known shortcomings this package works around before and after calling it:
//
//   - It rejects leading and trailing white space; Parse trims it.
//   - It leaves JSON escape sequences in string compare values (`"a\"b"`
//     yields `a\"b`); Compile decodes them.
//   - It accepts only upper-case hex digits in \u escapes; Parse normalizes
//     them.
//   - Its value-filter grammar allows at most two comparisons joined by one
//     "and"/"or" and no parentheses. Parse cuts every value path out of the
//     text, parses the bracket content with the full filter grammar and
//     splices the result back into the tree.
//   - It rejects attr[filter].sub op value, which clients send (e.g.
//     emails[type eq "work"].value eq "x"). Parse rewrites it to the
//     equivalent attr[filter and sub op value].
//   - Its errors mostly point at the start of the alternative that failed.
//     Parse re-checks a rejected filter token by token to report the byte
//     offset and reason of the first real problem in an *Error.
//
// Filter.Expression returns the tree after these rewrites.
package filter
