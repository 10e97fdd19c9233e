package document

import (
	"strings"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// Membership PATCHes are what IdPs send most to groups: Okta and Entra ID
// add or remove one member at a time, to groups that may have 100,000
// members. Applying them like any other PATCH would load, rewrite and
// re-validate the whole member list on every call. A PATCH whose every
// operation only adds or removes listed members is therefore applied as a
// delta instead: the group is loaded without its members, and the store
// adds and removes just the named ones. MemberDelta recognises such a
// PATCH with the rules of the general path: each path is resolved by
// resolvePath, as ApplyPatch resolves it, and each member list is read by
// ParseMembers, as Decode reads the result; the differential test
// TestMemberDeltaMatchesGeneralPath holds the two to the same outcome.

// MemberDelta is a PATCH reduced to the members it adds and removes.
type MemberDelta struct {
	Add    []store.Member // Type empty when the client gave none
	Remove []string
}

// MemberDelta reports the member delta ops amount to, or nil when any
// operation does something else (replace, remove of the whole list, other
// attributes, filters beyond `value eq`), a path or value is one the
// general path refuses (it reports the error), or an id is both added and
// removed (order would then matter): such PATCHes take ApplyPatch.
func (rt *Type) MemberDelta(ops []Op, opts Options) *MemberDelta {
	if rt.Kind != store.Group || len(ops) == 0 {
		return nil
	}
	md := &MemberDelta{}
	for _, op := range ops {
		if !op.hasPath {
			return nil
		}
		r, err := rt.resolvePath(op.path)
		if err != nil || r.ext != nil || r.attr.Name() != "members" || r.sub != nil {
			return nil
		}
		if r.path.HasValueFilter() {
			id, ok := memberValueFilter(r.path)
			if !ok || op.op != "remove" {
				return nil
			}
			md.Remove = append(md.Remove, id)
			continue
		}
		if op.op == "replace" || op.value == nil {
			return nil
		}
		list, err := ParseMembers(op.value)
		if err != nil {
			return nil
		}
		if op.op == "add" {
			md.Add = append(md.Add, list...)
			continue
		}
		// Members listed in the value (quirk 6), when opts allow it.
		if !opts.RemoveListed {
			return nil
		}
		for _, m := range list {
			md.Remove = append(md.Remove, m.Value)
		}
	}
	removed := make(map[string]bool, len(md.Remove))
	for _, id := range md.Remove {
		removed[id] = true
	}
	for _, m := range md.Add {
		if removed[m.Value] {
			return nil
		}
	}
	return md
}

// memberValueFilter recognises the value filter of `members[value eq "id"]`
// and returns id.
func memberValueFilter(p *filter.PatchPath) (string, bool) {
	eqs, ok := p.Equalities()
	if !ok || len(eqs) != 1 {
		return "", false
	}
	var id string
	for name, v := range eqs {
		if !strings.EqualFold(name, "value") {
			return "", false
		}
		id, _ = v.(string)
	}
	return id, id != "" && plainID(id)
}

// plainID reports whether id, a compare value as the parser left it, needs
// no decoding: no escape sequence, quote, control character or non-ASCII
// byte. Other ids take the general path, which decodes them.
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; c == '"' || c == '\\' || c < 0x20 || c == 0x7f || c >= 0x80 {
			return false
		}
	}
	return true
}
