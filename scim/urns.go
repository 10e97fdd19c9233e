package scim

import "github.com/scimkit/scimkit/internal/document"

// Schema URNs the handler speaks.
const (
	UserSchema           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	listResponseSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	searchRequestURN   = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	patchOpURN         = document.PatchOpURN
	spcSchema          = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	resourceTypeSchema = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)
