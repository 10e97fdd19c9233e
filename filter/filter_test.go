package filter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type matchCase struct {
	filter string
	doc    func() map[string]any
	opt    Option // nil: no schemas
	want   bool
}

func matchCases() []matchCase {
	u, g, m, l := userDoc, groupDoc, minimalDoc, looseDoc
	U, G := userOpt, groupOpt
	return []matchCase{
		// eq / ne on strings, case-insensitive by default
		{`userName eq "bjensen@example.com"`, u, U, true},
		{`userName eq "BJENSEN@example.COM"`, u, U, true},
		{`userName eq "bjensen"`, u, U, false},
		{`userName ne "bjensen"`, u, U, true},
		{`userName ne "BJensen@Example.com"`, u, U, false},
		{`USERNAME eq "bjensen@example.com"`, u, U, true},
		{`username EQ "bjensen@example.com"`, u, U, true},
		{`displayName eq "babs jensen"`, u, U, true},
		{`displayName eq "babs jensen"`, u, nil, true},
		{`DISPLAYNAME eq "Babs Jensen"`, u, nil, true},
		// co / sw / ew
		{`userName co "jensen"`, u, U, true},
		{`userName co "JENSEN@"`, u, U, true},
		{`userName co "smith"`, u, U, false},
		{`userName sw "BJ"`, u, U, true},
		{`userName sw "jensen"`, u, U, false},
		{`userName ew "EXAMPLE.COM"`, u, U, true},
		{`userName ew "example"`, u, U, false},
		{`userName co ""`, u, U, true},
		{`name.formatted co "j jensen, iii"`, u, U, true},
		{`displayName sw "babs"`, u, nil, true},
		// gt / ge / lt / le on strings
		{`userName gt "a"`, u, U, true},
		{`userName gt "C"`, u, U, false},
		{`userName ge "BJENSEN@EXAMPLE.COM"`, u, U, true},
		{`userName lt "bjensen@example.com"`, u, U, false},
		{`userName le "bjensen@example.com"`, u, U, true},
		{`userName lt "Z"`, u, U, true},
		{`nickName gt "BABS"`, u, U, false},
		{`nickName ge "BABS"`, u, U, true},
		// caseExact attributes
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, u, U, true},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, u, U, false},
		{`id eq "2819C223-7F76-453A-919D-413861904646"`, u, nil, true},
		{`externalId eq "BJensen-Ext"`, u, U, true},
		{`externalId eq "bjensen-ext"`, u, U, false},
		{`externalId co "Jensen"`, u, U, true},
		{`externalId co "jensen"`, u, U, false},
		{`externalId sw "BJ"`, u, U, true},
		{`externalId ew "ext"`, u, U, false},
		{`externalId gt "A"`, u, U, true},
		{`externalId gt "a"`, u, U, false},
		{`meta.version eq "W/\"a330bc54f0671c9\""`, u, U, true},
		{`meta.version eq "w/\"A330BC54F0671C9\""`, u, U, false},
		{`meta.resourceType eq "User"`, u, U, true},
		{`meta.resourceType eq "user"`, u, U, false},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:code eq "AbC"`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:code eq "abc"`, u, U, false},
		// pr
		{`userName pr`, u, U, true},
		{`title pr`, u, U, false},
		{`nickName pr`, u, U, true},
		{`profileUrl pr`, u, U, false},
		{`emails pr`, u, U, true},
		{`emails pr`, m, U, false},
		{`addresses pr`, u, U, false},
		{`name pr`, u, U, true},
		{`name.middleName pr`, u, U, false},
		{`emails.type pr`, u, U, true},
		{`emails.display pr`, u, U, false},
		{`active pr`, u, U, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr`, u, U, true},
		{`empty pr`, l, nil, false},
		{`nothing pr`, l, nil, false},
		{`missing pr`, l, nil, false},
		{`list pr`, l, nil, true},
		{`USERNAME PR`, u, U, true},
		// null
		{`title eq null`, u, U, true},
		{`profileUrl eq null`, u, U, true},
		{`userName eq null`, u, U, false},
		{`userName ne null`, u, U, true},
		{`profileUrl ne null`, u, U, false},
		{`nothing eq null`, l, nil, true},
		{`count ne null`, l, nil, true},
		// booleans
		{`active eq true`, u, U, true},
		{`active eq false`, u, U, false},
		{`active ne false`, u, U, true},
		{`active eq "true"`, u, U, true},
		{`active eq TRUE`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:vip eq false`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:vip eq true`, u, U, false},
		{`emails[primary eq true]`, u, U, true},
		{`roles[primary eq true]`, u, U, false},
		{`flag eq true`, l, nil, true},
		{`flag ne true`, l, nil, false},
		{`flag gt false`, l, nil, false},
		{`active eq "yes"`, u, nil, false},
		// integers and decimals
		{`urn:example:params:scim:schemas:extension:test:2.0:User:level eq 7`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:level gt 6`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:level gt 7`, u, U, false},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:level ge 7`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:level lt 7.5`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:level le 6`, u, U, false},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:level eq "7"`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:level ne 8`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:score eq 3.75`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:score gt 3.7`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:score lt 375e-2`, u, U, false},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:score le 375E-2`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:lucky eq 13`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:lucky gt 12`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:lucky lt 3`, u, U, false},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:lucky eq 8`, u, U, false},
		{`count eq 42`, l, nil, true},
		{`count eq 42.0`, l, nil, true},
		{`count gt 41.5`, l, nil, true},
		{`ratio lt 1`, l, nil, true},
		{`ratio eq 0.5`, l, nil, true},
		{`ratio eq 5e-1`, l, nil, true},
		{`small ge 3`, l, nil, true},
		{`small gt 3`, l, nil, false},
		{`big eq 9007199254740993`, l, nil, true},
		{`big gt 9007199254740992`, l, nil, true},
		{`count eq "42"`, l, nil, false},
		{`count ne "42"`, l, nil, true},
		{`Mixed gt 1`, l, nil, false},
		{`odd eq 1`, l, nil, true},
		{`odd eq "1"`, l, nil, true},
		{`odd eq "v"`, l, nil, true},
		{`odd eq false`, l, nil, false},
		// dateTime
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, u, U, false},
		{`meta.lastModified ge "2011-05-13T04:42:34Z"`, u, U, true},
		{`meta.lastModified eq "2011-05-13T06:42:34+02:00"`, u, U, true},
		{`meta.lastModified gt "2011-05-13T04:42:33.999Z"`, u, U, true},
		{`meta.lastModified lt "2012-01-01T00:00:00Z"`, u, U, true},
		{`meta.created lt "2010-01-23T04:56:22Z"`, u, U, false},
		{`meta.created le "2010-01-23T04:56:22Z"`, u, U, true},
		{`meta.created gt "2009-12-31T23:59:59-08:00"`, u, U, true},
		{`meta.created gt "2010"`, u, U, true},
		{`meta.created lt "2010"`, u, U, false},
		{`meta.created sw "2010-01"`, u, U, true},
		{`meta.created gt "2000-01-01T00:00:00Z"`, m, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:hired lt "2015-06-01T08:00:00Z"`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:hired eq "2015-06-01T07:00:00Z"`, u, U, true},
		{`meta.lastModified gt "2011-05-13T06:42:33+02:00"`, u, nil, true},
		{`when lt "2020-02-29T13:00:00+02:00"`, l, nil, false},
		{`when gt "2020-02-29T13:00:00+02:00"`, l, nil, true},
		// and / or / not, precedence, grouping
		{`userName eq "bjensen@example.com" and active eq true`, u, U, true},
		{`userName eq "bjensen@example.com" and active eq false`, u, U, false},
		{`userName eq "x" or active eq true`, u, U, true},
		{`userName eq "x" or active eq false`, u, U, false},
		{`userName eq "x" and active eq false or nickName eq "babs"`, u, U, true},
		{`nickName eq "babs" or userName eq "x" and active eq false`, u, U, true},
		{`userName eq "x" and (active eq false or nickName eq "babs")`, u, U, false},
		{`(userName eq "x" or active eq true) and nickName eq "babs"`, u, U, true},
		{`not (userName eq "x")`, u, U, true},
		{`not(userName pr)`, u, U, false},
		{`not (userName eq "x") and not (active eq false)`, u, U, true},
		{`not (userName eq "x" or active eq true)`, u, U, false},
		{`userName eq "x" or not (nickName pr) or title eq null`, u, U, true},
		{`((userName pr))`, u, U, true},
		{`userName pr AND nickName pr OR title pr`, u, U, true},
		{`title pr or nickName pr and profileUrl pr`, u, U, false},
		{`(title pr or nickName pr) and userName pr`, u, U, true},
		{`( userName pr )`, u, U, true},
		// value paths
		{`emails[type eq "work"]`, u, U, true},
		{`emails[type eq "WORK"]`, u, U, true},
		{`emails[type eq "other"]`, u, U, false},
		{`emails[type eq "work" and value co "@example.com"]`, u, U, true},
		{`emails[type eq "home" and value co "@example.com"]`, u, U, false},
		{`emails[type eq "home" or value co "@example.com"]`, u, U, true},
		{`emails[type eq "work" and value co "@example.com" and primary eq true]`, u, U, true},
		{`emails[type eq "home" and (value ew ".org" or primary eq true)]`, u, U, true},
		{`emails[not (type eq "work")]`, u, U, true},
		{`emails[not (type eq "work" or type eq "home")]`, u, U, false},
		{`emails[TYPE eq "work"]`, u, U, true},
		{`EMAILS[type eq "work"]`, u, nil, true},
		{`emails [type eq "work"]`, u, U, true},
		{`emails[ type eq "work" ]`, u, U, true},
		{`emails[type eq "work"] and userName sw "bj"`, u, U, true},
		{`not (emails[type eq "work"])`, u, U, false},
		{`userName eq "x" or (emails[type eq "home"] and phoneNumbers[type eq "work"])`, u, U, true},
		{`emails[type eq "work"]`, m, U, false},
		{`addresses[type eq "work"]`, u, U, false},
		{`name[givenName eq "barbara"]`, u, U, true},
		{`groups[display eq "tour guides"]`, u, U, true},
		{`emails[value eq "bjensen@example.com"] and emails[value eq "babs@jensen.org"]`, u, U, true},
		{`emails[value eq "bjensen@example.com" and value eq "babs@jensen.org"]`, u, U, false},
		{`emails[type eq "x[y]"]`, u, U, false},
		// value path followed by a sub-attribute comparison
		{`emails[type eq "work"].value eq "bjensen@example.com"`, u, U, true},
		{`emails[type eq "home"].value eq "bjensen@example.com"`, u, U, false},
		{`emails[type eq "home"].value ew ".org"`, u, U, true},
		{`emails[type eq "work" or type eq "home"].value co "jensen.org"`, u, U, true},
		{`emails[type eq "work"].display pr`, u, U, false},
		{`emails[type eq "work"].primary eq true and userName pr`, u, U, true},
		{`(emails[type eq "work"].value sw "bjensen")`, u, U, true},
		// sub-attributes and multi-valued
		{`name.familyName eq "jensen"`, u, U, true},
		{`name.FAMILYNAME eq "Jensen"`, u, U, true},
		{`NAME.givenName sw "bar"`, u, U, true},
		{`name.givenName eq "Babs"`, u, U, false},
		{`emails.value eq "babs@jensen.org"`, u, U, true},
		{`emails.value co "nobody"`, u, U, false},
		{`emails.type eq "home"`, u, U, true},
		{`emails.value ew ".org" and emails.type eq "work"`, u, U, true},
		{`emails eq "BJENSEN@example.com"`, u, U, true},
		{`emails co "jensen.org"`, u, U, true},
		{`emails eq "nobody@example.com"`, u, U, false},
		{`phoneNumbers.value sw "555"`, u, U, true},
		{`groups.value eq "e9e30dba-f08f-4109-8486-d5c6a331660a"`, u, U, true},
		{`roles eq "admin"`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:tags eq "BETA"`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:tags sw "al"`, u, U, true},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:tags eq "gamma"`, u, U, false},
		{`list eq "y"`, l, nil, true},
		{`list ne "x"`, l, nil, true},
		{`nested.deep pr`, l, nil, true},
		{`nested.deep eq "x"`, l, nil, false},
		// ne semantics on multi-valued and absent attributes
		{`emails.type ne "work"`, u, U, true},
		{`phoneNumbers.type ne "work"`, u, U, false},
		{`profileUrl ne "x"`, u, U, true},
		{`emails.type ne "work"`, m, U, true},
		// URN-qualified paths
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"`, u, U, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d"`, u, U, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"`, u, U, false},
		{`URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Department eq "R&D"`, u, U, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, u, U, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName co "smith"`, u, U, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"`, u, nil, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, u, nil, true},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"`, m, U, false},
		{`department eq "R&D"`, u, U, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com"`, u, U, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq "jensen"`, u, U, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com"`, u, nil, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`, u, nil, false},
		// escapes and odd spacing
		{`displayName eq "Babs\u0020Jensen"`, u, U, true},
		{`displayName eq "Babs\u0020jensen"`, u, nil, true},
		{`userName eq "bjensen\u0040example.com"`, u, U, true},
		{`userName eq "bjensen\u00e9"`, u, U, false},
		{`  userName eq "bjensen@example.com"  `, u, U, true},
		{"\tuserName pr\n", u, U, true},
		{`userName   eq   "bjensen@example.com"`, u, U, true},
		{`name.formatted eq "Ms. Barbara J Jensen, III" and userName pr`, u, U, true},
		// groups
		{`displayName eq "tour guides"`, g, G, true},
		{`members[value eq "2819c223-7f76-453a-919d-413861904646"]`, g, G, true},
		{`members[value eq "unknown"]`, g, G, false},
		{`members[type eq "group"]`, g, G, true},
		{`members[type eq "Group" and display eq "admins"]`, g, G, true},
		{`members.value eq "902c246b-6245-4190-8e05-00816be7344a"`, g, G, true},
		{`members eq "902c246b-6245-4190-8e05-00816be7344a"`, g, G, true},
		{`members.display pr`, g, G, true},
		{`meta.resourceType eq "Group"`, g, G, true},
		{`meta.lastModified gt "2011-01-01T00:00:00Z"`, g, G, true},
		// missing attributes and wrong types never panic
		{`nickName eq "babs"`, m, U, false},
		{`name.familyName eq "x"`, m, U, false},
		{`emails.value eq "x"`, m, U, false},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, m, U, false},
		{`flag eq "true"`, l, nil, false},
		{`empty.value eq "x"`, l, nil, false},
		{`list.value eq "x"`, l, nil, false},
		{`userName eq "x"`, func() map[string]any { return nil }, U, false},
		{`userName eq null`, func() map[string]any { return nil }, U, true},
		{`userName eq "x"`, func() map[string]any { return map[string]any{"userName": 5} }, U, false},
		{`name.familyName eq "x"`, func() map[string]any { return map[string]any{"name": "x"} }, U, false},
		{`emails[type eq "work"]`, func() map[string]any { return map[string]any{"emails": "work"} }, U, false},
		{`emails[type eq "work"]`, func() map[string]any { return map[string]any{"emails": []any{"work", nil, 3}} }, U, false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"`, func() map[string]any {
			return map[string]any{enterpriseURN: "oops"}
		}, U, false},
		{`active eq true`, func() map[string]any { return map[string]any{"active": "true"} }, U, false},
		{`meta.created gt "2000-01-01T00:00:00Z"`, func() map[string]any { return map[string]any{"meta": map[string]any{"created": 12}} }, U, false},
		// document keys match case-insensitively
		{`userName eq "x"`, func() map[string]any { return map[string]any{"USERNAME": "X"} }, U, true},
		{`name.familyName eq "x"`, func() map[string]any { return map[string]any{"Name": map[string]any{"FamilyName": "x"}} }, U, true},
		{`mixed eq "value"`, l, nil, true},
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	cases := matchCases()
	require.GreaterOrEqual(t, len(cases), 150)
	for _, tc := range cases {
		name := tc.filter
		if tc.opt == nil {
			name += " (no schema)"
		}
		t.Run(name, func(t *testing.T) {
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			f, err := Parse(tc.filter, opts...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, f.Match(tc.doc()))

			// The canonical rendering parses to an equivalent filter.
			g, err := Parse(f.String(), opts...)
			require.NoError(t, err, "re-parsing %q", f.String())
			assert.Equal(t, tc.want, g.Match(tc.doc()), "rendered as %q", f.String())
			assert.Equal(t, f.String(), g.String())

			// Compile over the returned expression gives the same filter.
			h, err := compileExpr(f.expression(), opts...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, h.Match(tc.doc()))
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{`USERNAME eq "x"`, `userName eq "x"`},
		{`name.FAMILYNAME sw "J"`, `name.familyName sw "J"`},
		{`a eq "x" AND b pr OR NOT (c eq 1)`, ``},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`, `userName eq "x"`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:DEPARTMENT eq "R&D"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"`},
		{`emails[type eq "work"].value eq "x"`, `emails[type eq "work" and value eq "x"]`},
		{`(userName eq "a" or userName eq "b") and active eq true`, `(userName eq "a" or userName eq "b") and active eq true`},
		{`displayName eq "a\"b\\c\u00e9\n"`, `displayName eq "a\"b\\cé\n"`},
		{`active eq "TRUE"`, `active eq true`},
		{`title eq null`, `title eq null`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			opts := []Option{userOpt}
			if tc.want == "" {
				opts = nil
			}
			f, err := Parse(tc.in, opts...)
			require.NoError(t, err)
			if tc.want == "" {
				assert.Equal(t, `a eq "x" and b pr or not (c eq 1)`, f.String())
				return
			}
			assert.Equal(t, tc.want, f.String())
		})
	}
}

