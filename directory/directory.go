// Package directory makes the directory, one customer's connection of one
// identity provider, first-class data: a record per (tenant, directory id)
// with its IdP kind, state and settings, kept by a Store that host apps and
// the SCIM handler read at request time.
//
// A directory is what a customer creates on a "Configure Directory Sync"
// page: a tenant (the customer organisation) may connect several, one per
// IdP. Its key is the store.Scope every SCIM resource, hook event and audit
// record already carries, so the resources a directory provisions are the
// ones in its scope.
//
// Store is the interface; store/memory and store/sqlstore implement it,
// and package directorytest is the contract both pass.
package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scimkit/scimkit/store"
)

// Kind is the identity provider a directory connects.
type Kind string

// The identity providers scimkit knows. Generic is any other RFC 7644
// client.
const (
	Okta      Kind = "okta"
	Entra     Kind = "entra"
	Google    Kind = "google"
	OneLogin  Kind = "onelogin"
	JumpCloud Kind = "jumpcloud"
	Ping      Kind = "ping"
	Rippling  Kind = "rippling"
	Keycloak  Kind = "keycloak"
	Generic   Kind = "generic"
)

// Kinds lists every Kind, in a stable order (for a picker on an admin page).
func Kinds() []Kind {
	return []Kind{Okta, Entra, Google, OneLogin, JumpCloud, Ping, Rippling, Keycloak, Generic}
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, x := range Kinds() {
		if k == x {
			return true
		}
	}
	return false
}

// State is where a directory is in its life.
type State string

const (
	// Active directories provision: their credentials are accepted.
	Active State = "active"
	// Paused directories keep their data, and their credentials are
	// refused until they are active again.
	Paused State = "paused"
	// Disconnected directories have ended: their credentials are refused
	// and their members were handled by the disconnect policy.
	Disconnected State = "disconnected"
)

// Valid reports whether s is Active, Paused or Disconnected.
func (s State) Valid() bool { return s == Active || s == Paused || s == Disconnected }

// GroupDeletion says what deleting a group (or unlinking a pushed group,
// which Okta does with DELETE) means for its members' team memberships.
type GroupDeletion string

const (
	// KeepMembers: only the group's deletion is reported; the app decides.
	KeepMembers GroupDeletion = "keep_members"
	// RemoveMembers: a removal of every member precedes the group's
	// deletion, so team memberships end like any other removal.
	RemoveMembers GroupDeletion = "remove_members"
)

// Settings are a directory's own policy, read at request time.
type Settings struct {
	// GroupDeletion is what deleting a group means for its members; ""
	// is KeepMembers.
	GroupDeletion GroupDeletion `json:"groupDeletion,omitempty"`
	// DeactivationGracePeriod is how long a deactivated user is kept
	// before expiry deletes it; 0 keeps it until the IdP deletes it.
	DeactivationGracePeriod time.Duration `json:"deactivationGracePeriod,omitempty"`
	// UniqueGroupNames makes group displayName unique in the directory.
	UniqueGroupNames bool `json:"uniqueGroupNames,omitempty"`
	// DefaultRole and DefaultTeamPermission are handed to the provision
	// hooks for new members and new team memberships.
	DefaultRole           string `json:"defaultRole,omitempty"`
	DefaultTeamPermission string `json:"defaultTeamPermission,omitempty"`
	// Notifications says whether the customer wants to be notified of
	// this directory's changes; hooks read it in Origin.Settings.
	Notifications bool `json:"notifications,omitempty"`
	// Profile, when set, replaces the Profile of the directory's Kind.
	Profile *Profile `json:"profile,omitempty"`
}

// Profile says how a directory's requests are read where its IdP and
// RFC 7644 disagree. The zero Profile is the RFC; Kind.Profile gives what
// each IdP needs. Behaviours that contradict nothing (string booleans,
// capitalised operation names, ...) are accepted from every IdP and are
// not part of a Profile; internal/document/quirks.go lists them all.
type Profile struct {
	// RemoveListedValues: a remove whose path is a whole multi-valued
	// attribute and which carries a value removes the values listed, as
	// Entra ID means by {"op":"Remove","path":"members","value":[{"value":
	// "<id>"}]}. Without it such a request is refused with 400
	// invalidValue: RFC 7644 §3.5.2.2 gives remove no value and would
	// remove every member.
	RemoveListedValues bool `json:"removeListedValues,omitempty"`
	// CreateOnFilterMiss: an add or replace through a value filter made
	// of eq tests that matches nothing creates the element the filter
	// describes, as Entra ID expects of {"op":"Replace","path":
	// "emails[type eq \"work\"].value","value":"..."} on a user without a
	// work e-mail. Without it the request is refused with 400 noTarget
	// (RFC 7644 §3.5.2.3).
	CreateOnFilterMiss bool `json:"createOnFilterMiss,omitempty"`
}

