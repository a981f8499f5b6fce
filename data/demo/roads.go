package demo

import (
	"math"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
)

// Road classes, lowest first.
const (
	local uint8 = iota
	secondary
	arterial
)

// className, classKmh and classLanes describe a road class.
func className(c uint8) string  { return [...]string{"local", "secondary", "arterial"}[c] }
func classKmh(c uint8) float64  { return [...]float64{30, 40, 60}[c] }
func classLanes(c uint8) int64  { return [...]int64{2, 4, 6}[c] }
func halfWidth(c uint8) float64 { return [...]float64{6, 11, 18}[c] } // of a two-way road, metres

type rnode struct {
	x, y float64
	ok   bool
	p    orb.Point // lon/lat, computed once so every feature shares it
}

// redge is one lattice edge between neighbouring nodes, drawn a→b (the
// direction of travel when oneway).
type redge struct {
	a, b   int32
	cls    uint8
	oneway bool
	horiz  bool
	line   int32 // row j, or nr+column i
	name   string
}

// roadNet is the demo road network: a warped lattice of rows and columns.
// Every lattice node where roads meet is a feature endpoint.
type roadNet struct {
	nc, nr         int
	nodes          []rnode
	edges          []redge
	deg            []int
	maxH, maxV     []int8 // highest class of horizontal / vertical edges at a node, -1 none
	rowCls, colCls []uint8
}

func (rn *roadNet) node(i, j int) int32 { return int32(j*rn.nc + i) }

