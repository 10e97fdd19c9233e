package scim_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

// fuzzTarget is a handler holding one user and one group, called without
// a network round trip so the fuzzer runs fast.
type fuzzTarget struct {
	h        http.Handler
	userID   string
	groupID  string
	snapshot func() string
}

func newFuzzTarget(t testing.TB) *fuzzTarget {
	h, err := scim.NewHandler(scim.Config{Store: memory.New(), HostAuthenticates: true, Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 64 << 10})
	require.NoError(t, err)
	ft := &fuzzTarget{h: h}
	rec := ft.serve("POST", "/Users", []byte(`{"schemas":["`+userURN+`","`+enterpriseURN+`"],"userName":"f@example.com",
		"name":{"givenName":"F"},"emails":[{"value":"f@example.com","type":"work"}],"`+enterpriseURN+`":{"department":"D"}}`))
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	ft.userID = jsonField(t, rec.Body.Bytes(), "id")
	rec = ft.serve("POST", "/Groups", []byte(`{"schemas":["`+groupURN+`"],"displayName":"G","members":[{"value":"`+ft.userID+`"}]}`))
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	ft.groupID = jsonField(t, rec.Body.Bytes(), "id")
	ft.snapshot = func() string {
		var b bytes.Buffer
		for _, p := range []string{"/Users?sortBy=userName", "/Groups?sortBy=displayName"} {
			b.Write(ft.serve("GET", p, nil).Body.Bytes())
		}
		return b.String()
	}
	return ft
}

func (ft *fuzzTarget) serve(method, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://scim.test"+path, bytes.NewReader(body))
	rec := httptest.NewRecorder()
	ft.h.ServeHTTP(rec, req)
	return rec
}

func jsonField(t testing.TB, raw []byte, name string) string {
	var m map[string]any
	require.NoError(t, jsonUnmarshal(raw, &m))
	s, _ := m[name].(string)
	return s
}

// checkOutcome: a 5xx is a bug; a 4xx must leave the store as it was.
func checkOutcome(t *testing.T, ft *fuzzTarget, rec *httptest.ResponseRecorder, before string) {
	require.Less(t, rec.Code, 500, "server error for fuzzed input: %s", rec.Body.String())
	if rec.Code >= 400 {
		assert.Contains(t, rec.Body.String(), errorURN)
		assert.Equal(t, before, ft.snapshot(), "a rejected request changed the store")
	}
}

func FuzzCreateUser(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["` + userURN + `"],"userName":"a"}`,
		`{"schemas":["` + userURN + `"],"userName":"F@EXAMPLE.COM"}`,
		`{"schemas":["` + userURN + `"],"userName":"b","active":"False","emails":{"value":"x","primary":"True"}}`,
		`{"schemas":["` + userURN + `"],"userName":"c","` + enterpriseURN + `":{"manager":"m"}}`,
		`{"schemas":["` + userURN + `"],"userName":"d","name":{"givenName":5}}`,
		`{"schemas":[],"userName":"e"}`,
		`{"userName":[1,2,{"a":null}]}`,
		`[`, `null`, `{}`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	ft := newFuzzTarget(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := ft.snapshot()
		rec := ft.serve("POST", "/Users", body)
		checkOutcome(t, ft, rec, before)
		if rec.Code == http.StatusCreated {
			id := jsonField(t, rec.Body.Bytes(), "id")
			require.Equal(t, http.StatusNoContent, ft.serve("DELETE", "/Users/"+id, nil).Code)
		}
	})
}

func FuzzPatch(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","value":{"name.givenName":"x","` + enterpriseURN + `:department":"y"}}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"add","path":"emails[type eq \"home\"].value","value":"h@x"}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"remove","path":"emails[value co \"f\"]"}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"remove","path":"members[value eq \"x\"]"}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"add","path":"members","value":[{"value":"x"}]}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"remove","path":"userName"}]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[]}`,
		`{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","path":"name[","value":1}]}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	ft := newFuzzTarget(f)
	f.Fuzz(func(t *testing.T, body []byte, group bool) {
		path := "/Users/" + ft.userID
		if group {
			path = "/Groups/" + ft.groupID
		}
		before := ft.snapshot()
		rec := ft.serve("PATCH", path, body)
		checkOutcome(t, ft, rec, before)
		if rec.Code < 300 {
			// Put the fixture back for the next input.
			ft2 := newFuzzTarget(t)
			*ft = *ft2
		}
	})
}

func FuzzBulk(f *testing.F) {
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"a","data":{"schemas":["` + userURN + `"],"userName":"z"}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["` + groupURN + `"],"displayName":"Q","members":[{"value":"bulkId:h"}]}},{"method":"POST","path":"/Groups","bulkId":"h","data":{"schemas":["` + groupURN + `"],"displayName":"R","members":[{"value":"bulkId:g"}]}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,"Operations":[{"method":"DELETE","path":"/Users/bulkId:x"},{"method":"PATCH","path":"/Users/bulkId:","data":{}}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"PUT","path":"/Users/%2F..%2F","data":[]}]}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":"x"}`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	ft := newFuzzTarget(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := ft.snapshot()
		rec := ft.serve("POST", "/Bulk", body)
		require.Less(t, rec.Code, 500, "server error for fuzzed input: %s", rec.Body.String())
		if rec.Code >= 400 {
			assert.Equal(t, before, ft.snapshot(), "a rejected bulk request changed the store")
			return
		}
		assert.Contains(t, rec.Body.String(), "BulkResponse")
		assert.NotContains(t, rec.Body.String(), `"status":"5`, "no operation may fail with a server error")
		if ft.snapshot() != before {
			*ft = *newFuzzTarget(t)
		}
	})
}