func TestEscapedStrings(t *testing.T) {
	t.Parallel()
	doc := map[string]any{"displayName": `say "hi" \ bye`}
	f, err := Parse(`displayName eq "say \"hi\" \\ bye"`, userOpt)
	require.NoError(t, err)
	assert.True(t, f.Match(doc))
	f, err = Parse(`displayName co "\"hi\""`)
	require.NoError(t, err)
	assert.True(t, f.Match(doc))
}

func TestNilFilterMatchesEverything(t *testing.T) {
	t.Parallel()
	var f *Filter
	assert.True(t, f.Match(userDoc()))
	assert.Equal(t, "", f.String())
	assert.Nil(t, f.expression())
	_, _, ok := f.Equalities()
	assert.False(t, ok)
}

func TestConcurrentMatch(t *testing.T) {
	t.Parallel()
	f, err := Parse(`emails[type eq "work" and value co "@example.com"] and meta.lastModified gt "2011-01-01T00:00:00Z"`, userOpt)
	require.NoError(t, err)
	doc := userDoc()
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 200 {
				ok = ok && f.Match(doc)
			}
			done <- ok
		}()
	}
	for range 8 {
		assert.True(t, <-done)
	}
}

func TestLongOrChain(t *testing.T) {
	t.Parallel()
	var parts []string
	for i := range 300 {
		parts = append(parts, `userName eq "user`+strings.Repeat("x", i%5)+`"`)
	}
	parts = append(parts, `userName eq "bjensen@example.com"`)
	f, err := Parse(strings.Join(parts, " or "), userOpt, WithMaxLength(1<<20)) // longer than DefaultMaxLength
	require.NoError(t, err)
	assert.True(t, f.Match(userDoc()))
	attr, values, ok := f.Equalities()
	assert.True(t, ok)
	assert.Equal(t, "userName", attr)
	assert.Len(t, values, 301)
}

