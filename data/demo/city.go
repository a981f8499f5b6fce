package demo

import (
	"cmp"
	"fmt"
	"math"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
)

// CityOptions configures GenerateCity.
type CityOptions struct {
	// Seed selects the city; zero means DefaultSeed. District k is
	// generated with Seed+k.
	Seed int64
	// Districts is how many districts, 1–10; zero means 10.
	Districts int
	// VertexMetres is the spacing of the shape points added along the
	// roads (graph nodes, as in an OSM extract); zero means CityVertexMetres,
	// negative adds none.
	VertexMetres float64
}

// CityVertexMetres is the default spacing of the roads' shape points: with
// it the ten districts' road graph has over a million nodes.
const CityVertexMetres = 6.0

// The city's layout: districts in rows of cityCols, each in a frame of
// cityStepLon × cityStepLat degrees (the district raster plus a margin).
const (
	cityCols    = 5
	cityStepLon = 0.115
	cityStepLat = 0.095
	// cityIDBase separates the districts' feature ids: district k's
	// numbered features are k*cityIDBase+1…; the grid hierarchy is
	// numbered by its codes.
	cityIDBase = 10_000_000
	// cityFrontage narrows building frontages and gaps, so a district
	// holds about 66,000 buildings (Shenzhen: 660,000 in 10 districts).
	cityFrontage = 0.53
)

// cityDistricts are the city's districts, west to east and south to north
// (Shenzhen's ten, with their division codes).
func cityDistricts() []size {
	names := [...][3]string{
		{"440304", "福田示范区", "Futian Demo District"},
		{"440305", "南山示范区", "Nanshan Demo District"},
		{"440303", "罗湖示范区", "Luohu Demo District"},
		{"440308", "盐田示范区", "Yantian Demo District"},
		{"440312", "大鹏示范区", "Dapeng Demo District"},
		{"440306", "宝安示范区", "Bao'an Demo District"},
		{"440309", "龙华示范区", "Longhua Demo District"},
		{"440307", "龙岗示范区", "Longgang Demo District"},
		{"440310", "坪山示范区", "Pingshan Demo District"},
		{"440311", "光明示范区", "Guangming Demo District"},
	}
	out := make([]size, len(names))
	for i, n := range names {
		out[i] = size{code: n[0], name: n[1], nameEN: n[2],
			residents: 1_996_000, floating: 800_000, cameras: 4000, frontage: cityFrontage}
	}
	return out
}

// GenerateCity builds a city of districts side by side, each generated
// like the demo district (its own seed, grid hierarchy and division code),
// with feature ids and catchment codes unique across the city and the
// districts' road networks joined by expressways into one network. The
// same options give the same bytes.
func GenerateCity(opt CityOptions) (*data.District, error) {
	if opt.Seed == 0 {
		opt.Seed = DefaultSeed
	}
	all := cityDistricts()
	if opt.Districts == 0 {
		opt.Districts = len(all)
	}
	if opt.Districts < 1 || opt.Districts > len(all) {
		return nil, fmt.Errorf("demo: a city has 1 to %d districts, not %d", len(all), opt.Districts)
	}
	if opt.VertexMetres == 0 {
		opt.VertexMetres = CityVertexMetres
	}
	city := &data.District{Name: "深圳示范市", NameEN: "Shenzhen Demo City", Synthetic: true, Year: demoYear,
		Layers: map[string][]layers.Feature{}}
	var junctions [][]orb.Point // per district, road junctions of its main component
	for k := range opt.Districts {
		d := generate(Options{Seed: opt.Seed + int64(k)}, all[k])
		dlon, dlat := float64(k%cityCols)*cityStepLon, float64(k/cityCols)*cityStepLat
		renumber(d, all[k].code, int64(k)*cityIDBase)
		for _, fs := range d.Layers {
			for i := range fs {
				fs[i].Geometry = shift(fs[i].Geometry, dlon, dlat)
			}
		}
		for i := range d.Housing {
			d.Housing[i].Lon = round(d.Housing[i].Lon+dlon, 6)
			d.Housing[i].Lat = round(d.Housing[i].Lat+dlat, 6)
		}
		junctions = append(junctions, mainJunctions(d.Layers[layers.Roads]))
		for name, fs := range d.Layers {
			city.Layers[name] = append(city.Layers[name], fs...)
		}
		city.Ages = append(city.Ages, d.Ages...)
		city.Groups = append(city.Groups, d.Groups...)
		city.Births = append(city.Births, d.Births...)
		city.Catchments = append(city.Catchments, d.Catchments...)
		city.Enrolment = append(city.Enrolment, d.Enrolment...)
		city.Housing = append(city.Housing, d.Housing...)
	}
	roads := append(city.Layers[layers.Roads], expressways(junctions, int64(len(all))*cityIDBase)...)
	if opt.VertexMetres > 0 {
		for i := range roads {
			roads[i].Geometry = densify(roads[i].Geometry.(orb.LineString), opt.VertexMetres)
		}
	}
	city.Layers[layers.Roads] = roads
	return city, nil
}

