package dispatch

import (
	"math"
	"sort"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/network"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Share is a covered part of a whole.
type Share struct {
	Covered int64   `json:"covered"`
	Total   int64   `json:"total"`
	Share   float64 `json:"share"`
}

func (s *Share) add(n int64, in bool) {
	s.Total += n
	if in {
		s.Covered += n
	}
}

func (s *Share) finish() {
	if s.Total > 0 {
		s.Share = float64(s.Covered) / float64(s.Total)
	}
}

// GridService is how well one grid is served: the drive time from the
// nearest available station to its centroid and whether that centroid lies
// inside a fire circle.
type GridService struct {
	Feature   *layers.Feature
	Code      string
	Name      string
	Residents int64
	Seconds   float64 // +Inf when no station reaches it
	Covered   bool
}

// Coverage is how much of the district the fire circles cover, by grid
// centroid, residents (of those grids) and building centroid.
type Coverage struct {
	Minutes   float64
	Stations  int
	Grids     Share
	Residents Share
	Buildings Share
	// Reached counts grids by drive time instead: those whose centroid's
	// nearest road point a station reaches within the limit.
	Reached Share
	// Uncovered are the grids whose centroid lies in no circle, worst
	// served first.
	Uncovered []GridService
	// Worst are the grids with the longest drive from their nearest
	// station, worst first (at most WorstN).
	Worst []GridService
}

// WorstN is how many worst-served grids Coverage lists.
const WorstN = 20

// Coverage measures the circles of the given drive time (the published
// ones when minutes equals the desk's, else computed afresh).
func (d *Desk) Coverage(minutes float64) Coverage {
	v := d.cur.Load()
	cs := v.circles
	if minutes != v.minutes {
		cs = circles(v, minutes, d.cfg.Cell)
	}
	cov := Coverage{Minutes: minutes, Stations: len(cs)}
	idx := newCircleIndex(cs)
	inside := func(p orb.Point) bool {
		for _, i := range idx.at(p) {
			if cs[i].poly.contains(p) {
				return true
			}
		}
		return false
	}
	var grids []GridService
	if l, ok := d.cat.Layer(layers.Grids); ok {
		snap := l.Snapshot()
		grids = make([]GridService, 0, snap.Len())
		var points []network.Snap
		var which []int
		snap.All(func(f *layers.Feature) bool {
			c, _ := planar.CentroidArea(f.Geometry)
			gs := GridService{Feature: f, Seconds: math.Inf(1)}
			gs.Code, _ = f.Properties["code"].(string)
			gs.Name, _ = f.Properties["name"].(string)
			gs.Residents, _ = f.Properties["residents"].(int64)
			gs.Covered = inside(c)
			cov.Grids.add(1, gs.Covered)
			cov.Residents.add(gs.Residents, gs.Covered)
			if s, err := v.g.Snap(c, d.cfg.MaxSnap, v.blocked); err == nil {
				points = append(points, s)
				which = append(which, len(grids))
			}
			grids = append(grids, gs)
			return true
		})
		v.g.Forward(v.sites.Snaps, network.Time, math.Inf(1), v.blocked, func(t *network.Tree) {
			for i, s := range points {
				grids[which[i]].Seconds = t.To(s)
			}
		})
	}
	if l, ok := d.cat.Layer(layers.Buildings); ok {
		l.Snapshot().All(func(f *layers.Feature) bool {
			c, _ := planar.CentroidArea(f.Geometry)
			cov.Buildings.add(1, inside(c))
			return true
		})
	}
	for _, g := range grids {
		cov.Reached.add(1, g.Seconds <= minutes*60)
	}
	cov.Reached.finish()
	cov.Grids.finish()
	cov.Residents.finish()
	cov.Buildings.finish()
	sort.SliceStable(grids, func(i, j int) bool { return grids[i].Seconds > grids[j].Seconds })
	for _, g := range grids {
		if !g.Covered {
			cov.Uncovered = append(cov.Uncovered, g)
		}
	}
	cov.Worst = grids[:min(WorstN, len(grids))]
	return cov
}

// circleIndex files circles by the cells of a uniform grid their bounds
// touch, so that a point is tested only against the circles near it (a
// city has hundreds of stations, and coverage tests every building).
type circleIndex struct {
	b      orb.Bound
	cw, ch float64
	nx, ny int
	cells  [][]int32
}

func newCircleIndex(cs []Circle) *circleIndex {
	ci := &circleIndex{}
	first := true
	for i := range cs {
		if cs[i].poly == nil {
			continue
		}
		if first {
			ci.b, first = cs[i].poly.bound, false
		} else {
			ci.b = ci.b.Union(cs[i].poly.bound)
		}
	}
	if first {
		return ci
	}
	// about four cells per circle, at most 512 a side
	side := max(1, min(512, int(math.Ceil(math.Sqrt(4*float64(len(cs)))))))
	ci.nx, ci.ny = side, side
	ci.cw = max((ci.b.Max[0]-ci.b.Min[0])/float64(side), 1e-12)
	ci.ch = max((ci.b.Max[1]-ci.b.Min[1])/float64(side), 1e-12)
	ci.cells = make([][]int32, side*side)
	for i := range cs {
		if cs[i].poly == nil {
			continue
		}
		pb := cs[i].poly.bound
		x0, y0 := ci.cell(pb.Min)
		x1, y1 := ci.cell(pb.Max)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				ci.cells[y*ci.nx+x] = append(ci.cells[y*ci.nx+x], int32(i))
			}
		}
	}
	return ci
}

