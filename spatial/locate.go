// Package spatial is onemap's geometry that knows nothing of HTTP: locating a
// point in the grid hierarchy, k-nearest features in metres, and (in
// spatial/network) the road network.
package spatial

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/onemap/onemap/layers"
)

// ErrOutside is returned when a point lies outside every grid.
var ErrOutside = errors.New("point lies outside the district")

// Hierarchy is the containing unit at each administrative level.
type Hierarchy struct {
	District  *layers.Feature
	Street    *layers.Feature
	Community *layers.Feature
	Grid      *layers.Feature
}

// Locator finds the district, street, community and grid containing a
// point. It is built from one set of snapshots and never changes; build a
// new one when the admin layers change (see Locators).
type Locator struct {
	grids  *layers.Snapshot
	cells  cellIndex
	byCode map[string]*layers.Feature // every admin unit, by code
	// versions of the snapshots it was built from, to know when it is stale.
	versions [4]uint64
}

// adminLevels is the depth of the grid hierarchy: district, street,
// community, grid.
const adminLevels = 4

// AdminLayers returns the four levels of the grid hierarchy, top first.
func AdminLayers() [adminLevels]string {
	return [adminLevels]string{layers.Districts, layers.Streets, layers.Communities, layers.Grids}
}

// NewLocator indexes the admin layers of c. It fails when one is missing.
func NewLocator(c *layers.Catalog) (*Locator, error) {
	l := &Locator{byCode: map[string]*layers.Feature{}}
	for i, name := range AdminLayers() {
		layer, ok := c.Layer(name)
		if !ok {
			return nil, fmt.Errorf("spatial: locator needs layer %q", name)
		}
		s := layer.Snapshot()
		l.versions[i] = s.Version()
		s.All(func(f *layers.Feature) bool {
			if code, ok := f.Properties["code"].(string); ok {
				l.byCode[code] = f
			}
			return true
		})
		if name == layers.Grids {
			l.grids = s
			l.cells = newCellIndex(s, cellsPerSide(s.Len()))
		}
	}
	return l, nil
}

// cellsPerSide is the grid raster's resolution: 384 a side for a
// district's ~1,500 grids, growing with the square root of the count so
// that a city's raster cells stay as small as a district's (most lookups
// then land in a cell inside one grid).
func cellsPerSide(grids int) int {
	return min(2048, int(384*math.Sqrt(max(1, float64(grids)/1547))))
}

// current reports whether l was built from c's present admin snapshots.
func (l *Locator) current(c *layers.Catalog) bool {
	for i, name := range AdminLayers() {
		layer, ok := c.Layer(name)
		if !ok || layer.Snapshot().Version() != l.versions[i] {
			return false
		}
	}
	return true
}

// Unit returns the admin unit (any level) with the code.
func (l *Locator) Unit(code string) (*layers.Feature, bool) {
	f, ok := l.byCode[code]
	return f, ok
}

// Grid returns the grid containing p.
func (l *Locator) Grid(p orb.Point) (*layers.Feature, bool) {
	whole, candidates := l.cells.lookup(p)
	if whole != nil {
		return whole, true
	}
	for _, f := range candidates {
		if Contains(f.Geometry, p) {
			return f, true
		}
	}
	return nil, false
}

// Locate returns the units containing p at every level, or ErrOutside.
func (l *Locator) Locate(p orb.Point) (Hierarchy, error) {
	g, ok := l.Grid(p)
	if !ok {
		return Hierarchy{}, ErrOutside
	}
	h := Hierarchy{Grid: g}
	h.Community = l.parent(g)
	h.Street = l.parent(h.Community)
	h.District = l.parent(h.Street)
	return h, nil
}

// Within reports whether p lies in the admin unit u (any level): yes when
// the grid containing p is u or has u among its ancestors (a lookup in
// the grid raster, much cheaper than a point-in-polygon test against a
// district's or street's long boundary); otherwise by u's geometry, so
// that data whose levels do not nest exactly still gets the geometric
// answer.
func (l *Locator) Within(u *layers.Feature, p orb.Point) bool {
	code, _ := u.Properties["code"].(string)
	if g, ok := l.Grid(p); ok && code != "" {
		for f, depth := g, 0; f != nil && depth < adminLevels; f, depth = l.parent(f), depth+1 {
			if f.Properties["code"] == code {
				return true
			}
		}
	}
	return Contains(u.Geometry, p)
}

func (l *Locator) parent(f *layers.Feature) *layers.Feature {
	if f == nil {
		return nil
	}
	code, _ := f.Properties["parent_code"].(string)
	return l.byCode[code]
}

// Contains reports whether a polygonal geometry contains p (false for
// other geometry types).
func Contains(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	case orb.Bound:
		return g.Contains(p)
	}
	return false
}