// Profile returns what the IdP needs: Entra's for Entra, the RFC (the zero
// Profile) for every other kind.
func (k Kind) Profile() Profile {
	if k == Entra {
		return Profile{RemoveListedValues: true, CreateOnFilterMiss: true}
	}
	return Profile{}
}

// Profile returns the directory's Profile: Settings.Profile when set, else
// its Kind's.
func (d *Directory) Profile() Profile {
	if d.Settings.Profile != nil {
		return *d.Settings.Profile
	}
	return d.Kind.Profile()
}

// Directory is one customer's connection of one identity provider.
type Directory struct {
	// Tenant is the customer organisation; "" for a single-tenant app.
	Tenant string
	// ID names the directory within its tenant. Required.
	ID string
	// Name is what the customer calls it ("Okta (Acme EU)").
	Name string
	// Kind is the IdP; required.
	Kind Kind
	// State is Active unless paused or disconnected; "" on create means
	// Active.
	State State
	// Settings are the directory's policy.
	Settings Settings

	// Created and Updated are set by the Store.
	Created, Updated time.Time
	// LastRequest is when the directory's IdP last called, zero for never.
	LastRequest time.Time
	// LastError is the last request failure worth showing the customer's
	// admin, at LastErrorAt; "" for none.
	LastError   string
	LastErrorAt time.Time
	// Version is set by the Store and grows with every change.
	Version int64
	// Disconnection is the directory's disconnect, from when it was
	// started (nil before): the policy it carries out, kept so that an
	// interrupted disconnect resumes with it.
	Disconnection *Disconnection
}

// DisconnectPolicy says what disconnecting a directory does to the users
// and groups it provisioned.
type DisconnectPolicy string

const (
	// KeepUnmanaged keeps the app's members and teams, no longer managed
	// by SCIM: their records are released (UserReleased, GroupReleased).
	KeepUnmanaged DisconnectPolicy = "keep"
	// DeactivateMembers deactivates every user (UserDeactivated); the
	// records stay, so a reconnection can reactivate them, and the
	// directory's grace period still expires them.
	DeactivateMembers DisconnectPolicy = "deactivate"
	// DeleteMembers deletes every group and user (GroupDeleted,
	// UserDeleted).
	DeleteMembers DisconnectPolicy = "delete"
)

// Valid reports whether p is one of the three policies.
func (p DisconnectPolicy) Valid() bool {
	return p == KeepUnmanaged || p == DeactivateMembers || p == DeleteMembers
}

// Disconnection is a directory's disconnect.
type Disconnection struct {
	Policy DisconnectPolicy `json:"policy"`
	// Started is when it began; Finished when every user and group was
	// handled, zero until then.
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
}

// Scope is the store scope of the directory's resources.
func (d *Directory) Scope() store.Scope { return store.Scope{Tenant: d.Tenant, Directory: d.ID} }

// Limits on a directory's text fields, in bytes.
const (
	MaxIDLen    = 255
	MaxNameLen  = 1024
	MaxErrorLen = 4096
	maxTextLen  = 1024 // DefaultRole, DefaultTeamPermission
)

// Errors of a Store. Implementations wrap them, so match with errors.Is.
var (
	// ErrNotFound: no directory has that tenant and id.
	ErrNotFound = errors.New("directory: not found")
	// ErrExists: a directory with that tenant and id already exists.
	ErrExists = errors.New("directory: already exists")
	// ErrInvalid: a field is missing, unknown or too long.
	ErrInvalid = errors.New("directory: invalid")
)

// Validate checks d's fields as a Store does before saving it. The error
// wraps ErrInvalid and names the field.
func (d *Directory) Validate() error {
	text := func(field, v string, max int, required bool) error {
		switch {
		case required && strings.TrimSpace(v) == "":
			return fmt.Errorf("%w: %s is required", ErrInvalid, field)
		case len(v) > max:
			return fmt.Errorf("%w: %s is %d bytes long; the limit is %d", ErrInvalid, field, len(v), max)
		case !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0:
			return fmt.Errorf("%w: %s is not valid UTF-8 text", ErrInvalid, field)
		}
		return nil
	}
	for _, err := range []error{
		text("tenant", d.Tenant, MaxIDLen, false),
		text("id", d.ID, MaxIDLen, true),
		text("name", d.Name, MaxNameLen, false),
		text("last error", d.LastError, MaxErrorLen, false),
		text("default role", d.Settings.DefaultRole, maxTextLen, false),
		text("default team permission", d.Settings.DefaultTeamPermission, maxTextLen, false),
	} {
		if err != nil {
			return err
		}
	}
	if !d.Kind.Valid() {
		return fmt.Errorf("%w: kind %q is not one of %v", ErrInvalid, d.Kind, Kinds())
	}
	if !d.State.Valid() {
		return fmt.Errorf("%w: state %q is not active, paused or disconnected", ErrInvalid, d.State)
	}
	switch d.Settings.GroupDeletion {
	case "", KeepMembers, RemoveMembers:
	default:
		return fmt.Errorf("%w: group deletion %q is not %s or %s", ErrInvalid, d.Settings.GroupDeletion, KeepMembers, RemoveMembers)
	}
	if d.Settings.DeactivationGracePeriod < 0 {
		return fmt.Errorf("%w: the deactivation grace period is negative", ErrInvalid)
	}
	if d.Disconnection != nil && !d.Disconnection.Policy.Valid() {
		return fmt.Errorf("%w: disconnect policy %q is not keep, deactivate or delete", ErrInvalid, d.Disconnection.Policy)
	}
	return nil
}