// roads lays out the road network and its features.
func (g *gen) roads() {
	r := g.rng(4)
	s := &g.shape
	rn := &g.rd
	var xs, ys []float64
	for x := -40 - r.Float64()*60; x < boxW+60; x += 160 + r.Float64()*65 {
		xs = append(xs, x)
	}
	for y := -40 - r.Float64()*60; y < boxH+60; y += 160 + r.Float64()*65 {
		ys = append(ys, y)
	}
	rn.nc, rn.nr = len(xs), len(ys)
	classes := func(n int) []uint8 {
		cl := make([]uint8, n)
		for i := 2 + r.IntN(3); i < n; i += 5 + r.IntN(3) {
			cl[i] = arterial
		}
		prev := -10
		for i := range n {
			if cl[i] == arterial {
				prev = i
				continue
			}
			if (i-prev)%2 == 0 && (i+1 >= n || cl[i+1] != arterial) {
				cl[i] = secondary
			}
		}
		return cl
	}
	rn.colCls, rn.rowCls = classes(rn.nc), classes(rn.nr)
	var ph [6]float64
	for i := range ph {
		ph[i] = r.Float64() * 2 * math.Pi
	}
	rn.nodes = make([]rnode, rn.nc*rn.nr)
	for j, Y := range ys {
		for i, X := range xs {
			x := X + 110*math.Sin(Y/1900+ph[0]) + 45*math.Sin((X+Y)/1100+ph[1])
			y := Y + 90*math.Sin(X/2300+ph[2]) + 40*math.Sin((X-Y)/1000+ph[3])
			if rn.colCls[i] == local && rn.rowCls[j] == local {
				x += (r.Float64()*2 - 1) * 10
				y += (r.Float64()*2 - 1) * 10
			}
			c := cellAtXY(x, y)
			rn.nodes[rn.node(i, j)] = rnode{x: x, y: y, ok: c >= 0 && g.inD[c], p: ll(x, y)}
		}
	}

	// line names
	names := newNamer(g.rng(5))
	lineName := make([]string, rn.nr+rn.nc)
	ew, ns := 0, 0
	for j, c := range rn.rowCls {
		switch c {
		case arterial:
			lineName[j] = arterialName(true, ew)
			ew++
		case secondary:
			zh, _ := names.place()
			lineName[j] = zh + "路"
		}
	}
	for i, c := range rn.colCls {
		switch c {
		case arterial:
			lineName[rn.nr+i] = arterialName(false, ns)
			ns++
		case secondary:
			zh, _ := names.place()
			lineName[rn.nr+i] = zh + "路"
		}
	}
	localName := map[[2]int]string{}
	nameOf := func(line, section int) string {
		if n := lineName[line]; n != "" {
			return n
		}
		k := [2]int{line, section}
		if n, ok := localName[k]; ok {
			return n
		}
		zh, _ := names.place()
		n := zh + "街"
		localName[k] = n
		return n
	}

	// which edges exist
	okSample := func(a, b rnode, cls uint8) bool {
		for _, t := range [...]float64{0.25, 0.5, 0.75} {
			x, y := a.x+(b.x-a.x)*t, a.y+(b.y-a.y)*t
			c := cellAtXY(x, y)
			if c < 0 || !g.inD[c] || s.rsv.in(x, y) {
				return false
			}
			if cls == local && (g.zone[c] == zPark || g.zone[c] == zWater || s.riverDist(x, y) < 8) {
				return false
			}
		}
		for _, n := range [2]rnode{a, b} {
			c := cellAtXY(n.x, n.y)
			if cls == local && (g.zone[c] == zWater || s.riverDist(n.x, n.y) < 8) {
				return false
			}
		}
		return true
	}
	dropP := [...]float64{zResidential: 0.08, zVillage: 0.04, zCommercial: 0.06, zIndustrial: 0.3, zPark: 1, zWater: 1, zOut: 1}
	type cand struct {
		e  redge
		ok bool
	}
	var cands []cand
	add := func(a, b int32, cls uint8, horiz bool, line int32, section int) {
		na, nb := rn.nodes[a], rn.nodes[b]
		ok := na.ok && nb.ok && okSample(na, nb, cls)
		if ok && cls == local {
			c := cellAtXY((na.x+nb.x)/2, (na.y+nb.y)/2)
			if r.Float64() < dropP[g.zone[c]] {
				ok = false
			}
		}
		cands = append(cands, cand{redge{a: a, b: b, cls: cls, horiz: horiz, line: line, name: nameOf(int(line), section)}, ok})
	}
	for j := range rn.nr {
		sec := 0
		for i := 0; i+1 < rn.nc; i++ {
			if rn.colCls[i] != local {
				sec++
			}
			add(rn.node(i, j), rn.node(i+1, j), rn.rowCls[j], true, int32(j), sec)
		}
	}
	for i := range rn.nc {
		sec := 0
		for j := 0; j+1 < rn.nr; j++ {
			if rn.rowCls[j] != local {
				sec++
			}
			add(rn.node(i, j), rn.node(i, j+1), rn.colCls[i], false, int32(rn.nr+i), sec)
		}
	}
	// one-way couplets: an arterial split into two one-way carriageways one
	// lattice line apart between two crossing arterials, near the CBD
	// (east–west) and Huaqiangbei (north–south).
	idx := func(e redge) int {
		// index of a candidate by its lattice position
		for k := range cands {
			if cands[k].e.a == e.a && cands[k].e.b == e.b {
				return k
			}
		}
		return -1
	}
	couplet := func(along []float64, across []float64, alCls, acCls []uint8, at, from, to float64, horiz bool) {
		// the arterial line nearest `at` with a local partner beside it
		best := -1
		for k, v := range along {
			if alCls[k] == arterial && k+1 < len(along) && alCls[k+1] == local && (best < 0 || math.Abs(v-at) < math.Abs(along[best]-at)) {
				best = k
			}
		}
		lo, hi := -1, -1
		for k, v := range across {
			if acCls[k] != arterial {
				continue
			}
			if v <= from {
				lo = k
			}
			if v >= to && hi < 0 {
				hi = k
			}
		}
		if best < 0 || lo < 0 || hi < 0 {
			return
		}
		var ks []int
		for _, line := range [2]int{best, best + 1} {
			for k := lo; k < hi; k++ {
				var a, b int32
				if horiz {
					a, b = rn.node(k, line), rn.node(k+1, line)
				} else {
					a, b = rn.node(line, k), rn.node(line, k+1)
				}
				ci := idx(redge{a: a, b: b})
				na, nb := rn.nodes[a], rn.nodes[b]
				if ci < 0 || !na.ok || !nb.ok || !okSample(na, nb, arterial) {
					return
				}
				ks = append(ks, ci)
			}
		}
		n := hi - lo
		for m, ci := range ks {
			e := &cands[ci].e
			e.cls, e.oneway = arterial, true
			cands[ci].ok = true
			// traffic keeps right: eastbound on the southern line,
			// northbound on the eastern one
			if (m >= n) == horiz {
				e.a, e.b = e.b, e.a
			}
			owner := int32(best)
			if !horiz {
				owner = int32(rn.nr + best)
			}
			e.name = lineName[owner]
		}
	}
	couplet(ys, xs, rn.rowCls, rn.colCls, s.cbd.y, s.cbd.x-500, s.cbd.x+500, true)
	couplet(xs, ys, rn.colCls, rn.rowCls, s.hqb.x, s.hqb.y-400, s.hqb.y+400, false)

	// keep the largest connected piece
	parent := make([]int32, len(rn.nodes))
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(v int32) int32 {
		for parent[v] != v {
			parent[v] = parent[parent[v]]
			v = parent[v]
		}
		return v
	}
	for _, c := range cands {
		if c.ok {
			a, b := find(c.e.a), find(c.e.b)
			if a != b {
				parent[a] = b
			}
		}
	}
	size := make([]int, len(rn.nodes))
	for _, c := range cands {
		if c.ok {
			size[find(c.e.a)]++
		}
	}
	root, bs := int32(0), -1
	for v, n := range size {
		if n > bs {
			root, bs = int32(v), n
		}
	}
	rn.deg = make([]int, len(rn.nodes))
	rn.maxH = make([]int8, len(rn.nodes))
	rn.maxV = make([]int8, len(rn.nodes))
	for i := range rn.maxH {
		rn.maxH[i], rn.maxV[i] = -1, -1
	}
	for _, c := range cands {
		if !c.ok || find(c.e.a) != root {
			continue
		}
		e := c.e
		rn.edges = append(rn.edges, e)
		for _, v := range [2]int32{e.a, e.b} {
			rn.deg[v]++
			if e.horiz {
				rn.maxH[v] = max(rn.maxH[v], int8(e.cls))
			} else {
				rn.maxV[v] = max(rn.maxV[v], int8(e.cls))
			}
		}
	}
	g.layers[layers.Roads] = rn.features()
}

