package scim

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// managedBatch is how many userNames one query of Unmanaged asks for.
const managedBatch = 50

// Managed reports whether a user with userName (compared ignoring case,
// as SCIM compares userName) is provisioned for tenant, and returns it and
// its scope: an app refuses manual edits of such members ("all users must
// be managed through SCIM"). It looks in the scope {tenant, ""} (static
// credentials without a directory) and in every directory of the tenant
// in Config.Directories that is not disconnected: a disconnected
// directory manages nobody any more.
func (h *Handler) Managed(ctx context.Context, tenant, userName string) (*store.Resource, store.Scope, bool, error) {
	found, err := h.findUsers(ctx, tenant, []string{userName})
	if err != nil {
		return nil, store.Scope{}, false, err
	}
	for _, f := range found {
		return f.user, f.scope, true, nil
	}
	return nil, store.Scope{}, false, nil
}

// Unmanaged returns those of userNames that no directory of tenant
// provisions, in their order: the app's members from before SCIM that no
// IdP has linked yet.
func (h *Handler) Unmanaged(ctx context.Context, tenant string, userNames []string) ([]string, error) {
	found, err := h.findUsers(ctx, tenant, userNames)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range userNames {
		if _, ok := found[filter.Fold(n)]; !ok {
			out = append(out, n)
		}
	}
	return out, nil
}

type foundUser struct {
	user  *store.Resource
	scope store.Scope
}

// findUsers looks userNames up in every scope of tenant, a batch of them
// per query (userName is indexed in every store), and returns what it
// found by folded userName.
func (h *Handler) findUsers(ctx context.Context, tenant string, userNames []string) (map[string]foundUser, error) {
	scopes, err := h.scopesOf(ctx, tenant)
	if err != nil {
		return nil, err
	}
	found := make(map[string]foundUser, len(userNames))
	for start := 0; start < len(userNames); start += managedBatch {
		batch := userNames[start:min(start+managedBatch, len(userNames))]
		terms := make([]string, len(batch))
		for i, n := range batch {
			f, err := filter.Equal("userName", n, h.users.FilterOptions...)
			if err != nil {
				return nil, fmt.Errorf("scim: userName %q: %w", filter.Excerpt(n), err)
			}
			terms[i] = f.String()
		}
		// The batch is longer than a client's filter may be: the last
		// option raises the type's length limit for it.
		opts := append(slices.Clone(h.users.FilterOptions), filter.WithMaxLength(1<<20))
		f, err := filter.Parse(strings.Join(terms, " or "), opts...)
		if err != nil {
			return nil, fmt.Errorf("scim: userName filter: %w", err)
		}
		for _, sc := range scopes {
			page, err := h.store.List(ctx, sc, store.User, store.Query{Filter: f, StartIndex: 1, Count: -1})
			if err != nil {
				return nil, fmt.Errorf("scim: looking up users in %s: %w", sc, err)
			}
			for _, u := range page.Resources {
				name, _ := u.Attributes["userName"].(string)
				if _, seen := found[filter.Fold(name)]; !seen {
					found[filter.Fold(name)] = foundUser{user: u, scope: sc}
				}
			}
		}
	}
	return found, nil
}

// scopesOf lists the scopes that can provision tenant's members: the
// tenant's own scope and its directories that are not disconnected.
func (h *Handler) scopesOf(ctx context.Context, tenant string) ([]store.Scope, error) {
	out := []store.Scope{{Tenant: tenant}}
	if h.cfg.Directories == nil {
		return out, nil
	}
	q := directory.ListQuery{Tenant: tenant}
	for {
		page, err := h.cfg.Directories.ListDirectories(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("scim: listing %s's directories: %w", tenant, err)
		}
		for _, d := range page.Directories {
			if d.State != directory.Disconnected && d.ID != "" {
				out = append(out, d.Scope())
			}
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	return out, nil
}
