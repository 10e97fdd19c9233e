package sqlstore

import (
	"context"
	"fmt"

	"github.com/scimkit/scimkit/store"
)

var _ store.GroupsOfTx = (*tx)(nil)

// GroupsOf implements store.GroupsOfTx through the members_member index.
func (t *tx) GroupsOf(ctx context.Context, typ store.ResourceType, id string) ([]string, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	b := t.s.query()
	b.w("SELECT group_id FROM ", t.s.t.members, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ",
		b.arg(t.scope.Directory), " AND member_id = ", b.arg(id), " AND member_type = ", b.arg(string(typ)), " ORDER BY group_id")
	var ids []string
	err := t.run.eachString(ctx, b.String(), b.args, func(gid string) { ids = append(ids, gid) })
	if err != nil {
		return nil, fmt.Errorf("sqlstore: groups of %s %q: %w", typ, id, err)
	}
	return ids, nil
}
