package data

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSourcesDoNotImportTheDemo: the PostGIS and OSM sources (and the
// district types they fill) build without the demo generator, so a
// change to the demo cannot change how a user's data is read.
func TestSourcesDoNotImportTheDemo(t *testing.T) {
	for _, pkg := range []string{"layers/postgis", "layers/osm", "data"} {
		out, err := exec.Command("go", "list", "-deps", "github.com/onemap/onemap/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == "github.com/onemap/onemap/data/demo" {
				t.Errorf("%s depends on the demo generator", pkg)
			}
		}
	}
}
