package sqlstore

import "database/sql"

// StmtCacheStats returns the number of statements s's cache holds
// (prepared or being prepared), how many it has prepared and how many
// times a statement was found prepared; all -1 without a cache.
func StmtCacheStats(s *Store) (size int, prepared, hits int64) {
	if s.stmts == nil {
		return -1, -1, -1
	}
	s.stmts.mu.Lock()
	hits = s.stmts.hits
	s.stmts.mu.Unlock()
	return s.stmts.len(), s.stmts.prepared.Load(), hits
}

// SetStmtCacheMax gives s an empty statement cache of at most max
// statements. Call it before s is used concurrently.
func SetStmtCacheMax(s *Store, max int) {
	if s.stmts != nil {
		s.stmts.close()
	}
	s.stmts = newStmtCache(s.db, max)
	s.dbr = &runner{c: s.stmts, db: s.db}
}

// WaitStmtCache waits for the preparations in flight. Call it only while
// nothing else uses s.
func WaitStmtCache(s *Store) {
	if s.stmts != nil {
		s.stmts.wg.Wait()
	}
}

// StmtCacheStatements returns the prepared statements of s's cache.
func StmtCacheStatements(s *Store) []*sql.Stmt {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	var out []*sql.Stmt
	for _, e := range s.stmts.m {
		if e.stmt != nil {
			out = append(out, e.stmt)
		}
	}
	return out
}

// StmtCacheTexts returns the SQL texts s's cache holds.
func StmtCacheTexts(s *Store) []string {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	out := make([]string, 0, len(s.stmts.m))
	for text := range s.stmts.m {
		out = append(out, text)
	}
	return out
}

// LatestSchemaVersion is the version of the newest migration.
var LatestSchemaVersion = migrations[len(migrations)-1].version
