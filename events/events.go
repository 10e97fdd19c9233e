// Package events says what a SCIM write amounts to: which typed events
// (a user provisioned, updated, deactivated; members added to a group; ...),
// in which order, with which attribute diff.
//
// Derive computes them from the state before and after the write, with no
// HTTP and no store: it is a pure function, and the one place where that
// decision is made. The SCIM handler passes what it derives to the host
// app's hooks (inside the write's transaction) and names it in the write's
// audit record; the change feed and webhooks are fed from the same events.
package events

import (
	"sort"
	"strings"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/internal/jsonenc"
	"github.com/scimkit/scimkit/store"
)

// Kind names what an event says happened. Its text is stable: it is
// stored in audit records and sent to event subscribers.
type Kind string

// The kinds of events, one per event type.
const (
	KindUserProvisioned Kind = "user.provisioned"
	KindUserUpdated     Kind = "user.updated"
	KindUserDeactivated Kind = "user.deactivated"
	KindUserReactivated Kind = "user.reactivated"
	KindUserDeleted     Kind = "user.deleted"
	KindGroupCreated    Kind = "group.created"
	KindGroupRenamed    Kind = "group.renamed"
	KindGroupDeleted    Kind = "group.deleted"
	KindMembersAdded    Kind = "group.members_added"
	KindMembersRemoved  Kind = "group.members_removed"
	KindUserReleased    Kind = "user.released"
	KindGroupReleased   Kind = "group.released"

	KindDirectoryCreated      Kind = "directory.created"
	KindDirectoryPaused       Kind = "directory.paused"
	KindDirectoryResumed      Kind = "directory.resumed"
	KindDirectoryDisconnected Kind = "directory.disconnected"
)

// AllKinds lists every kind, users' first, then groups' and directories'.
func AllKinds() []Kind {
	return []Kind{KindUserProvisioned, KindUserUpdated, KindUserDeactivated, KindUserReactivated, KindUserDeleted,
		KindUserReleased, KindGroupCreated, KindGroupRenamed, KindGroupDeleted, KindMembersAdded, KindMembersRemoved,
		KindGroupReleased, KindDirectoryCreated, KindDirectoryPaused, KindDirectoryResumed, KindDirectoryDisconnected}
}

// Event is one thing a write did: a *UserProvisioned, *UserUpdated,
// *UserDeactivated, *UserReactivated, *UserDeleted, *UserReleased,
// *GroupCreated, *GroupRenamed, *GroupDeleted, *GroupReleased,
// *MembersAdded or *MembersRemoved.
type Event interface {
	// Kind tells which.
	Kind() Kind
}

// DirectoryChanged: a directory record was created or changed state
// (paused, active again, disconnected). Change is its kind.
type DirectoryChanged struct {
	Change Kind
	// ID, Name, DirKind and State are the directory's, after the change.
	ID, Name, DirKind, State string
}

// Kind returns d.Change.
func (d *DirectoryChanged) Kind() Kind { return d.Change }

// DirectoryEvent returns the event a change of a directory record
// amounts to: directory.created when before is nil, directory.paused,
// directory.resumed or directory.disconnected when its state changed to
// paused, active or disconnected, and nil for any other change.
func DirectoryEvent(before, after *directory.Directory) Event {
	var k Kind
	switch {
	case after == nil:
		return nil
	case before == nil:
		k = KindDirectoryCreated
	case before.State == after.State:
		return nil
	case after.State == directory.Paused:
		k = KindDirectoryPaused
	case after.State == directory.Active:
		k = KindDirectoryResumed
	case after.State == directory.Disconnected:
		k = KindDirectoryDisconnected
	default:
		return nil
	}
	return &DirectoryChanged{Change: k, ID: after.ID, Name: after.Name, DirKind: string(after.Kind), State: string(after.State)}
}

// UserProvisioned: a user was created.
type UserProvisioned struct {
	User *store.Resource
}

// UserUpdated: a user's attributes changed. When active also flipped, a
// UserDeactivated or UserReactivated follows it.
type UserUpdated struct {
	Before, After *store.Resource
	// Changed lists the attributes whose values differ, sorted by name.
	Changed []Change
}

// UserDeactivated: active went from true (or absent) to false.
type UserDeactivated struct {
	User *store.Resource
}

