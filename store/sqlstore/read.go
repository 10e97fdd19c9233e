package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

const resourceCols = "id, type, seq, created, last_modified, version, doc"

type scanner interface{ Scan(dest ...any) error }

// scanResource reads one row of resourceCols.
func scanResource(sc scanner) (*store.Resource, int64, error) {
	var (
		r                store.Resource
		typ              string
		seq, cr, lm, ver int64
		doc              []byte
	)
	if err := sc.Scan(&r.ID, &typ, &seq, &cr, &lm, &ver, &doc); err != nil {
		return nil, 0, err
	}
	r.Type = store.ResourceType(typ)
	r.Created, r.LastModified, r.Version = time.UnixMilli(cr), time.UnixMilli(lm), ver
	if err := json.Unmarshal(doc, &r.Attributes); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: decoding resource %s: %w", r.ID, err)
	}
	return &r, seq, nil
}

// Get returns the resource of type typ with the given id in scope.
func (s *Store) Get(ctx context.Context, scope store.Scope, typ store.ResourceType, id string) (*store.Resource, error) {
	return s.get(ctx, s.dbr, scope, typ, id)
}

// List returns the page of resources of type typ in scope that q selects.
// Its statements run in one read snapshot, so the total and the page agree
// even while others write.
func (s *Store) List(ctx context.Context, scope store.Scope, typ store.ResourceType, q store.Query) (page *store.Page, err error) {
	err = s.snapshot(ctx, func(db *runner) error {
		page, err = s.list(ctx, db, scope, typ, q)
		return err
	})
	return page, err
}

// snapshot runs fn against one consistent read view of the database.
func (s *Store) snapshot(ctx context.Context, fn func(*runner) error) error {
	// The SQLite driver begins the database/sql transactions of a file
	// opened with _txlock=immediate IMMEDIATE (a write lock, so that
	// writers queue), but a read-only one DEFERRED: a read takes a
	// snapshot, which in WAL mode never waits for a writer (see
	// TestSQLiteReadsDoNotWaitForWriter).
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d == PostgreSQL {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlstore: read transaction: %w", err)
	}
	run := s.inTx(tx)
	defer func() {
		_ = tx.Rollback()
		run.done()
	}()
	return fn(run)
}

func (s *Store) get(ctx context.Context, db *runner, scope store.Scope, typ store.ResourceType, id string) (*store.Resource, error) {
	b := s.query()
	b.w("SELECT ", resourceCols, " FROM ", s.t.resources, " WHERE tenant = ", b.arg(scope.Tenant),
		" AND directory = ", b.arg(scope.Directory), " AND id = ", b.arg(id), " AND type = ", b.arg(string(typ)))
	r, _, err := scanResource(db.queryRow(ctx, b.String(), b.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s %q", store.ErrNotFound, typ, id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: get %s %q: %w", typ, id, err)
	}
	if err := s.fillRelations(ctx, db, scope, []*store.Resource{r}, true); err != nil {
		return nil, err
	}
	return r, nil
}

