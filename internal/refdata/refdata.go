// Package refdata finds the reference data nobody on this project made (OSM
// extracts, the MVT fixtures, OR-Library, the spopt San Francisco case) in
// ../shared/data beside the repository, for tests, and skips a test with a
// message saying so when it is absent.
package refdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns ../shared/data/sub beside the repository root (the folder
// holding go.mod above the working directory), or skips the test.
func Path(t testing.TB, sub string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("reference data skipped: no go.mod above the test directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", sub)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference data skipped: %s is absent (see ../shared/data/README.md)", p)
	}
	return p
}
