package memory_test

import (
	"testing"

	"github.com/scimkit/scimkit/directory/directorytest"
	"github.com/scimkit/scimkit/store/memory"
)

func TestDirectories(t *testing.T) {
	t.Parallel()
	directorytest.Run(t, func(*testing.T) directorytest.Store { return memory.New().Directories() })
}
