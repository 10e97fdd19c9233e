package jsonenc

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEqual(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		a, b any
		want bool
	}{
		{"equal strings", "a", "a", true},
		{"different strings", "a", "b", false},
		{"string against number", "3", float64(3), false},
		{"int64 against float64", int64(3), float64(3), true},
		{"json.Number against float64", json.Number("3"), float64(3), true},
		{"json.Number spelled differently", json.Number("3.0"), float64(3), false},
		{"bools", true, false, false},
		{"nil against nil", nil, nil, true},
		{"nil against empty string", nil, "", false},
		{"nil map against null", map[string]any(nil), nil, true},
		{"nil map against empty map", map[string]any(nil), map[string]any{}, false},
		{"maps", map[string]any{"a": "x", "b": []any{true}}, map[string]any{"b": []any{true}, "a": "x"}, true},
		{"map with an extra key", map[string]any{"a": "x"}, map[string]any{"a": "x", "b": nil}, false},
		{"map with a different key", map[string]any{"a": "x"}, map[string]any{"b": "x"}, false},
		{"nested difference", map[string]any{"a": map[string]any{"b": int64(1)}}, map[string]any{"a": map[string]any{"b": float64(2)}}, false},
		{"nested numbers of two types", map[string]any{"a": []any{int64(1)}}, map[string]any{"a": []any{float64(1)}}, true},
		{"array order", []any{"a", "b"}, []any{"b", "a"}, false},
		{"array length", []any{"a"}, []any{"a", "a"}, false},
		{"[]string against []any", []string{"a"}, []any{"a"}, true},
		{"map against array", map[string]any{}, []any{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Equal(tc.a, tc.b))
			assert.Equal(t, tc.want, Equal(tc.b, tc.a), "symmetric")
		})
	}
}