// renumber makes district d's ids and catchment codes unique in a city:
// numbered features and school ids move up by base, catchment codes take
// the district's code as a prefix.
func renumber(d *data.District, code string, base int64) {
	for name, fs := range d.Layers {
		switch name {
		case layers.Districts, layers.Streets, layers.Communities, layers.Grids:
			continue
		}
		for i := range fs {
			f := &fs[i]
			f.ID += base
			if v, ok := f.Properties["school_id"].(int64); ok {
				f.Properties["school_id"] = v + base
			}
			if name == layers.Catchments {
				f.Properties["code"] = code + "-" + f.Properties["code"].(string)
			}
			if v, ok := f.Properties["catchment_code"].(string); ok {
				f.Properties["catchment_code"] = code + "-" + v
			}
		}
	}
	for i := range d.Catchments {
		d.Catchments[i].Code = code + "-" + d.Catchments[i].Code
		d.Catchments[i].SchoolID += base
	}
	for i := range d.Enrolment {
		d.Enrolment[i].SchoolID += base
	}
	for i := range d.Housing {
		d.Housing[i].ID += base
	}
}

// shift moves a geometry by (dlon, dlat) degrees. Equal points stay equal,
// so shared boundaries and road junctions stay bit-identical.
func shift(g orb.Geometry, dlon, dlat float64) orb.Geometry {
	p := func(q orb.Point) orb.Point { return orb.Point{q[0] + dlon, q[1] + dlat} }
	line := func(ls []orb.Point) {
		for i := range ls {
			ls[i] = p(ls[i])
		}
	}
	switch g := g.(type) {
	case orb.Point:
		return p(g)
	case orb.LineString:
		line(g)
	case orb.MultiLineString:
		for _, ls := range g {
			line(ls)
		}
	case orb.Polygon:
		for _, r := range g {
			line(r)
		}
	case orb.MultiPolygon:
		for _, pg := range g {
			for _, r := range pg {
				line(r)
			}
		}
	default:
		panic(fmt.Sprintf("demo: cannot shift a %T", g))
	}
	return g
}

