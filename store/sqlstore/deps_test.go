package sqlstore_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSQLiteDriverOnlyInPackageSqlite: an application that uses the SQL
// store on PostgreSQL alone imports store/sqlstore, which must not pull in
// the SQLite driver; package store/sqlstore/sqlite does.
func TestSQLiteDriverOnlyInPackageSqlite(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	deps := func(pkg string) []string {
		out, err := exec.Command(goTool, "list", "-deps", pkg).Output()
		require.NoError(t, err, "go list -deps %s", pkg)
		return strings.Fields(string(out))
	}
	assert.NotContains(t, deps("github.com/scimkit/scimkit/store/sqlstore"), "modernc.org/sqlite")
	assert.NotContains(t, deps("github.com/scimkit/scimkit/scim"), "modernc.org/sqlite")
	assert.Contains(t, deps("github.com/scimkit/scimkit/store/sqlstore/sqlite"), "modernc.org/sqlite")
}
