package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/store"
)

// Directories returns the store's directory.Store, which keeps the
// directory records of the store's scopes in memory, with the store's clock.
func (s *Store) Directories() *Directories { return s.dirs }

// Directories is an in-memory directory.Store. It is safe for concurrent
// use.
type Directories struct {
	s *Store // for its clock

	mu   sync.Mutex
	byID map[store.Scope]*directory.Directory
	// keys are byID's keys in list order (directory.Less).
	keys []store.Scope
	// creds are the credentials by key id.
	creds map[string]*directory.Credential
}

var (
	_ directory.Store           = (*Directories)(nil)
	_ directory.CredentialStore = (*Directories)(nil)
)

func newDirectories(s *Store) *Directories {
	return &Directories{s: s, byID: make(map[store.Scope]*directory.Directory), creds: make(map[string]*directory.Credential)}
}

// position is where key is, or would be, in keys.
func (ds *Directories) position(key store.Scope) int {
	return sort.Search(len(ds.keys), func(i int) bool { return !directory.Less(ds.keys[i], key) })
}

// CreateDirectory saves a new directory (directory.Store).
func (ds *Directories) CreateDirectory(ctx context.Context, d *directory.Directory) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := d.Clone()
	if c.State == "" {
		c.State = directory.Active
	}
	if err := c.Validate(); err != nil {
		return err
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	key := c.Scope()
	if _, ok := ds.byID[key]; ok {
		return fmt.Errorf("%w: %s", directory.ErrExists, key)
	}
	now := ds.s.clock()
	c.Created, c.Updated, c.Version = now, now, 1
	ds.byID[key] = c
	ds.keys = slices.Insert(ds.keys, ds.position(key), key)
	ds.s.events.directoryChanged(nil, c)
	*d = *c
	return nil
}

// Directory returns a copy of the scope's directory (directory.Store).
func (ds *Directories) Directory(ctx context.Context, scope store.Scope) (*directory.Directory, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	d, ok := ds.byID[scope]
	if !ok {
		return nil, fmt.Errorf("%w: %s", directory.ErrNotFound, scope)
	}
	return d.Clone(), nil
}

// ListDirectories returns a page of directories by tenant, then id
// (directory.Store).
func (ds *Directories) ListDirectories(ctx context.Context, q directory.ListQuery) (*directory.Page, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := store.Scope{Tenant: q.Tenant}
	after := false
	if q.After != "" {
		tenant, id, err := directory.ParseCursor(q.After)
		if err != nil {
			return nil, err
		}
		start, after = store.Scope{Tenant: tenant, Directory: id}, true
	}
	limit := q.PageSize()
	ds.mu.Lock()
	defer ds.mu.Unlock()
	page := &directory.Page{}
	i := ds.position(start)
	if after && i < len(ds.keys) && ds.keys[i] == start {
		i++
	}
	for ; i < len(ds.keys); i++ {
		key := ds.keys[i]
		if !q.AllTenants && key.Tenant != q.Tenant {
			if key.Tenant > q.Tenant {
				break // past the tenant's directories
			}
			continue // a cursor from before the tenant's directories
		}
		d := ds.byID[key]
		if q.State != "" && d.State != q.State {
			continue
		}
		if len(page.Directories) == limit {
			page.Next = directory.Cursor(page.Directories[limit-1])
			break
		}
		page.Directories = append(page.Directories, d.Clone())
	}
	return page, nil
}

// UpdateDirectory changes the scope's directory with fn, atomically
// (directory.Store).
func (ds *Directories) UpdateDirectory(ctx context.Context, scope store.Scope, fn func(d *directory.Directory) error) (*directory.Directory, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	cur, ok := ds.byID[scope]
	if !ok {
		return nil, fmt.Errorf("%w: %s", directory.ErrNotFound, scope)
	}
	next := cur.Clone()
	if err := fn(next); err != nil {
		return nil, err
	}
	next.Tenant, next.ID, next.Created = cur.Tenant, cur.ID, cur.Created
	if err := next.Validate(); err != nil {
		return nil, err
	}
	next.Updated, next.Version = ds.s.clock(), cur.Version+1
	ds.byID[scope] = next
	ds.s.events.directoryChanged(cur, next)
	return next.Clone(), nil
}

