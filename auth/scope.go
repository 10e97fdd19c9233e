package auth

import "strings"

// Scopes a credential may carry. A Principal with no scopes may do
// everything; otherwise each request needs the scope for its resource type
// and method. A write scope includes reading that resource type.
const (
	ScopeUsersRead   = "users:read"
	ScopeUsersWrite  = "users:write"
	ScopeGroupsRead  = "groups:read"
	ScopeGroupsWrite = "groups:write"
)

// RequiredScope names the scope that reading (write false) or changing
// (write true) resources of the named type ("User" or "Group",
// case-insensitive) needs, or "" for another type.
func RequiredScope(resourceType string, write bool) string {
	switch strings.ToLower(resourceType) {
	case "user":
		if write {
			return ScopeUsersWrite
		}
		return ScopeUsersRead
	case "group":
		if write {
			return ScopeGroupsWrite
		}
		return ScopeGroupsRead
	}
	return ""
}

// Allows reports whether p may read (write false) or change (write true)
// resources of the named type ("User" or "Group", case-insensitive). A
// Principal without scopes is allowed everything; an unknown resource type
// is allowed nothing unless p has no scopes. A write scope includes reading.
func (p Principal) Allows(resourceType string, write bool) bool {
	if p.Scopes == nil {
		return true
	}
	need, writeScope := RequiredScope(resourceType, write), RequiredScope(resourceType, true)
	if need == "" {
		return false
	}
	for _, s := range p.Scopes {
		if s == need || s == writeScope {
			return true
		}
	}
	return false
}