// fillRelations sets Groups on users and (when withMembers) Members on
// groups, with display values from the current rows.
func (s *Store) fillRelations(ctx context.Context, db *runner, scope store.Scope, rs []*store.Resource, withMembers bool) error {
	var users, groups []string
	byID := make(map[string]*store.Resource, len(rs))
	for _, r := range rs {
		byID[r.ID] = r
		switch r.Type {
		case store.User:
			users = append(users, r.ID)
			r.Groups = []store.GroupRef{}
		case store.Group:
			if withMembers {
				groups = append(groups, r.ID)
				r.Members = []store.Member{}
			}
		}
	}
	for _, chunk := range chunks(users, 500) {
		b := s.query()
		members := s.t.members + " m"
		if s.d == SQLite {
			// Without statistics SQLite may pick the primary key's
			// (tenant, directory) prefix and read every membership of the
			// scope; the member index answers this directly.
			members += " INDEXED BY " + s.t.members + "_member"
		}
		b.w("SELECT m.member_id, g.id, g.display_name FROM ", members, " JOIN ", s.t.resources,
			" g ON g.tenant = m.tenant AND g.directory = m.directory AND g.id = m.group_id WHERE m.tenant = ", b.arg(scope.Tenant),
			" AND m.directory = ", b.arg(scope.Directory), " AND m.member_id IN (", b.list(chunk), ")")
		err := db.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
			var member, gid string
			var display sql.NullString
			if err := rows.Scan(&member, &gid, &display); err != nil {
				return err
			}
			r := byID[member]
			r.Groups = append(r.Groups, store.GroupRef{Value: gid, Display: display.String})
			return nil
		})
		if err != nil {
			return fmt.Errorf("sqlstore: loading groups: %w", err)
		}
	}
	for _, id := range users {
		gs := byID[id].Groups
		sort.Slice(gs, func(i, j int) bool {
			if gs[i].Display != gs[j].Display {
				return gs[i].Display < gs[j].Display
			}
			return gs[i].Value < gs[j].Value
		})
	}
	for _, chunk := range chunks(groups, 500) {
		b := s.query()
		b.w("SELECT m.group_id, m.member_id, m.member_type, r.display_name, r.user_name FROM ", s.t.members, " m LEFT JOIN ",
			s.t.resources, " r ON r.tenant = m.tenant AND r.directory = m.directory AND r.id = m.member_id WHERE m.tenant = ",
			b.arg(scope.Tenant), " AND m.directory = ", b.arg(scope.Directory), " AND m.group_id IN (", b.list(chunk), ") ORDER BY m.seq")
		err := db.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
			var gid, member, typ string
			var display, userName sql.NullString
			if err := rows.Scan(&gid, &member, &typ, &display, &userName); err != nil {
				return err
			}
			d := display.String
			if d == "" {
				d = userName.String
			}
			g := byID[gid]
			g.Members = append(g.Members, store.Member{Value: member, Type: store.ResourceType(typ), Display: d})
			return nil
		})
		if err != nil {
			return fmt.Errorf("sqlstore: loading members: %w", err)
		}
	}
	return nil
}

func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > 0 {
		k := min(n, len(ids))
		out = append(out, ids[:k])
		ids = ids[k:]
	}
	return out
}

// sortColumns maps the sort paths SQL can order by to their columns: the
// folded column first for case-insensitive attributes, then the exact one,
// matching filter.Path.Compare.
var sortColumns = map[string][]string{
	"id":                {"id"},
	"userName":          {"user_name_fold", "user_name"},
	"externalId":        {"external_id"},
	"displayName":       {"display_name_fold", "display_name"},
	"meta.created":      {"created"},
	"meta.lastModified": {"last_modified"},
}

// listPlan is the SQL side of a List.
type listPlan struct {
	base     string // " FROM ... WHERE ..."
	order    string // " ORDER BY ..."
	args     []any
	residual *filter.Filter
	// sqlSorted: the ORDER BY gives the query's order.
	sqlSorted bool
}