// DeleteDirectory removes the scope's directory record (directory.Store).
func (ds *Directories) DeleteDirectory(ctx context.Context, scope store.Scope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if _, ok := ds.byID[scope]; !ok {
		return fmt.Errorf("%w: %s", directory.ErrNotFound, scope)
	}
	delete(ds.byID, scope)
	i := ds.position(scope)
	ds.keys = slices.Delete(ds.keys, i, i+1)
	for id, c := range ds.creds {
		if c.Scope() == scope {
			delete(ds.creds, id)
		}
	}
	return nil
}

// CreateCredential saves a credential of an existing directory
// (directory.CredentialStore).
func (ds *Directories) CreateCredential(ctx context.Context, c *directory.Credential) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if _, ok := ds.byID[c.Scope()]; !ok {
		return fmt.Errorf("%w: %s", directory.ErrNotFound, c.Scope())
	}
	if _, ok := ds.creds[c.ID]; ok {
		return fmt.Errorf("%w: credential %s", directory.ErrExists, c.ID)
	}
	saved := c.Clone()
	saved.Created, saved.LastUsed = ds.s.clock(), time.Time{}
	ds.creds[c.ID] = saved
	c.Created, c.LastUsed = saved.Created, time.Time{}
	return nil
}

// LookupCredential returns the credential with key id id and its directory
// (directory.CredentialStore).
func (ds *Directories) LookupCredential(ctx context.Context, id string) (*directory.Credential, *directory.Directory, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	c, ok := ds.creds[id]
	if !ok {
		return nil, nil, fmt.Errorf("%w: credential %s", directory.ErrNotFound, id)
	}
	d, ok := ds.byID[c.Scope()]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s", directory.ErrNotFound, c.Scope())
	}
	return c.Clone(), d.Clone(), nil
}

// ListCredentials returns the directory's credentials, newest first,
// without their hashes (directory.CredentialStore).
func (ds *Directories) ListCredentials(ctx context.Context, scope store.Scope) ([]*directory.Credential, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	var out []*directory.Credential
	for _, c := range ds.creds {
		if c.Scope() == scope {
			cp := c.Clone()
			cp.Hash, cp.Secret = nil, nil
			out = append(out, cp)
		}
	}
	slices.SortFunc(out, func(a, b *directory.Credential) int {
		if n := b.Created.Compare(a.Created); n != 0 {
			return n
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// EndCredential revokes the credential or sets its expiry
// (directory.CredentialStore).
func (ds *Directories) EndCredential(ctx context.Context, scope store.Scope, id string, at time.Time, revoke bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := directory.CheckEnd(at); err != nil {
		return err
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	c, ok := ds.creds[id]
	if !ok || c.Scope() != scope {
		return fmt.Errorf("%w: credential %s of %s", directory.ErrNotFound, id, scope)
	}
	end := &c.Expires
	if revoke {
		end = &c.Revoked
	}
	if end.IsZero() || at.Before(*end) {
		*end = at.Round(0)
	}
	return nil
}

// TouchCredentials records last-used times (directory.CredentialStore).
func (ds *Directories) TouchCredentials(ctx context.Context, used map[string]time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	for id, at := range used {
		c, ok := ds.creds[id]
		if !ok {
			continue
		}
		at = at.Round(0)
		if at.After(c.LastUsed) {
			c.LastUsed = at
		}
		if d, ok := ds.byID[c.Scope()]; ok && at.After(d.LastRequest) {
			d.LastRequest = at
		}
	}
	return nil
}