// coveredByLookups reports whether one of the probes would find doc.
func coveredByLookups(doc map[string]any, lookups []IndexLookup) bool {
	for _, l := range lookups {
		v, _ := doc[l.Attr].(string)
		for _, want := range l.Values {
			if Fold(v) == Fold(want) {
				return true
			}
		}
	}
	return false
}

func TestIndexLookups(t *testing.T) {
	t.Parallel()
	long := make([]string, 0, 1200)
	for i := range cap(long) {
		long = append(long, fmt.Sprintf(`id eq "u%d"`, i))
	}
	for _, tc := range []struct {
		filter string
		want   []IndexLookup // nil: not indexable
	}{
		{`userName eq "a"`, []IndexLookup{{"userName", []string{"a"}}}},
		{`userName eq "a" or USERNAME eq "b"`, []IndexLookup{{"userName", []string{"a", "b"}}}},
		{`userName eq "a" or externalId eq "b" or userName eq "c"`,
			[]IndexLookup{{"userName", []string{"a", "c"}}, {"externalId", []string{"b"}}}},
		{`userName eq "a" and active eq true`, []IndexLookup{{"userName", []string{"a"}}}},
		{`active eq true and (id eq "1" or id eq "2")`, []IndexLookup{{"id", []string{"1", "2"}}}},
		{`(id eq "1" or id eq "2") and userName eq "x"`, []IndexLookup{{"userName", []string{"x"}}}},
		{`(userName eq "a" and title pr) or displayName eq "D"`,
			[]IndexLookup{{"userName", []string{"a"}}, {"displayName", []string{"D"}}}},
		{`userName eq "a" or title pr`, nil},
		{`not (userName eq "a")`, nil},
		{`userName ne "a"`, nil},
		{`userName co "a"`, nil},
		{`emails[value eq "a"]`, nil},
		{`name.familyName eq "a"`, nil},
		{strings.Join(long, " or "), nil}, // more probes than a scan is worth
	} {
		f, err := Parse(tc.filter, userOpt, WithMaxLength(1<<20)) // the long one exceeds DefaultMaxLength
		require.NoError(t, err, tc.filter)
		got, ok := f.IndexLookups()
		if tc.want == nil {
			assert.False(t, ok, tc.filter)
			continue
		}
		require.True(t, ok, tc.filter)
		assert.Equal(t, tc.want, got, tc.filter)
	}
	var nilFilter *Filter
	_, ok := nilFilter.IndexLookups()
	assert.False(t, ok)
}
