package filter

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxMessage bounds the message of any error about hostile input: the
// input is quoted only through Excerpt.
const maxMessage = 300

// requireBoundedError checks that err is an *Error wrapping
// ErrInvalidFilter whose message is short.
func requireBoundedError(t *testing.T, err error, reason string) {
	t.Helper()
	require.ErrorIs(t, err, ErrInvalidFilter)
	var fe *Error
	require.True(t, errors.As(err, &fe), "%T is not an *Error", err)
	assert.Contains(t, err.Error(), reason)
	assert.Less(t, len(err.Error()), maxMessage, err.Error())
}

// TestErrorsQuoteAPrefix: inputs within the length limit are quoted only
// through Excerpt, in the text and in the reason.
func TestErrorsQuoteAPrefix(t *testing.T) {
	long := strings.Repeat("x", 4000)
	for _, tc := range []struct {
		name   string
		err    func() error
		reason string
	}{
		{"Parse/unquoted value", func() error { _, err := Parse("userName eq " + long); return err }, "invalid compare value"},
		{"Parse/unknown attribute", func() error { _, err := Parse(long+" pr", userOpt); return err }, "unknown attribute"},
		{"Parse/unknown operator", func() error { _, err := Parse("userName " + long + ` "x"`); return err }, "unknown operator"},
		{"Parse/unknown sub-attribute", func() error { _, err := Parse("name."+long+" pr", userOpt); return err }, "no sub-attribute"},
		{"Parse/not a number", func() error {
			_, err := Parse(`urn:example:params:scim:schemas:extension:test:2.0:User:level eq "`+long+`"`, userOpt)
			return err
		}, "is not a number"},
		{"Parse/invalid attribute path", func() error { _, err := Parse(long + ".a.b pr"); return err }, "invalid attribute path"},
		{"Parse/empty value filter", func() error { _, err := Parse(long + "[]"); return err }, "empty value filter"},
		{"ParsePath/unknown attribute", func() error { _, err := ParsePath(long, userOpt); return err }, "unknown attribute"},
		{"ParsePath/syntax", func() error { _, err := ParsePath(long + ".a.b"); return err }, "invalid attribute path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireBoundedError(t, tc.err(), tc.reason)
		})
	}
}

func TestExcerpt(t *testing.T) {
	assert.Equal(t, "", Excerpt(""))
	assert.Equal(t, strings.Repeat("a", 64), Excerpt(strings.Repeat("a", 64)))
	assert.Equal(t, strings.Repeat("a", 64)+"…", Excerpt(strings.Repeat("a", 65)))
	// A cut never splits a UTF-8 sequence.
	assert.Equal(t, strings.Repeat("a", 63)+"…", Excerpt(strings.Repeat("a", 63)+"é"+"b"))
}
