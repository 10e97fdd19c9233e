package jsondec

import (
	"testing"
)

// benchUser is a user create as Okta and Entra ID send it: about 1 KB,
// with a name, emails, a phone number, an address and the enterprise
// extension.
const benchUser = `{
  "schemas": [
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
  ],
  "externalId": "00u1abcd2EFGH3ijk4x7",
  "userName": "barbara.jensen@example.com",
  "active": true,
  "displayName": "Barbara Jensen",
  "title": "Tour Guide",
  "locale": "en-US",
  "preferredLanguage": "en-US",
  "name": {
    "formatted": "Ms. Barbara J Jensen III",
    "familyName": "Jensen",
    "givenName": "Barbara",
    "middleName": "Jane"
  },
  "emails": [
    {"primary": true, "value": "barbara.jensen@example.com", "type": "work"},
    {"primary": false, "value": "babs@jensen.org", "type": "home"}
  ],
  "phoneNumbers": [{"value": "+1 555 555 8377", "type": "work"}],
  "addresses": [
    {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
     "region": "CA", "postalCode": "91608", "country": "US", "primary": true}
  ],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984",
    "costCenter": "4130",
    "organization": "Universal Studios",
    "division": "Theme Park",
    "department": "Tour Operations",
    "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
  }
}`

// benchPatch is an Entra ID style PATCH.
const benchPatch = `{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [
    {"op": "Replace", "path": "displayName", "value": "Babs Jensen"},
    {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "babs.jensen@example.com"},
    {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
    {"op": "Replace", "path": "active", "value": "False"}
  ]
}`

func BenchmarkDecodeObject(b *testing.B) {
	for _, body := range []struct{ name, json string }{{"user", benchUser}, {"patch", benchPatch}} {
		raw := []byte(body.json)
		b.Run(body.name, func(b *testing.B) {
			b.Run("jsondec", func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := DecodeObject(raw); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("encoding_json", func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				for b.Loop() {
					if _, o, _ := refDecode(raw); o != accepted {
						b.Fatal(o)
					}
				}
			})
		})
	}
}
