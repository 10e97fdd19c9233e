package filter

import (
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
				var fe *Error
				if !asFilterError(err, &fe) {
					t.Fatalf("Parse(%q) returned %T, want *Error", text, err)
				}
				if fe.Pos < -1 || fe.Pos > len(text) {
					t.Fatalf("Parse(%q): position %d out of range", text, fe.Pos)
				}
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
