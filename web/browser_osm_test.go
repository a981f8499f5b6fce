package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/internal/refdata"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/config"
	"github.com/onemap/onemap/layers/postgis"
)

// TestBrowserOSM2pgsql: the page over an extract nobody here made
// (Liechtenstein, imported with Debian's osm2pgsql and published with the
// built-in profile) draws a full map, with no console error.
func TestBrowserOSM2pgsql(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("the browser test needs Debian's Chromium at %s: %v", chromium, err)
	}
	if _, err := exec.LookPath("osm2pgsql"); err != nil {
		t.Skip("osm2pgsql not installed (apt-get install osm2pgsql)")
	}
	pbf := filepath.Join(refdata.Path(t, "osm"), "liechtenstein-latest.osm.pbf")
	db := pgtest.New(t)
	if out, err := exec.Command("osm2pgsql", "--create", "--output-pgsql-schema="+db.Schema, "--middle-schema="+db.Schema,
		"-d", os.Getenv(pgtest.Env), pbf).CombinedOutput(); err != nil {
		t.Fatalf("osm2pgsql: %v\n%s", err, out)
	}
	ctx := context.Background()
	f, _, err := config.DetectOSM2pgsql(ctx, db.Pool)
	if err != nil || f == nil {
		t.Fatalf("osm2pgsql tables not detected: %v", err)
	}
	plan, err := config.Build(ctx, db.Pool, f, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := layers.NewCatalog()
	if _, err := postgis.Publish(ctx, db.Pool, c, plan.Sources, nil); err != nil {
		t.Fatal(err)
	}
	// The locator reads all four levels: the one the extract lacks, empty.
	if _, ok := c.Layer(layers.Communities); !ok {
		for _, s := range layers.ThematicSchemas(false) {
			if s.Name == layers.Communities {
				s.Owner = postgis.UserOwner
				if _, err := c.Put(s, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	srv := serveCatalog(t, c, &data.District{})
	b := newBrowser(t, srv)
	defer srv.log.check(t)
	b.open(1920, 1080)
	img := b.screenshot("onemap-osm2pgsql-liechtenstein.png")
	// Liechtenstein is narrow: about a quarter of a 16:9 view.
	if share := drawn(img, b.rect("#map")); share < 0.15 {
		t.Errorf("the map is nearly blank: %.1f%% of its pixels are not background", 100*share)
	} else {
		t.Logf("map drawn: %.1f%% of its pixels are not background", 100*share)
	}
	for _, e := range b.consoleErrors() {
		t.Errorf("console: %s", e)
	}
}