// rasterise returns, per raster cell, the highest class of road crossing
// it (-1 for none).
func (rn *roadNet) rasterise() []int8 {
	out := make([]int8, nx*ny)
	for i := range out {
		out[i] = -1
	}
	for _, e := range rn.edges {
		a, b := rn.nodes[e.a], rn.nodes[e.b]
		n := int(math.Hypot(b.x-a.x, b.y-a.y)/10) + 1
		for k := 0; k <= n; k++ {
			t := float64(k) / float64(n)
			if c := cellAtXY(a.x+(b.x-a.x)*t, a.y+(b.y-a.y)*t); c >= 0 {
				out[c] = max(out[c], int8(e.cls))
			}
		}
	}
	return out
}

// features merges runs of edges along one line with the same attributes
// through nodes where nothing else meets, and returns them as road features.
// Features meet only at shared endpoints.
func (rn *roadNet) features() []layers.Feature {
	var fs []layers.Feature
	// edges are in line order: all of a row's edges west to east, then each
	// column's south to north; a run continues while consecutive edges
	// share a degree-2 node and their attributes.
	var run []redge
	flush := func() {
		if len(run) == 0 {
			return
		}
		e0 := run[0]
		var ls orb.LineString
		if e0.oneway && e0.a > e0.b { // drawn against lattice order
			ls = append(ls, rn.nodes[run[len(run)-1].a].p)
			for k := len(run) - 1; k >= 0; k-- {
				ls = append(ls, rn.nodes[run[k].b].p)
			}
		} else {
			ls = append(ls, rn.nodes[e0.a].p)
			for _, e := range run {
				ls = append(ls, rn.nodes[e.b].p)
			}
		}
		lanes := classLanes(e0.cls)
		if e0.oneway {
			lanes /= 2
		}
		fs = append(fs, layers.Feature{ID: int64(len(fs) + 1), Geometry: ls, Properties: map[string]any{
			"name": e0.name, "class": className(e0.cls), "oneway": e0.oneway,
			"speed_kmh": classKmh(e0.cls), "lanes": lanes,
		}})
		run = run[:0]
	}
	lo := func(e redge) int32 { return min(e.a, e.b) }
	hi := func(e redge) int32 { return max(e.a, e.b) }
	for _, e := range rn.edges {
		if len(run) > 0 {
			p := run[len(run)-1]
			if p.line != e.line || hi(p) != lo(e) || rn.deg[hi(p)] != 2 || p.cls != e.cls || p.oneway != e.oneway || p.name != e.name {
				flush()
			}
		}
		run = append(run, e)
	}
	flush()
	return fs
}
