// Package readme checks that the README's quickstart compiles as pasted.
package readme

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// quickstart returns the first Go code block after the "## Quickstart"
// heading.
func quickstart(t *testing.T, readme string) string {
	t.Helper()
	_, after, ok := strings.Cut(readme, "## Quickstart")
	require.True(t, ok, "README has no Quickstart section")
	_, code, ok := strings.Cut(after, "```go\n")
	require.True(t, ok, "Quickstart has no Go block")
	code, _, ok = strings.Cut(code, "```")
	require.True(t, ok)
	return code
}

func TestQuickstartCompiles(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a program; skipped with -short")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	code := quickstart(t, string(raw))
	require.LessOrEqual(t, strings.Count(code, "\n"), 25, "the quickstart should stay short")

	// A directory starting with "_" inside the module is ignored by ./...
	// but can be built by name, with the module's own go.mod and go.sum.
	dir, err := os.MkdirTemp(root, "_quickstart")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(code), 0o644))
	cmd := exec.Command("go", "build", "-o", os.DevNull, "./"+filepath.Base(dir))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "README quickstart does not compile:\n%s\n%s", out, code)
}
