package readme

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// programs returns the Go code blocks of a Markdown page that are whole
// programs (package main), each with the output block that follows it, if
// the page shows one after "It prints:".
func programs(page string) (codes, outputs []string) {
	rest := page
	for {
		_, after, ok := strings.Cut(rest, "```go\n")
		if !ok {
			return codes, outputs
		}
		code, after, ok := strings.Cut(after, "```")
		if !ok {
			return codes, outputs
		}
		rest = after
		if !strings.HasPrefix(code, "package main\n") {
			continue
		}
		codes = append(codes, code)
		out := ""
		if head, tail, ok := strings.Cut(after, "```\n"); ok && strings.Contains(head, "It prints:") && !strings.Contains(head, "```") {
			out, _, _ = strings.Cut(tail, "```")
		}
		outputs = append(outputs, out)
	}
}

// TestDocsProgramsRun builds and runs every whole program in docs/, and
// compares what it prints on standard output with the output the page
// shows.
func TestDocsProgramsRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs programs; skipped with -short")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join(root, "docs", "*", "*.md"))
	require.NoError(t, err)
	ran := 0
	for _, page := range append(pages, more...) {
		raw, err := os.ReadFile(page)
		require.NoError(t, err)
		codes, outputs := programs(string(raw))
		for i, code := range codes {
			rel, _ := filepath.Rel(root, page)
			dir, err := os.MkdirTemp(root, "_docprogram")
			require.NoError(t, err)
			t.Cleanup(func() { os.RemoveAll(dir) })
			require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(code), 0o644))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			cmd := exec.CommandContext(ctx, "go", "run", "./"+filepath.Base(dir))
			cmd.Dir = root
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			cancel()
			require.NoError(t, err, "%s, program %d:\n%s%s", rel, i+1, out, stderr.String())
			if outputs[i] != "" {
				assert.Equal(t, outputs[i], string(out), "%s, program %d prints something else", rel, i+1)
			}
			ran++
		}
	}
	assert.Positive(t, ran, "the docs have whole programs to run")
}
