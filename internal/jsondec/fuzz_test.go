package jsondec

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeObject holds DecodeObject to the old multi-pass decoding
// (refDecode): both accept with deeply equal results, or both refuse for
// the same reason. The one licensed difference: DecodeObject refuses a
// top-level value that is not an object as soon as it sees its first
// byte, where the old decoding could first find it malformed or followed
// by trailing data.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{
		`{}`,
		` {"a":1} `,
		benchUser,
		benchPatch,
		`{"a":[1,-0,1e400,0.1e-5,123456789012345678901234567890,true,false,null,{}]}`,
		`{"s":"\"\\\/\b\f\n\r\t\u00e9\u2028\ud83d\ude00\ud800\udc00x\ud800\ud800\udc00\udc00"}`,
		`{"a":1,"a":2}`,
		`{"userName":"x","USERNAME":"y"}`,
		`{"\u212Aey":1,"key":2}`,
		`{"a":{"b":[{"c":1,"C":2}]}}`,
		`{"a":"\u0000"}`,
		`{"\u0000":1}`,
		"{\"a\":\"\xff\"}",
		`{"a":1} x`,
		`[1]`,
		`{"a":01}`,
		`{"a":1,}`,
		`{"a":[1,]}`,
		`{"a":tru}`,
		`{"a":"\x"}`,
		`{"a":1,"a":2} x`,
		`{"a":"\u0000","a":1}`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"K3":17}`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"\u212a":16,"K":17}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		in := bytes.Clone(raw)
		got, err := DecodeObject(raw)
		if !bytes.Equal(in, raw) {
			t.Fatalf("input modified")
		}
		gotO := outcomeOf(err)
		want, wantO, wantKey := refDecode(raw)

		if gotO == refusedNotObject && wantO != refusedNotObject {
			if first := bytes.TrimLeft(raw, " \t\r\n"); len(first) > 0 && first[0] != '{' &&
				(wantO == refusedSyntax || wantO == refusedDepth || wantO == refusedTrailing) {
				return // the licensed difference
			}
		}
		if gotO != wantO {
			t.Fatalf("%q: DecodeObject: %v (%v), old decoding: %v", raw, gotO, err, wantO)
		}
		switch gotO {
		case accepted:
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q:\nDecodeObject %#v\nold decoding %#v", raw, got, want)
			}
		case refusedDup:
			var e *Error
			if !errors.As(err, &e) || e.Key != wantKey {
				t.Fatalf("%q: duplicate %q (%v), old decoding: %q", raw, e.Key, err, wantKey)
			}
		}
		if err != nil && got != nil {
			t.Fatalf("%q: a result with an error", raw)
		}
	})
}
