package scim

import (
	"context"
	"errors"
	"fmt"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/store"
)

// policy is what one write follows: the settings and IdP profile of the
// request's directory, or the handler-wide options for a scope without a
// directory record.
type policy struct {
	dir      *directory.Directory // nil: the scope has no record
	settings directory.Settings
	profile  directory.Profile
}

// target is where a request writes: its scope and the policy it follows
// there.
type target struct {
	scope  store.Scope
	policy *policy
}

// documentOptions are the document engine's options for the profile.
func (p *policy) documentOptions() document.Options {
	return document.Options{RemoveListed: p.profile.RemoveListedValues, CreateOnFilterMiss: p.profile.CreateOnFilterMiss}
}

// defaults is the policy of a scope without a directory record: the
// handler-wide options.
func (h *Handler) defaults() *policy {
	return &policy{
		settings: directory.Settings{
			GroupDeletion:           h.cfg.GroupDeletion,
			DeactivationGracePeriod: h.cfg.DeactivationGracePeriod,
			UniqueGroupNames:        h.cfg.UniqueGroupDisplayName,
		},
		profile: h.cfg.IdPProfile,
	}
}

// policyFor returns the policy of writes to scope: that of the directory
// the authentication middleware put in ctx (directory.NewContext), else of
// the record Config.Directories holds for scope, else the defaults.
func (h *Handler) policyFor(ctx context.Context, scope store.Scope) (*policy, error) {
	d, ok := directory.FromContext(ctx)
	if !ok || d.Scope() != scope {
		if h.cfg.Directories == nil {
			return h.defaults(), nil
		}
		var err error
		d, err = h.cfg.Directories.Directory(ctx, scope)
		if errors.Is(err, directory.ErrNotFound) {
			return h.defaults(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("scim: reading the policy of %s: %w", scope, err)
		}
	}
	return &policy{dir: d, settings: d.Settings, profile: d.Profile()}, nil
}