// mainJunctions is the road ends of the largest connected set of roads
// (roads meet at shared ends), in a stable order.
func mainJunctions(roads []layers.Feature) []orb.Point {
	idx := map[orb.Point]int{}
	var pts []orb.Point
	var parent []int
	id := func(p orb.Point) int {
		i, ok := idx[p]
		if !ok {
			i = len(pts)
			idx[p] = i
			pts = append(pts, p)
			parent = append(parent, i)
		}
		return i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, f := range roads {
		ls := f.Geometry.(orb.LineString)
		a, b := find(id(ls[0])), find(id(ls[len(ls)-1]))
		parent[a] = b
	}
	size := make([]int, len(pts))
	best := 0
	for i := range pts {
		r := find(i)
		size[r]++
		if size[r] > size[best] {
			best = r
		}
	}
	var out []orb.Point
	for i, p := range pts {
		if find(i) == best {
			out = append(out, p)
		}
	}
	return out
}

// expressways joins neighbouring districts' road networks: three two-way
// expressways across each shared side, between the junctions nearest it.
func expressways(junctions [][]orb.Point, base int64) []layers.Feature {
	var fs []layers.Feature
	add := func(a, b orb.Point) {
		fs = append(fs, layers.Feature{ID: base + int64(len(fs)) + 1, Geometry: orb.LineString{a, b},
			Properties: map[string]any{"name": fmt.Sprintf("城际快速路%d号", len(fs)+1), "class": className(arterial),
				"oneway": false, "speed_kmh": classKmh(arterial), "lanes": classLanes(arterial)}})
	}
	// extreme picks the junction of js within band of the line at `at`
	// (coordinate 1-axis) that lies furthest along axis (sign +1 max, -1 min).
	extreme := func(js []orb.Point, axis int, sign, at, band float64) (orb.Point, bool) {
		var best orb.Point
		found := false
		for _, p := range js {
			if math.Abs(p[1-axis]-at) > band {
				continue
			}
			if !found || sign*p[axis] > sign*best[axis] || (p[axis] == best[axis] && cmp.Compare(p[1-axis], best[1-axis]) < 0) {
				best, found = p, true
			}
		}
		return best, found
	}
	n := len(junctions)
	for k := range n {
		col, row := k%cityCols, k/cityCols
		lat0 := latMin + float64(row)*cityStepLat
		lon0 := lonMin + float64(col)*cityStepLon
		if col+1 < cityCols && k+1 < n { // east neighbour
			for _, t := range []float64{0.25, 0.5, 0.75} {
				at := lat0 + t*ny*cellDeg
				a, okA := extreme(junctions[k], 0, 1, at, 0.004)
				b, okB := extreme(junctions[k+1], 0, -1, at, 0.004)
				if okA && okB {
					add(a, b)
				}
			}
		}
		if k+cityCols < n { // north neighbour
			for _, t := range []float64{0.25, 0.5, 0.75} {
				at := lon0 + t*nx*cellDeg
				a, okA := extreme(junctions[k], 1, 1, at, 0.004)
				b, okB := extreme(junctions[k+cityCols], 1, -1, at, 0.004)
				if okA && okB {
					add(a, b)
				}
			}
		}
	}
	return fs
}

// densify adds shape points along ls so that no two consecutive points are
// more than step metres apart.
func densify(ls orb.LineString, step float64) orb.LineString {
	out := make(orb.LineString, 0, len(ls))
	for i := 1; i < len(ls); i++ {
		a, b := ls[i-1], ls[i]
		out = append(out, a)
		dx, dy := (b[0]-a[0])*mLon, (b[1]-a[1])*mLat
		n := int(math.Ceil(math.Hypot(dx, dy) / step))
		for j := 1; j < n; j++ {
			t := float64(j) / float64(n)
			out = append(out, orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t})
		}
	}
	return append(out, ls[len(ls)-1])
}

// CityCounts summarises a city for the command line and the tests.
type CityCounts struct {
	Districts, Buildings, Cameras, RoadVertices, Residents int
}

// Count summarises d.
func Count(d *data.District) CityCounts {
	c := CityCounts{Districts: len(d.Layers[layers.Districts]), Buildings: len(d.Layers[layers.Buildings]),
		Cameras: len(d.Layers[layers.Cameras])}
	seen := map[orb.Point]struct{}{}
	for _, f := range d.Layers[layers.Roads] {
		for _, p := range f.Geometry.(orb.LineString) {
			seen[p] = struct{}{}
		}
	}
	c.RoadVertices = len(seen)
	for _, f := range d.Layers[layers.Districts] {
		c.Residents += int(f.Properties["residents"].(int64))
	}
	return c
}