// UserReactivated: active went from false to true.
type UserReactivated struct {
	User *store.Resource
}

// UserDeleted: a user was deleted; User is its last state.
type UserDeleted struct {
	User *store.Resource
}

// UserReleased: the directory let go of a user (a disconnect that keeps
// members): its SCIM record is gone, and the app keeps the member, no
// longer managed by SCIM. User is its last state.
type UserReleased struct {
	User *store.Resource
}

// GroupReleased: the directory let go of a group, as UserReleased.
type GroupReleased struct {
	Group *store.Resource
}

// GroupCreated: a group was created. Its initial members follow as a
// MembersAdded event.
type GroupCreated struct {
	Group *store.Resource
}

// GroupRenamed: a group's displayName changed.
type GroupRenamed struct {
	Group            *store.Resource
	OldName, NewName string
}

// GroupDeleted: a group was deleted; Group is its last state.
type GroupDeleted struct {
	Group *store.Resource
}

// MembersAdded: members (users or nested groups) were added to Group.
// Members are exactly the ones added.
type MembersAdded struct {
	Group   *store.Resource
	Members []store.Member
}

// MembersRemoved: members were removed from Group. Members are exactly the
// ones removed.
type MembersRemoved struct {
	Group   *store.Resource
	Members []store.Member
}

// Kind returns KindUserProvisioned.
func (*UserProvisioned) Kind() Kind { return KindUserProvisioned }

// Kind returns KindUserUpdated.
func (*UserUpdated) Kind() Kind { return KindUserUpdated }

// Kind returns KindUserDeactivated.
func (*UserDeactivated) Kind() Kind { return KindUserDeactivated }

// Kind returns KindUserReactivated.
func (*UserReactivated) Kind() Kind { return KindUserReactivated }

// Kind returns KindUserDeleted.
func (*UserDeleted) Kind() Kind { return KindUserDeleted }

// Kind returns KindUserReleased.
func (*UserReleased) Kind() Kind { return KindUserReleased }

// Kind returns KindGroupReleased.
func (*GroupReleased) Kind() Kind { return KindGroupReleased }

// Kind returns KindGroupCreated.
func (*GroupCreated) Kind() Kind { return KindGroupCreated }

// Kind returns KindGroupRenamed.
func (*GroupRenamed) Kind() Kind { return KindGroupRenamed }

// Kind returns KindGroupDeleted.
func (*GroupDeleted) Kind() Kind { return KindGroupDeleted }

// Kind returns KindMembersAdded.
func (*MembersAdded) Kind() Kind { return KindMembersAdded }

// Kind returns KindMembersRemoved.
func (*MembersRemoved) Kind() Kind { return KindMembersRemoved }

// Change is one attribute whose value a write changed: a core attribute
// ("name", "emails", "active") or an extension attribute, spelled
// "urn:...:User:department". Before or After is nil when the attribute
// was absent.
type Change struct {
	Attribute string
	Before    any
	After     any
}

// Op is the kind of write.
type Op int

// The kinds of write: a POST, a PUT or PATCH, a DELETE, and a release (the
// record deleted, the app's member kept, when a directory is disconnected
// with directory.KeepUnmanaged).
const (
	Create Op = iota
	Update
	Delete
	Release
)

// Write is a committed (or about to be committed) change to one resource,
// as Derive reads it.
type Write struct {
	Type store.ResourceType
	Op   Op
	// Before is the resource before the write (nil for Create), After the
	// resource after it (nil for Delete). For a group PATCH that only
	// changed members they may be loaded without their members.
	Before, After *store.Resource
	// Added and Removed are the members the write added to and removed
	// from a group, as the store reported them. For a group Create, Added
	// are its initial members.
	Added, Removed []store.Member
	// Parents are, for a group Delete, the groups that had it as a member
	// (as they are after the deletion), each of which lost it.
	Parents []*store.Resource
	// RemoveMembersOnDelete makes a group Delete also remove its members
	// first (a MembersRemoved event for all of Before.Members), for apps
	// that end team memberships that way.
	RemoveMembersOnDelete bool
}