func (ci *circleIndex) cell(p orb.Point) (int, int) {
	x := int((p[0] - ci.b.Min[0]) / ci.cw)
	y := int((p[1] - ci.b.Min[1]) / ci.ch)
	return max(0, min(ci.nx-1, x)), max(0, min(ci.ny-1, y))
}

// at is the circles whose bounds may hold p.
func (ci *circleIndex) at(p orb.Point) []int32 {
	if ci.cells == nil || !ci.b.Contains(p) {
		return nil
	}
	x, y := ci.cell(p)
	return ci.cells[y*ci.nx+x]
}

// bandPolygon answers point-in-polygon quickly: the ring edges are filed
// into horizontal bands, and a ray cast from a point only meets the edges
// of its band.
type bandPolygon struct {
	bound orb.Bound
	y0    float64
	dy    float64
	bands [][][2]orb.Point
}

func newBandPolygon(p orb.Polygon) *bandPolygon {
	if len(p) == 0 {
		return nil
	}
	b := p.Bound()
	n := 0
	for _, r := range p {
		n += len(r)
	}
	nb := max(1, n/8)
	bp := &bandPolygon{bound: b, y0: b.Min[1], dy: (b.Max[1] - b.Min[1]) / float64(nb), bands: make([][][2]orb.Point, nb)}
	if bp.dy == 0 {
		bp.dy = 1
	}
	for _, r := range p {
		for i := 1; i < len(r); i++ {
			a, c := r[i-1], r[i]
			lo, hi := bp.band(math.Min(a[1], c[1])), bp.band(math.Max(a[1], c[1]))
			for k := lo; k <= hi; k++ {
				bp.bands[k] = append(bp.bands[k], [2]orb.Point{a, c})
			}
		}
	}
	return bp
}

func (bp *bandPolygon) band(y float64) int {
	k := int((y - bp.y0) / bp.dy)
	return max(0, min(len(bp.bands)-1, k))
}

// contains is the even-odd ray test (points on the boundary may go either
// way, as in planar.RingContains).
func (bp *bandPolygon) contains(p orb.Point) bool {
	if bp == nil || !bp.bound.Contains(p) {
		return false
	}
	in := false
	for _, e := range bp.bands[bp.band(p[1])] {
		a, c := e[0], e[1]
		if (a[1] > p[1]) != (c[1] > p[1]) && p[0] < (c[0]-a[0])*(p[1]-a[1])/(c[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}