func (s *Store) plan(scope store.Scope, typ store.ResourceType, q store.Query) (*listPlan, error) {
	b := s.query()
	where := "tenant = " + b.arg(scope.Tenant) + " AND directory = " + b.arg(scope.Directory) + " AND type = " + b.arg(string(typ))
	p := &listPlan{}
	if q.Filter != nil {
		tr, err := q.Filter.SQL(filter.SQLTarget{Dialect: s.d, Columns: s.columns, Doc: "doc", FoldedDoc: "doc_fold", FirstArg: len(b.args) + 1})
		if err != nil {
			return nil, fmt.Errorf("sqlstore: translating filter: %w", err)
		}
		if tr.Where != "" {
			where += " AND (" + tr.Where + ")"
			b.args = append(b.args, tr.Args...)
		}
		p.residual = tr.Residual
	}
	var sortCols []string
	if q.SortBy != nil {
		sortCols = sortColumns[q.SortBy.String()]
	}
	p.sqlSorted = q.SortBy == nil || sortCols != nil
	p.order = " ORDER BY seq"
	if q.Filter != nil && s.d == SQLite {
		if _, _, ok := q.Filter.Equalities(); ok {
			// An IdP lookup (eq on id, userName, externalId or
			// displayName) matches a handful of rows. Without statistics
			// SQLite would walk the creation-order index to avoid sorting
			// them; the unary plus stops that, so the lookup index is used.
			p.order = " ORDER BY +seq"
		}
	}
	if sortCols != nil {
		dir, nulls := "", ""
		if q.Descending {
			dir, nulls = " DESC", " DESC"
		}
		// Absent values sort last ascending (and so first descending),
		// as filter.Path.Compare orders them.
		parts := []string{"(" + sortCols[0] + " IS NULL)" + nulls}
		for _, c := range sortCols {
			if s.d == PostgreSQL && c != "created" && c != "last_modified" {
				c += ` COLLATE "C"`
			}
			parts = append(parts, c+dir)
		}
		p.order = " ORDER BY " + strings.Join(parts, ", ") + ", seq"
	}
	p.base = " FROM " + s.t.resources + " WHERE " + where
	p.args = b.args
	return p, nil
}

// Statement is one SQL statement and its arguments.
type Statement struct {
	SQL  string
	Args []any
}

// ListSQL returns the statements, with their arguments, by which List
// selects the resources q asks for, in the order List runs them, for
// inspection with EXPLAIN. When SQL does all of the filter and the sort,
// they are a count of the matches and, unless q.Count is 0, the page of
// their ids (which List skips when the page starts past the count); List
// then loads those rows by primary key. When part of the filter or the
// sort runs in Go, it is one statement selecting a superset in creation
// order.
func (s *Store) ListSQL(scope store.Scope, typ store.ResourceType, q store.Query) ([]Statement, error) {
	p, err := s.plan(scope, typ, q)
	if err != nil {
		return nil, err
	}
	if !p.inSQL() {
		return []Statement{p.scanStatement()}, nil
	}
	out := []Statement{p.countStatement()}
	if q.Count != 0 {
		out = append(out, s.pageStatement(p, q))
	}
	return out, nil
}

// inSQL reports whether SQL does the whole query: filter, sort and page.
func (p *listPlan) inSQL() bool { return p.residual == nil && p.sqlSorted }

// countStatement counts the matches of a plan done in SQL.
func (p *listPlan) countStatement() Statement {
	return Statement{SQL: "SELECT COUNT(*)" + p.base, Args: p.args}
}

// pageStatement selects the ids of the page q asks for, of a plan done in
// SQL.
func (s *Store) pageStatement(p *listPlan, q store.Query) Statement {
	b := &builder{d: s.d, args: append([]any(nil), p.args...)}
	var limit any = q.Count
	if q.Count < 0 {
		// No limit: -1 in SQLite, NULL in PostgreSQL.
		limit = -1
		if s.d == PostgreSQL {
			limit = nil
		}
	}
	b.w("SELECT id", p.base, p.order, " LIMIT ", b.arg(limit), " OFFSET ", b.arg(max(q.StartIndex, 1)-1))
	return Statement{SQL: b.String(), Args: b.args}
}

// scanStatement selects every row a plan partly done in Go may keep.
func (p *listPlan) scanStatement() Statement {
	return Statement{SQL: "SELECT " + resourceCols + p.base + p.order, Args: p.args}
}