// Store keeps directories. Implementations are safe for concurrent use and
// return copies: changing a returned Directory changes nothing stored.
type Store interface {
	// CreateDirectory saves a new directory. It sets State to Active when
	// empty, Created, Updated and Version, on d too. A directory with the
	// same tenant and id gives ErrExists; an invalid one ErrInvalid.
	CreateDirectory(ctx context.Context, d *Directory) error
	// Directory returns the directory with the scope's tenant and id, or
	// ErrNotFound.
	Directory(ctx context.Context, scope store.Scope) (*Directory, error)
	// ListDirectories returns a page of directories ordered by tenant,
	// then id.
	ListDirectories(ctx context.Context, q ListQuery) (*Page, error)
	// UpdateDirectory calls fn with the current directory and saves what
	// fn leaves in it, atomically: concurrent updates of one directory are
	// serialised. Tenant, ID, Created and Version cannot be changed by fn;
	// Updated and Version are set. fn's error is returned and nothing is
	// saved; an invalid result gives ErrInvalid.
	UpdateDirectory(ctx context.Context, scope store.Scope, fn func(d *Directory) error) (*Directory, error)
	// DeleteDirectory removes the directory record (not its resources), or
	// returns ErrNotFound.
	DeleteDirectory(ctx context.Context, scope store.Scope) error
}

// ListQuery selects a page of directories.
type ListQuery struct {
	// Tenant restricts the list to one tenant's directories when
	// AllTenants is false.
	Tenant     string
	AllTenants bool
	// State, when set, keeps only directories in that state.
	State State
	// After is the Next of the previous page; "" starts at the beginning.
	After string
	// Limit is the page size; 0 means DefaultPageSize, and it is capped at
	// MaxPageSize.
	Limit int
}

// Page sizes of ListDirectories.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Page is one page of directories.
type Page struct {
	Directories []*Directory
	// Next continues the list (ListQuery.After); "" on the last page.
	Next string
}

// PageSize is the page size q asks for, after the default and the cap.
func (q ListQuery) PageSize() int {
	switch {
	case q.Limit <= 0:
		return DefaultPageSize
	case q.Limit > MaxPageSize:
		return MaxPageSize
	}
	return q.Limit
}

// Cursor is the ListQuery.After that continues a list after d: an opaque
// string stores hand out in Page.Next and read back with ParseCursor.
func Cursor(d *Directory) string {
	return fmt.Sprintf("%d:%s%s", len(d.Tenant), d.Tenant, d.ID)
}

// ParseCursor reads a Cursor back into the tenant and id it continues
// after. A malformed cursor wraps ErrInvalid.
func ParseCursor(c string) (tenant, id string, err error) {
	n, rest, ok := strings.Cut(c, ":")
	var size int
	if _, scanErr := fmt.Sscanf(n, "%d", &size); !ok || scanErr != nil || size < 0 || size > len(rest) || fmt.Sprint(size) != n {
		return "", "", fmt.Errorf("%w: malformed page cursor", ErrInvalid)
	}
	return rest[:size], rest[size:], nil
}

// Clone returns a deep copy of d.
func (d *Directory) Clone() *Directory {
	c := *d
	if d.Settings.Profile != nil {
		p := *d.Settings.Profile
		c.Settings.Profile = &p
	}
	if d.Disconnection != nil {
		dc := *d.Disconnection
		c.Disconnection = &dc
	}
	return &c
}

type contextKey struct{}

// NewContext returns a copy of ctx carrying d, the directory a request
// was authenticated for. Authenticator sets it, so the SCIM handler reads
// the directory's policy without reading the store again.
func NewContext(ctx context.Context, d *Directory) context.Context {
	return context.WithValue(ctx, contextKey{}, d)
}

// FromContext returns the directory NewContext stored in ctx. It is the
// caller's to read, not to change.
func FromContext(ctx context.Context) (*Directory, bool) {
	d, ok := ctx.Value(contextKey{}).(*Directory)
	return d, ok
}

// Less orders directories as ListDirectories does: by tenant, then id.
func Less(a, b store.Scope) bool {
	if a.Tenant != b.Tenant {
		return a.Tenant < b.Tenant
	}
	return a.Directory < b.Directory
}
