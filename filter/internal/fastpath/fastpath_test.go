package fastpath

import (
	"testing"

	fp "github.com/scim2/filter-parser/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var pathSeeds = []string{
	"title", "name.givenName", "emails", "emails.value", "meta.lastModified", "x509Certificates", "a-b_c9",
	"urn:ietf:params:scim:schemas:core:2.0:User:userName",
	"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
	"urn:acme:ext:badge",
	// declined, left to filter-parser:
	"", "9title", "name.", ".x", "a.b.c", "emails[type eq \"work\"]", "emails[type eq \"work\"].value", "na me",
	"urn:", "urn::x", "urn:a:", "urn:_:A", "urn:a_b:c", "$ref", "members.$ref", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
}

var comparisonSeeds = []string{
	`userName eq "bjensen@example.com"`, `userName EQ "x"`, `externalId eq "00u1"`, `id eq "2819c223-7f76"`,
	`displayName sw "Eng"`, `name.familyName co "J"`, `meta.lastModified gt "2026-01-01T00:00:00Z"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"`, `title ne ""`,
	// declined:
	`userName eq "a\"b"`, `userName eq "é"`, `userName  eq "x"`, `userName eq x`, `active eq true`,
	`userName pr`, `userName eq "x" and title pr`, `emails[type eq "work"]`, `userName xx "x"`, ` userName eq "x"`,
}

// TestAgreesWithFilterParser: whatever the fast path accepts, filter-parser
// parses to the same tree.
func TestAgreesWithFilterParser(t *testing.T) {
	t.Parallel()
	accepted := 0
	for _, s := range pathSeeds {
		got, ok := AttrPath(s)
		if !ok {
			continue
		}
		accepted++
		want, err := fp.ParseAttrPath([]byte(s))
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
		wantPath, err := fp.ParsePath([]byte(s))
		require.NoError(t, err, s)
		assert.Equal(t, fp.Path{AttributePath: got}, wantPath, s)
	}
	// A bare extension URN parses, in both, as URI prefix + attribute ("User");
	// callers look for extension URNs before parsing paths.
	assert.Equal(t, 13, accepted)
	accepted = 0
	for _, s := range comparisonSeeds {
		got, ok := Comparison(s)
		if !ok {
			continue
		}
		accepted++
		want, err := fp.ParseFilter([]byte(s))
		require.NoError(t, err, s)
		assert.Equal(t, want, fp.Expression(got), s)
	}
	assert.Equal(t, 9, accepted)
}

func FuzzAttrPath(f *testing.F) {
	for _, s := range pathSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := AttrPath(s)
		if !ok {
			return
		}
		want, err := fp.ParsePath([]byte(s))
		require.NoError(t, err, "fast path accepted %q, filter-parser refuses it", s)
		assert.Equal(t, fp.Path{AttributePath: got}, want, s)
	})
}

var valuePathSeeds = []string{
	`members[value eq "2819c223-7f76-453a-919d-413861904646"]`, `emails[type eq "work"].value`,
	`emails[type eq "work"]`, `EMAILS[Type EQ "work"].Value`, `phoneNumbers[type ne "fax"].display`,
	`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`, `addresses[type eq ""].locality`,
	`emails[value co "a]b"]`,
	// declined:
	`emails[type eq "work"]value`, `emails[type eq "work"].`, `emails[type eq "work"].a.b`, `emails[type pr]`,
	`emails[type eq "work" and primary eq true]`, `name.givenName[x eq "y"]`, `emails[urn:a:b eq "x"]`,
	`emails[name.x eq "y"]`, `emails]type eq "x"[`, `emails[type eq "work"]]`, `[type eq "x"]`, `emails[]`,
	`emails[type eq "a\"b"]`, `emails[type eq "work"].value eq "x"`,
}

// TestPathAgreesWithFilterParser: whatever Path accepts, filter-parser's
// ParsePath parses to the same tree.
func TestPathAgreesWithFilterParser(t *testing.T) {
	t.Parallel()
	accepted := 0
	for _, s := range append(append([]string(nil), pathSeeds...), valuePathSeeds...) {
		got, ok := Path(s)
		if !ok {
			continue
		}
		accepted++
		want, err := fp.ParsePath([]byte(s))
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	// pathSeeds has two value paths that AttrPath declines and Path accepts.
	assert.Equal(t, 13+2+8, accepted)
}

func FuzzPath(f *testing.F) {
	for _, s := range append(append([]string(nil), pathSeeds...), valuePathSeeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Path(s)
		if !ok {
			return
		}
		want, err := fp.ParsePath([]byte(s))
		require.NoError(t, err, "fast path accepted %q, filter-parser refuses it", s)
		assert.Equal(t, want, got, s)
	})
}

func FuzzComparison(f *testing.F) {
	for _, s := range comparisonSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Comparison(s)
		if !ok {
			return
		}
		want, err := fp.ParseFilter([]byte(s))
		require.NoError(t, err, "fast path accepted %q, filter-parser refuses it", s)
		assert.Equal(t, want, fp.Expression(got), s)
	})
}
