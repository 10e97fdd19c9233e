package jsonenc

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sample() map[string]any {
	return map[string]any{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"id":       "2819c223-7f76-453a-919d-413861904646",
		"userName": "bjensen@example.com",
		"name":     map[string]any{"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. <Barbara> & \"J\"\n"},
		"active":   true,
		"emails": []any{
			map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
			map[string]any{"value": "babs@jensen.org", "type": "home"},
		},
		"meta":    map[string]any{"version": `W/"3"`, "created": "2026-01-01T00:00:00.000Z"},
		"numbers": []any{0.0, -0.0, 1.5, 1e21, 1e-7, 123456789.0, int64(-7), 42, float32(0.1), json.Number("12.50")},
		"odd":     "\x00\x1f\x7f\u2028\u2029\xff\xfe é 😀 \b\f\t\r",
		"nil":     nil,
		"strs":    []string{"a", "<b>"},
		"maps":    []map[string]any{{"x": 1}, nil},
		"smap":    map[string]string{"b": "2", "a": "1"},
		"nilmap":  map[string]any(nil),
		"nilarr":  []any(nil),
		"struct":  struct{ A int }{A: 1},
	}
}

func TestMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, v := range []any{sample(), nil, "x", 1.0, []any{}, map[string]any{}, map[string]any{"": ""}} {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		got, err := Marshal(v)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), map[string]any{"x": math.Inf(-1)}, []any{float32(math.NaN())}} {
		_, wantErr := json.Marshal(bad)
		_, err := Marshal(bad)
		assert.Error(t, err)
		assert.Equal(t, wantErr.Error(), err.Error())
	}
	// Append leaves dst as it was on error.
	out, err := Append([]byte("abc"), math.NaN())
	assert.Error(t, err)
	assert.Equal(t, "abc", string(out))
}

// FuzzMatchesEncodingJSON decodes arbitrary JSON into JSON-shaped values
// and requires the encodings to be identical.
func FuzzMatchesEncodingJSON(f *testing.F) {
	seed, _ := json.Marshal(sample())
	f.Add(string(seed))
	f.Add(`{"a":[1,2.5e-9,-0,1e300,"\u2028<>&\ud800"],"b":{"c":null,"d":false}}`)
	f.Add(`"\u0000\u007f\ufffd"`)
	f.Add(`[123456789012345678901234567890, 0.000001, 0.0000001]`)
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			// Not JSON: still a string value to quote.
			v = s
		}
		want, wantErr := json.Marshal(v)
		got, err := Marshal(v)
		if wantErr != nil {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	})
}

func BenchmarkEncodingJSON(b *testing.B) {
	v := sample()
	delete(v, "struct")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = json.Marshal(v)
	}
}

func BenchmarkJSONEnc(b *testing.B) {
	v := sample()
	delete(v, "struct")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Marshal(v)
	}
}
