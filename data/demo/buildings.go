package demo

import (
	"fmt"
	"math"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
)

// building is one footprint in metric coordinates.
type building struct {
	c      [4][2]float64
	cx, cy float64
	grid   int32
	use    string
	floors int
	dwell  int
	area   float64
}

// zoneBuild is how a zone is built up along its roads.
type zoneBuild struct {
	w, d, gap  [2]float64 // frontage width, depth, gap between buildings (min, max)
	floors     [2]int
	skip       float64 // chance a lot stays empty
	uses       []string
	useWeights []float64
}

// buildParams is how zone z is built up; ok is false where nothing is built.
func buildParams(z zone) (zoneBuild, bool) {
	switch z {
	case zResidential:
		return zoneBuild{w: [2]float64{12, 22}, d: [2]float64{12, 22}, gap: [2]float64{4, 9}, floors: [2]int{6, 34}, skip: 0.05,
			uses: []string{"residential", "commercial", "public"}, useWeights: []float64{0.9, 0.06, 0.04}}, true
	case zVillage:
		return zoneBuild{w: [2]float64{9, 14}, d: [2]float64{10, 14}, gap: [2]float64{2, 4}, floors: [2]int{5, 9}, skip: 0.02,
			uses: []string{"residential", "mixed"}, useWeights: []float64{0.88, 0.12}}, true
	case zCommercial:
		return zoneBuild{w: [2]float64{22, 42}, d: [2]float64{18, 25}, gap: [2]float64{6, 14}, floors: [2]int{8, 55}, skip: 0.1,
			uses: []string{"commercial", "mixed", "residential", "public"}, useWeights: []float64{0.72, 0.12, 0.1, 0.06}}, true
	case zIndustrial:
		return zoneBuild{w: [2]float64{25, 45}, d: [2]float64{18, 25}, gap: [2]float64{8, 20}, floors: [2]int{2, 7}, skip: 0.15,
			uses: []string{"industrial", "commercial"}, useWeights: []float64{0.9, 0.1}}, true
	}
	return zoneBuild{}, false
}

const maxDepth = 25.0

// edgeHW is the half width of an edge's carriageway.
func edgeHW(e redge) float64 {
	if e.oneway {
		return 10
	}
	return halfWidth(e.cls)
}

// buildable reports whether a building may stand at (x, y).
func (g *gen) buildable(x, y float64) bool {
	c := cellAtXY(x, y)
	if c < 0 || !g.inD[c] {
		return false
	}
	z := g.zone[c]
	return z != zWater && z != zPark && z != zOut && g.shape.riverDist(x, y) > 6 && !g.shape.rsv.in(x, y)
}

// buildings lines the roads of built-up zones with footprints, then shares
// each grid's dwellings among its residential buildings.
func (g *gen) buildings() {
	r := g.rng(6)
	rn := &g.rd
	hwAt := func(cls int8) float64 {
		if cls < 0 {
			return 0
		}
		return halfWidth(uint8(cls))
	}
	for _, e := range rn.edges {
		a, b := rn.nodes[e.a], rn.nodes[e.b]
		dx, dy := b.x-a.x, b.y-a.y
		L := math.Hypot(dx, dy)
		ux, uy := dx/L, dy/L
		hw := edgeHW(e)
		var ma, mb float64
		if e.horiz {
			ma, mb = hwAt(rn.maxV[e.a])+7, hwAt(rn.maxV[e.b])+7
		} else {
			ma = hwAt(rn.maxH[e.a]) + 4 + maxDepth + 9
			mb = hwAt(rn.maxH[e.b]) + 4 + maxDepth + 9
		}
		for _, side := range [2]float64{1, -1} {
			nxv, nyv := -uy*side, ux*side
			mx, my := (a.x+b.x)/2+nxv*(hw+15), (a.y+b.y)/2+nyv*(hw+15)
			c := cellAtXY(mx, my)
			if c < 0 || !g.inD[c] {
				continue
			}
			p, ok := buildParams(g.zone[c])
			if !ok {
				continue
			}
			set := hw + 4
			for s := ma + r.Float64()*4; ; {
				w := (p.w[0] + r.Float64()*(p.w[1]-p.w[0])) * g.sz.frontage
				if s+w > L-mb {
					break
				}
				d := p.d[0] + r.Float64()*(p.d[1]-p.d[0])
				var bl building
				for k, q := range [4][2]float64{{s, set}, {s + w, set}, {s + w, set + d}, {s, set + d}} {
					bl.c[k] = [2]float64{a.x + ux*q[0] + nxv*q[1], a.y + uy*q[0] + nyv*q[1]}
				}
				bl.cx = (bl.c[0][0] + bl.c[2][0]) / 2
				bl.cy = (bl.c[0][1] + bl.c[2][1]) / 2
				ok := r.Float64() >= p.skip && g.buildable(bl.cx, bl.cy)
				for _, q := range bl.c {
					ok = ok && g.buildable(q[0], q[1])
				}
				if ok {
					bl.grid = int32(g.gridAtXY(bl.cx, bl.cy))
					bl.use = pick(r, p.uses, p.useWeights)
					dn := g.dens[cellAtXY(bl.cx, bl.cy)]
					f := p.floors[0] + int(float64(p.floors[1]-p.floors[0])*math.Pow(r.Float64(), 1.6-0.3*math.Min(dn, 2)))
					if bl.use == "public" {
						f = min(f, 8)
					}
					bl.floors = max(f, 1)
					bl.area = w * d
					g.blds = append(g.blds, bl)
				}
				s += w + p.gap[0]*g.sz.frontage + r.Float64()*(p.gap[1]-p.gap[0])*g.sz.frontage
			}
		}
	}
	g.shareDwellings()
	fs := make([]layers.Feature, len(g.blds))
	seq := make([]int, len(g.grids))
	for i, bl := range g.blds {
		ring := make(orb.Ring, 5)
		for k, q := range bl.c {
			ring[k] = ll(q[0], q[1])
		}
		ring[4] = ring[0]
		gc := g.grids[bl.grid].code
		seq[bl.grid]++
		fs[i] = layers.Feature{ID: int64(i + 1), Geometry: orb.Polygon{ccw(ring)}, Properties: map[string]any{
			"address_code": fmt.Sprintf("%s%04d", gc, seq[bl.grid]),
			"use":          bl.use, "floors": int64(bl.floors), "dwellings": int64(bl.dwell), "grid_code": gc,
		}}
	}
	g.layers[layers.Buildings] = fs
}

