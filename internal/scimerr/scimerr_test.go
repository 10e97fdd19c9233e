package scimerr_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scimkit/scimkit/internal/scimerr"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status         int
		scimType, want string
	}{
		{400, "invalidFilter", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"invalidFilter","detail":"d","status":"400"}`},
		{401, "", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"d","status":"401"}`},
	} {
		rec := httptest.NewRecorder()
		scimerr.Write(rec, tc.status, tc.scimType, "d")
		assert.Equal(t, tc.status, rec.Code)
		assert.Equal(t, "application/scim+json", rec.Header().Get("Content-Type"))
		assert.JSONEq(t, tc.want, rec.Body.String())
	}
	rec := httptest.NewRecorder()
	scimerr.Write(rec, http.StatusNotFound, "", "")
	assert.JSONEq(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}`, rec.Body.String())
}
