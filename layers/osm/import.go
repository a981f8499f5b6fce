package osm

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
)

// Import is `onemap import osm FILE.osm.pbf --db URL`: it reads the extract
// and replaces the roads, fire_stations, schools, hospitals and
// elderly_care tables of the database at url with what it holds (the
// other layers come out empty: an OSM extract has no grids). progress may
// be nil.
func Import(ctx context.Context, path, url string, progress io.Writer) error {
	t0 := time.Now()
	x, err := Read(ctx, path, Options{Progress: progress})
	if err != nil {
		return err
	}
	d := x.District(strings.TrimSuffix(filepath.Base(path), ".osm.pbf"))
	if progress != nil {
		fmt.Fprintf(progress, "osm: writing %d roads and %d points of interest to PostGIS\n", len(d.Layers[layers.Roads]), len(x.POIs[layers.FireStations])+len(x.POIs[layers.Schools])+len(x.POIs[layers.Hospitals])+len(x.POIs[layers.ElderlyCare]))
	}
	if err := postgis.Load(ctx, url, d); err != nil {
		return fmt.Errorf("osm: import %s: %w", path, err)
	}
	if progress != nil {
		fmt.Fprintf(progress, "osm: imported %s in %v\n", path, time.Since(t0).Round(time.Millisecond))
	}
	return nil
}