// shareDwellings gives every grid dwellings for its residents (about 2.8
// people a household, fewer in urban villages) and shares them among the
// grid's residential and mixed buildings by floor area.
func (g *gen) shareDwellings() {
	byGrid := make([][]int, len(g.grids))
	for i, bl := range g.blds {
		byGrid[bl.grid] = append(byGrid[bl.grid], i)
	}
	for gi, u := range g.grids {
		if u.res == 0 {
			continue
		}
		vill := 0
		for _, c := range u.cells {
			if g.zone[c] == zVillage {
				vill++
			}
		}
		hh := 2.85 - 0.8*float64(vill)/float64(len(u.cells))
		total := int(math.Round(float64(u.res) / hh))
		var idx []int
		var w []float64
		for _, i := range byGrid[gi] {
			if u := g.blds[i].use; u == "residential" || u == "mixed" {
				idx = append(idx, i)
				w = append(w, g.blds[i].area*float64(g.blds[i].floors))
			}
		}
		if len(idx) == 0 && len(byGrid[gi]) > 0 {
			// make the biggest building of the grid a mixed one
			best := byGrid[gi][0]
			for _, i := range byGrid[gi] {
				if g.blds[i].area*float64(g.blds[i].floors) > g.blds[best].area*float64(g.blds[best].floors) {
					best = i
				}
			}
			g.blds[best].use = "mixed"
			idx, w = []int{best}, []float64{1}
		}
		if len(idx) == 0 {
			if i, ok := g.infill(gi); ok {
				idx, w = []int{i}, []float64{1}
			}
		}
		if len(idx) == 0 {
			continue
		}
		for k, n := range apportion(total, w, 0, nil) {
			g.blds[idx[k]].dwell = n
		}
	}
}

// infill places one residential block in grid gi away from every road, for
// a grid with residents whose roads got no buildings.
func (g *gen) infill(gi int) (int, bool) {
	u := g.grids[gi]
	for _, c := range u.cells {
		x, y := cellCentre(int(c))
		if !g.buildable(x, y) {
			continue
		}
		const hw, hd = 9.0, 8.0
		if g.rd.nearestDist(x, y, 300) < hw+halfWidth(arterial)+4 {
			continue
		}
		bl := building{c: [4][2]float64{{x - hw, y - hd}, {x + hw, y - hd}, {x + hw, y + hd}, {x - hw, y + hd}},
			cx: x, cy: y, grid: int32(gi), use: "residential", floors: 9, area: 4 * hw * hd}
		ok := true
		for _, q := range bl.c {
			ok = ok && g.buildable(q[0], q[1]) && g.gridAtXY(q[0], q[1]) == gi
		}
		if ok {
			g.blds = append(g.blds, bl)
			return len(g.blds) - 1, true
		}
	}
	return 0, false
}

// nearestDist is the distance from (x, y) to the nearest road centre line
// within lim metres (lim when none is nearer).
func (rn *roadNet) nearestDist(x, y, lim float64) float64 {
	best := lim
	for _, e := range rn.edges {
		a, b := rn.nodes[e.a], rn.nodes[e.b]
		if math.Min(a.x, b.x)-best > x || math.Max(a.x, b.x)+best < x || math.Min(a.y, b.y)-best > y || math.Max(a.y, b.y)+best < y {
			continue
		}
		if d, _ := segDist(x, y, a.x, a.y, b.x, b.y); d < best {
			best = d
		}
	}
	return best
}

// segDist is the distance from (px, py) to segment a–b and the fraction
// along it of the nearest point.
func segDist(px, py, ax, ay, bx, by float64) (float64, float64) {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
	}
	return math.Hypot(px-ax-t*dx, py-ay-t*dy), t
}
