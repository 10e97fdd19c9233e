package store

import (
	"context"
	"errors"
	"fmt"
)

// Getter reads one resource; a Tx is one, and Scoped turns a Store into
// one.
type Getter interface {
	Get(ctx context.Context, typ ResourceType, id string) (*Resource, error)
}

// Scoped returns a Getter reading s in scope.
func Scoped(s Store, scope Scope) Getter { return scoped{s, scope} }

type scoped struct {
	s     Store
	scope Scope
}

func (g scoped) Get(ctx context.Context, typ ResourceType, id string) (*Resource, error) {
	return g.s.Get(ctx, g.scope, typ, id)
}

// EffectiveMembers returns the ids of the users in a group directly or
// through nested groups, each once, in the order first reached
// (breadth-first). Cycles (A in B in A) are followed once; a nested group
// that no longer exists is skipped.
func EffectiveMembers(ctx context.Context, g Getter, groupID string) ([]string, error) {
	var users []string
	seenUser := map[string]bool{}
	seenGroup := map[string]bool{groupID: true}
	queue := []string{groupID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		grp, err := g.Get(ctx, Group, id)
		if errors.Is(err, ErrNotFound) && id != groupID {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: effective members of %q: %w", groupID, err)
		}
		for _, m := range grp.Members {
			switch m.Type {
			case User:
				if !seenUser[m.Value] {
					seenUser[m.Value] = true
					users = append(users, m.Value)
				}
			case Group:
				if !seenGroup[m.Value] {
					seenGroup[m.Value] = true
					queue = append(queue, m.Value)
				}
			}
		}
	}
	return users, nil
}
