package filter

import (
	"errors"
	"testing"
)

func FuzzParseMatch(f *testing.F) {
	for _, tc := range matchCases() {
		f.Add(tc.filter)
	}
	docs := []map[string]any{userDoc(), groupDoc(), minimalDoc(), looseDoc(), nil, {}}
	opts := [][]Option{nil, {userOpt}, {groupOpt}}
	f.Fuzz(func(t *testing.T, text string) {
		for _, o := range opts {
			flt, err := Parse(text, o...)
			if err != nil {
				checkParseError(t, "Parse", text, err, true)
				continue
			}
			lookups, indexed := flt.IndexLookups()
			for _, d := range docs {
				if flt.Match(d) && indexed && !coveredByLookups(d, lookups) {
					t.Fatalf("%q matches a document its IndexLookups %v miss", text, lookups)
				}
			}
			flt.Equalities()
			// The rendering must parse again, to the same rendering.
			s := flt.String()
			again, err := Parse(s, o...)
			if err != nil {
				t.Fatalf("Parse(%q) ok, but its rendering %q fails: %v", text, s, err)
			}
			if again.String() != s {
				t.Fatalf("rendering of %q is not stable: %q vs %q", text, s, again.String())
			}
			for _, d := range docs {
				if flt.Match(d) != again.Match(d) {
					t.Fatalf("%q and its rendering %q disagree on %v", text, s, d)
				}
			}
		}
	})
}

func asFilterError(err error, target **Error) bool {
	fe, ok := err.(*Error)
	if ok {
		*target = fe
	}
	return ok
}

// FuzzPaths holds the path entries, ParsePatchPath (with CompileValueFilter
// of its value filter) and ParsePath, to the rules of Parse: no panic,
// every error an *Error wrapping ErrInvalidFilter with a position inside
// the text and a message that quotes only a prefix of it.
func FuzzPaths(f *testing.F) {
	for _, s := range []string{
		"title", "name.givenName", " emails.value ",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
		`members[value eq "2819c223"]`, `emails[type eq "work"].value`,
		`emails[type eq "work" and value co "@example.com"]`, `emails[primary eq true]`,
		`emails[type eq "work"]`, `emails[not (type eq "work")]`, `emails[type eq "a\"b"].value`,
		"a.b.c", "", "[", "emails[", "emails[]", "]", "emails]]", "$ref", "members.$ref",
	} {
		f.Add(s)
	}
	opts := [][]Option{nil, {userOpt}, {groupOpt}, {WithMaxLength(16)}}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePatchPath(text)
		if err != nil {
			checkParseError(t, "ParsePatchPath", text, err, true)
		} else {
			if p.Attribute == "" {
				t.Fatalf("ParsePatchPath(%q) has no attribute name", text)
			}
			if p.HasValueFilter() {
				for _, o := range opts {
					if _, err := p.ValueFilter("emails", o...); err != nil {
						checkParseError(t, "CompileValueFilter", text, err, false)
					}
				}
			}
		}
		for _, o := range opts {
			if _, err := ParsePatchPath(text, o...); err != nil {
				checkParseError(t, "ParsePatchPath", text, err, true)
			}
			if _, err := ParsePath(text, o...); err != nil {
				checkParseError(t, "ParsePath", text, err, true)
			}
		}
	})
}

// maxFuzzMessage bounds an error message whatever the input: quoting
// Excerpt's 64 bytes can take four bytes a byte (\x00), in the text and in
// the reason.
const maxFuzzMessage = 1024

// checkParseError checks an error of a parsing entry for text. With inText,
// its position must be inside text.
func checkParseError(t *testing.T, entry, text string, err error, inText bool) {
	t.Helper()
	var fe *Error
	if !asFilterError(err, &fe) {
		t.Fatalf("%s(%q) returned %T, want *Error", entry, text, err)
	}
	if !errors.Is(err, ErrInvalidFilter) {
		t.Fatalf("%s(%q): %v does not wrap ErrInvalidFilter", entry, text, err)
	}
	if inText && (fe.Pos < -1 || fe.Pos > len(text)) {
		t.Fatalf("%s(%q): position %d out of range", entry, text, fe.Pos)
	}
	if n := len(err.Error()); n > maxFuzzMessage {
		t.Fatalf("%s(%q): %d-byte message %q", entry, text, n, err.Error())
	}
}