func (s *Store) list(ctx context.Context, db *runner, scope store.Scope, typ store.ResourceType, q store.Query) (*store.Page, error) {
	start := max(q.StartIndex, 1)
	p, err := s.plan(scope, typ, q)
	if err != nil {
		return nil, err
	}
	residual, sqlSorted := p.residual, p.sqlSorted
	page := &store.Page{Resources: []*store.Resource{}}
	// The statements are ListSQL's.
	if p.inSQL() {
		// Everything in SQL: count, then page through the index for ids
		// only, then load just those rows.
		count := p.countStatement()
		if err := db.queryRow(ctx, count.SQL, count.Args...).Scan(&page.Total); err != nil {
			return nil, fmt.Errorf("sqlstore: counting: %w", err)
		}
		if q.Count == 0 || start > page.Total {
			return page, nil
		}
		var ids []string
		stmt := s.pageStatement(p, q)
		err := db.eachString(ctx, stmt.SQL, stmt.Args, func(id string) { ids = append(ids, id) })
		if err != nil {
			return nil, fmt.Errorf("sqlstore: listing: %w", err)
		}
		rs, err := s.load(ctx, db, scope, ids)
		if err != nil {
			return nil, err
		}
		page.Resources = rs
	} else {
		// Part of the query runs in Go: fetch what SQL can select, finish
		// the filter, sort and page here.
		scan := p.scanStatement()
		rs, err := s.scanAll(ctx, db, scan.SQL, scan.Args)
		if err != nil {
			return nil, err
		}
		if residual != nil {
			// The residual may test members or groups.
			if err := s.fillRelations(ctx, db, scope, rs, true); err != nil {
				return nil, err
			}
			kept := rs[:0]
			for _, r := range rs {
				if residual.Match(r.DocumentView()) {
					kept = append(kept, r)
				}
			}
			rs = kept
		}
		if !sqlSorted {
			keys := make([]any, len(rs))
			for i, r := range rs {
				keys[i] = q.SortBy.SortValue(r.DocumentView())
			}
			idx := make([]int, len(rs))
			for i := range idx {
				idx[i] = i
			}
			sort.SliceStable(idx, func(i, j int) bool {
				c := q.SortBy.Compare(keys[idx[i]], keys[idx[j]])
				if q.Descending {
					c = -c
				}
				return c < 0
			})
			sorted := make([]*store.Resource, len(rs))
			for i, k := range idx {
				sorted[i] = rs[k]
			}
			rs = sorted
		}
		page.Total = len(rs)
		lo := min(start-1, len(rs))
		hi := len(rs)
		if q.Count >= 0 {
			hi = min(lo+q.Count, len(rs))
		}
		page.Resources = rs[lo:hi]
		for _, r := range page.Resources {
			r.Members, r.Groups = nil, nil
		}
	}
	if err := s.fillRelations(ctx, db, scope, page.Resources, !q.ExcludeMembers); err != nil {
		return nil, err
	}
	return page, nil
}

func (s *Store) scanAll(ctx context.Context, db *runner, stmt string, args []any) ([]*store.Resource, error) {
	out := []*store.Resource{}
	var scanErr error
	err := db.each(ctx, stmt, args, func(rows *sql.Rows) error {
		r, _, err := scanResource(rows)
		if err != nil {
			scanErr = err
			return err
		}
		out = append(out, r)
		return nil
	})
	if scanErr != nil {
		return nil, scanErr
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: listing: %w", err)
	}
	return out, nil
}

// load reads the resources with the given ids, in that order.
func (s *Store) load(ctx context.Context, db *runner, scope store.Scope, ids []string) ([]*store.Resource, error) {
	byID := make(map[string]*store.Resource, len(ids))
	for _, chunk := range chunks(ids, 500) {
		b := s.query()
		b.w("SELECT ", resourceCols, " FROM ", s.t.resources, " WHERE tenant = ", b.arg(scope.Tenant),
			" AND directory = ", b.arg(scope.Directory), " AND id IN (", b.list(chunk), ")")
		err := db.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
			r, _, err := scanResource(rows)
			if err != nil {
				return err
			}
			byID[r.ID] = r
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sqlstore: loading: %w", err)
		}
	}
	out := make([]*store.Resource, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}