// Derive returns the events w amounts to, in the order hooks receive them:
//
//   - user create: UserProvisioned;
//   - user update: UserUpdated when an attribute changed, then
//     UserDeactivated or UserReactivated when active flipped (an absent
//     active counts as true);
//   - user delete: UserDeleted;
//   - group create: GroupCreated, then MembersAdded for its initial members;
//   - group update: GroupRenamed when displayName changed, MembersRemoved,
//     MembersAdded;
//   - group delete: MembersRemoved of all its members when
//     RemoveMembersOnDelete, MembersRemoved for each group it was nested
//     in, GroupDeleted;
//   - user or group release: UserReleased or GroupReleased alone.
//
// A write that changed nothing derives no events. Derive keeps no
// reference to w's slices beyond the events it returns, and never
// modifies w.
func Derive(w Write) []Event {
	var out []Event
	switch {
	case w.Op == Release && w.Type == store.User:
		out = append(out, &UserReleased{User: w.Before})
	case w.Op == Release:
		out = append(out, &GroupReleased{Group: w.Before})
	case w.Type == store.User && w.Op == Create:
		out = append(out, &UserProvisioned{User: w.After})
	case w.Type == store.User && w.Op == Delete:
		out = append(out, &UserDeleted{User: w.Before})
	case w.Type == store.User:
		if changed := Diff(w.Before.Attributes, w.After.Attributes); len(changed) > 0 {
			out = append(out, &UserUpdated{Before: w.Before, After: w.After, Changed: changed})
		}
		switch was, is := w.Before.Active(), w.After.Active(); {
		case was && !is:
			out = append(out, &UserDeactivated{User: w.After})
		case !was && is:
			out = append(out, &UserReactivated{User: w.After})
		}
	case w.Op == Create:
		out = append(out, &GroupCreated{Group: w.After})
		if len(w.Added) > 0 {
			out = append(out, &MembersAdded{Group: w.After, Members: w.Added})
		}
	case w.Op == Delete:
		if w.RemoveMembersOnDelete && len(w.Before.Members) > 0 {
			out = append(out, &MembersRemoved{Group: w.Before, Members: w.Before.Members})
		}
		for _, parent := range w.Parents {
			gone := []store.Member{{Value: w.Before.ID, Type: store.Group, Display: w.Before.DisplayName()}}
			out = append(out, &MembersRemoved{Group: parent, Members: gone})
		}
		out = append(out, &GroupDeleted{Group: w.Before})
	default:
		if o, n := w.Before.DisplayName(), w.After.DisplayName(); o != n {
			out = append(out, &GroupRenamed{Group: w.After, OldName: o, NewName: n})
		}
		if len(w.Removed) > 0 {
			out = append(out, &MembersRemoved{Group: w.After, Members: w.Removed})
		}
		if len(w.Added) > 0 {
			out = append(out, &MembersAdded{Group: w.After, Members: w.Added})
		}
	}
	return out
}

// Kinds returns the kinds of evs, in order; nil for none.
func Kinds(evs []Event) []string {
	if len(evs) == 0 {
		return nil
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Kind())
	}
	return out
}

// Diff lists the attributes whose values differ between two resources'
// Attributes, sorted by name: extension attributes (the objects under a
// "urn:" key) one by one, as "urn:...:name". Values are compared by their
// JSON form, so int64(3) equals float64(3). Keys that begin with "_" are
// the library's own bookkeeping (a SCIM attribute name begins with a
// letter, RFC 7643 §2.1) and are never reported.
func Diff(before, after map[string]any) []Change {
	var out []Change
	seen := map[string]bool{}
	for _, m := range []map[string]any{before, after} {
		for k := range m {
			if seen[k] || strings.HasPrefix(k, "_") {
				continue
			}
			seen[k] = true
			bm, bExt := before[k].(map[string]any)
			am, aExt := after[k].(map[string]any)
			if strings.HasPrefix(strings.ToLower(k), "urn:") && (bExt || aExt) {
				for _, c := range Diff(bm, am) {
					c.Attribute = k + ":" + c.Attribute
					out = append(out, c)
				}
				continue
			}
			if !jsonenc.Equal(before[k], after[k]) {
				out = append(out, Change{Attribute: k, Before: before[k], After: after[k]})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Attribute < out[j].Attribute })
	return out
}
