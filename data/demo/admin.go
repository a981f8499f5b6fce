package demo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// The sizes of the grid hierarchy (Futian: 1 + 10 + 95 + 1,547).
const (
	nStreets     = 10
	nCommunities = 95
	nGrids       = 1547
)

// unit is one admin unit: a set of raster cells.
type unit struct {
	code, name, nameEN string
	parent             int32
	cells              []int32
	cx, cy             float64 // metric centroid of the cells
	res, flo           int
	geom               orb.MultiPolygon
}

// admin divides the district into streets, communities and grids, each a
// 4-connected union of cells inside its parent, and gives them people.
func (g *gen) admin() {
	r := g.rng(2)
	var all []int32
	mean := 0.0
	for c := range nx * ny {
		if g.inD[c] {
			all = append(all, int32(c))
			mean += g.dens[c]
		}
	}
	mean /= float64(len(all))
	w := make([]float64, nx*ny)
	for c := range w {
		w[c] = g.dens[c] + 0.35*mean
	}
	sp := &splitter{member: make([]int32, nx*ny), lab: make([]int32, nx*ny), best: make([]float64, nx*ny), pen: make([]float64, nx*ny)}
	// boundaries follow roads: growing a region across a road cell costs
	// extra, more for the bigger roads at the higher levels
	roadCls := g.rd.rasterise()
	penalties := func(p [3]float64) {
		for c, k := range roadCls {
			sp.pen[c] = 0
			if k >= 0 {
				sp.pen[c] = p[k]
			}
		}
	}
	penalties([3]float64{0, 60, 500})

	streets := sp.split(r, all, nStreets, w, 4, 1)
	g.streets = orderUnits(streets, -1, 2500)
	penalties([3]float64{20, 250, 400})
	// communities: counts by people and area
	cw := make([]float64, len(g.streets))
	for i, u := range g.streets {
		cw[i] = g.cellShare(u.cells, 0.75)
	}
	cc := apportion(nCommunities, cw, 5, nil)
	for i, u := range g.streets {
		parts := sp.split(r, u.cells, cc[i], w, 3, 20)
		g.comms = append(g.comms, orderUnits(parts, int32(i), 900)...)
	}
	penalties([3]float64{150, 200, 250})
	for i := range w {
		w[i] = g.dens[i] + g.flo[i] + 0.12*mean
	}
	gw := make([]float64, len(g.comms))
	caps := make([]int, len(g.comms))
	for i, u := range g.comms {
		gw[i] = g.cellShare(u.cells, 0.88)
		caps[i] = len(u.cells)
	}
	gc := apportion(nGrids, gw, 3, caps)
	for i, u := range g.comms {
		parts := sp.split(r, u.cells, gc[i], w, 2, 4)
		g.grids = append(g.grids, orderUnits(parts, int32(i), 250)...)
	}

	label := func(us []unit) []int32 {
		lab := make([]int32, nx*ny)
		for i := range lab {
			lab[i] = -1
		}
		for i, u := range us {
			for _, c := range u.cells {
				lab[c] = int32(i)
			}
		}
		return lab
	}
	g.streetOf, g.commOf, g.gridOf = label(g.streets), label(g.comms), label(g.grids)

	// codes and names
	names := newNamer(g.rng(3))
	for i := range g.streets {
		u := &g.streets[i]
		u.code = fmt.Sprintf("%s%03d", g.sz.code, i+1)
		sn := streetName(i)
		u.name, u.nameEN = sn[0]+"街道", sn[1]+" Subdistrict"
	}
	seq := map[int32]int{}
	for i := range g.comms {
		u := &g.comms[i]
		seq[u.parent]++
		u.code = fmt.Sprintf("%s%03d", g.streets[u.parent].code, seq[u.parent])
		zh, en := names.place()
		u.name, u.nameEN = zh+"社区", en+" Community"
	}
	seq = map[int32]int{}
	for i := range g.grids {
		u := &g.grids[i]
		seq[u.parent]++
		n := seq[u.parent]
		p := &g.comms[u.parent]
		u.code = fmt.Sprintf("%s%03d", p.code, n)
		u.name = fmt.Sprintf("%s第%d网格", p.name, n)
		u.nameEN = fmt.Sprintf("%s Grid %d", p.nameEN[:len(p.nameEN)-len(" Community")], n)
	}

	// people: residents ~1.55 million, floating ~0.62 million
	rw := make([]float64, len(g.grids))
	fw := make([]float64, len(g.grids))
	for i, u := range g.grids {
		for _, c := range u.cells {
			rw[i] += g.dens[c]
			fw[i] += g.flo[c]
		}
	}
	res := apportion(g.sz.residents+r.IntN(8000), rw, 0, nil)
	flo := apportion(g.sz.floating+r.IntN(30000), fw, 0, nil)
	for i := range g.grids {
		g.grids[i].res, g.grids[i].flo = res[i], flo[i]
		p := g.grids[i].parent
		g.comms[p].res += res[i]
		g.comms[p].flo += flo[i]
		s := g.comms[p].parent
		g.streets[s].res += res[i]
		g.streets[s].flo += flo[i]
	}
}

// cellShare is a blend of the people weight and the area of cells, used to
// share out child counts.
func (g *gen) cellShare(cells []int32, people float64) float64 {
	d := 0.0
	for _, c := range cells {
		d += g.dens[c] + g.flo[c]
	}
	return people*d + (1-people)*float64(len(cells))
}

// orderUnits turns regions into units ordered north to south in bands of
// band metres, then west to east, as codes are usually assigned.
func orderUnits(parts [][]int32, parent int32, band float64) []unit {
	us := make([]unit, len(parts))
	for i, p := range parts {
		u := unit{parent: parent, cells: p}
		for _, c := range p {
			x, y := cellCentre(int(c))
			u.cx += x
			u.cy += y
		}
		u.cx /= float64(len(p))
		u.cy /= float64(len(p))
		us[i] = u
	}
	slices.SortStableFunc(us, func(a, b unit) int {
		if c := cmp.Compare(math.Floor(b.cy/band), math.Floor(a.cy/band)); c != 0 {
			return c
		}
		return cmp.Compare(a.cx, b.cx)
	})
	return us
}

// apportion shares total among weights by the largest remainder, giving
// each at least minEach and at most caps[i] (when caps is not nil).
func apportion(total int, w []float64, minEach int, caps []int) []int {
	out := make([]int, len(w))
	rest := total
	for i := range out {
		out[i] = minEach
		if caps != nil && out[i] > caps[i] {
			out[i] = caps[i]
		}
		rest -= out[i]
	}
	type rem struct {
		i int
		f float64
	}
	for rest > 0 {
		free := 0.0
		for i, v := range w {
			if caps == nil || out[i] < caps[i] {
				free += v
			}
		}
		if free <= 0 {
			break
		}
		var rems []rem
		given := 0
		for i, v := range w {
			if caps != nil && out[i] >= caps[i] {
				continue
			}
			q := float64(rest) * v / free
			k := int(q)
			if caps != nil && out[i]+k > caps[i] {
				k = caps[i] - out[i]
			}
			out[i] += k
			given += k
			rems = append(rems, rem{i, q - float64(k)})
		}
		rest -= given
		slices.SortStableFunc(rems, func(a, b rem) int { return cmp.Compare(b.f, a.f) })
		for _, rm := range rems {
			if rest == 0 {
				break
			}
			if caps != nil && out[rm.i] >= caps[rm.i] {
				continue
			}
			out[rm.i]++
			rest--
		}
		if given == 0 && len(rems) == 0 {
			break
		}
	}
	return out
}

// splitter divides sets of cells into connected regions.
type splitter struct {
	member []int32 // stamp of the set a cell belongs to
	lab    []int32
	best   []float64 // least distance pushed for a cell
	pen    []float64 // cost of growing into a cell, metres
	stamp  int32
	h      cellHeap
}

// split divides cells (a 4-connected set) into k 4-connected regions: seeds
// drawn by weight w and moved to their regions' weighted centroids iters
// times; every cell joins the nearest seed reachable through its region.
// Regions under minCells are re-seeded where they fit, when they can be.
func (sp *splitter) split(r *rand.Rand, cells []int32, k int, w []float64, iters, minCells int) [][]int32 {
	k = min(k, len(cells))
	if k <= 1 {
		return [][]int32{slices.Clone(cells)}
	}
	sp.stamp++
	for _, c := range cells {
		sp.member[c] = sp.stamp
	}
	// weighted sampling without replacement (Efraimidis–Spirakis)
	type key struct {
		c int32
		k float64
	}
	keys := make([]key, len(cells))
	for i, c := range cells {
		keys[i] = key{c, -math.Log(1-r.Float64()) / (w[c] + 1e-9)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.k, b.k); c != 0 {
			return c
		}
		return cmp.Compare(a.c, b.c)
	})
	seeds := make([]int32, k)
	for i := range seeds {
		seeds[i] = keys[i].c
	}
	var regions [][]int32
	for it := 0; ; it++ {
		sp.grow(cells, seeds)
		regions = make([][]int32, k)
		for _, c := range cells {
			l := sp.lab[c]
			regions[l] = append(regions[l], c)
		}
		if it >= iters {
			// a region squeezed below minCells moves its seed into the
			// far end of the biggest region, a few times at most
			small, big := -1, 0
			for l, reg := range regions {
				if len(reg) < minCells && (small < 0 || len(reg) < len(regions[small])) {
					small = l
				}
				if len(reg) > len(regions[big]) {
					big = l
				}
			}
			if small < 0 || it >= iters+8 || len(regions[big]) < 2*minCells {
				return regions
			}
			bx, by := cellCentre(int(seeds[big]))
			far, fd := seeds[big], -1.0
			for _, c := range regions[big] {
				x, y := cellCentre(int(c))
				if d := (x-bx)*(x-bx) + (y-by)*(y-by); d > fd {
					far, fd = c, d
				}
			}
			seeds[small] = far
			continue
		}
		for l, reg := range regions {
			var sx, sy, sw float64
			for _, c := range reg {
				x, y := cellCentre(int(c))
				sx += w[c] * x
				sy += w[c] * y
				sw += w[c]
			}
			if sw <= 0 {
				continue
			}
			sx, sy = sx/sw, sy/sw
			best, bd := seeds[l], math.Inf(1)
			for _, c := range reg {
				x, y := cellCentre(int(c))
				if d := (x-sx)*(x-sx) + (y-sy)*(y-sy); d < bd {
					best, bd = c, d
				}
			}
			seeds[l] = best
		}
	}
}

// grow labels every member cell with the seed nearest to it among those
// that reach it through member cells already labelled with that seed.
func (sp *splitter) grow(cells []int32, seeds []int32) {
	for _, c := range cells {
		sp.lab[c] = -1
		sp.best[c] = math.Inf(1)
	}
	sx := make([]float64, len(seeds))
	sy := make([]float64, len(seeds))
	h := &sp.h
	h.items = h.items[:0]
	for l, s := range seeds {
		sx[l], sy[l] = cellCentre(int(s))
		h.push(heapItem{0, s, int32(l), 0})
	}
	for len(h.items) > 0 {
		it := h.pop()
		if sp.lab[it.c] >= 0 {
			continue
		}
		sp.lab[it.c] = it.l
		for _, m := range neighbours4(int(it.c)) {
			if m < 0 || sp.member[m] != sp.stamp || sp.lab[m] >= 0 {
				continue
			}
			x, y := cellCentre(m)
			dx, dy := x-sx[it.l], y-sy[it.l]
			p := it.p + sp.pen[m]
			if d := math.Sqrt(dx*dx+dy*dy) + p; d < sp.best[m] {
				sp.best[m] = d
				h.push(heapItem{d, int32(m), it.l, p})
			}
		}
	}
}

type heapItem struct {
	d float64
	c int32
	l int32
	p float64 // penalty paid on the way
}

func (a heapItem) less(b heapItem) bool {
	if a.d != b.d {
		return a.d < b.d
	}
	if a.c != b.c {
		return a.c < b.c
	}
	return a.l < b.l
}

// cellHeap is a binary min-heap of heapItems.
type cellHeap struct{ items []heapItem }

func (h *cellHeap) push(it heapItem) {
	h.items = append(h.items, it)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.items[i].less(h.items[p]) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *cellHeap) pop() heapItem {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	i := 0
	for {
		l, r := 2*i+1, 2*i+2
		m := i
		if l < last && h.items[l].less(h.items[m]) {
			m = l
		}
		if r < last && h.items[r].less(h.items[m]) {
			m = r
		}
		if m == i {
			break
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	return top
}

// outlines traces the union of the cells of each label 0..n-1 (lab holds a
// label per cell, -1 for none) into a MultiPolygon: counter-clockwise
// exteriors, clockwise holes, no collinear vertices. Corners come from
// corner(), so neighbouring outlines share bit-identical vertices.
func outlines(lab []int32, n int) []orb.MultiPolygon {
	type edge struct {
		from, to int32
		dir      int8 // 0 E, 1 N, 2 W, 3 S
	}
	vid := func(ix, iy int) int32 { return int32(iy*(nx+1) + ix) }
	edges := make([][]edge, n)
	at := func(ix, iy int) int32 {
		if ix < 0 || iy < 0 || ix >= nx || iy >= ny {
			return -1
		}
		return lab[iy*nx+ix]
	}
	for c, l := range lab {
		if l < 0 {
			continue
		}
		ix, iy := c%nx, c/nx
		if at(ix, iy-1) != l {
			edges[l] = append(edges[l], edge{vid(ix, iy), vid(ix+1, iy), 0})
		}
		if at(ix+1, iy) != l {
			edges[l] = append(edges[l], edge{vid(ix+1, iy), vid(ix+1, iy+1), 1})
		}
		if at(ix, iy+1) != l {
			edges[l] = append(edges[l], edge{vid(ix+1, iy+1), vid(ix, iy+1), 2})
		}
		if at(ix-1, iy) != l {
			edges[l] = append(edges[l], edge{vid(ix, iy+1), vid(ix, iy), 3})
		}
	}
	out := make([]orb.MultiPolygon, n)
	for l, es := range edges {
		first := make(map[int32]int32, len(es))
		second := map[int32]int32{}
		for i, e := range es {
			if _, ok := first[e.from]; ok {
				second[e.from] = int32(i)
			} else {
				first[e.from] = int32(i)
			}
		}
		used := make([]bool, len(es))
		type ring struct {
			v    [][2]int // lattice vertices, open
			area int      // twice the signed area
			cell [2]int   // a cell inside, left of the first edge
		}
		var exts, holes []ring
		for s := range es {
			if used[s] {
				continue
			}
			var rg ring
			e := es[s]
			switch e.dir {
			case 0:
				rg.cell = [2]int{int(e.from) % (nx + 1), int(e.from) / (nx + 1)}
			case 1:
				rg.cell = [2]int{int(e.from)%(nx+1) - 1, int(e.from) / (nx + 1)}
			case 2:
				rg.cell = [2]int{int(e.from)%(nx+1) - 1, int(e.from)/(nx+1) - 1}
			case 3:
				rg.cell = [2]int{int(e.from) % (nx + 1), int(e.from)/(nx+1) - 1}
			}
			cur := int32(s)
			for {
				used[cur] = true
				e := es[cur]
				// next edge out of e.to: prefer a left turn at a pinch
				nxt := first[e.to]
				if alt, ok := second[e.to]; ok && es[alt].dir == (e.dir+1)%4 {
					nxt = alt
				}
				if es[nxt].dir != e.dir {
					rg.v = append(rg.v, [2]int{int(e.to) % (nx + 1), int(e.to) / (nx + 1)})
				}
				if nxt == int32(s) {
					break
				}
				cur = nxt
			}
			for i := range rg.v {
				a, b := rg.v[i], rg.v[(i+1)%len(rg.v)]
				rg.area += a[0]*b[1] - b[0]*a[1]
			}
			if rg.area > 0 {
				exts = append(exts, rg)
			} else {
				holes = append(holes, rg)
			}
		}
		toRing := func(v [][2]int) orb.Ring {
			r := make(orb.Ring, 0, len(v)+1)
			for _, p := range v {
				r = append(r, corner(p[0], p[1]))
			}
			return append(r, r[0])
		}
		mp := make(orb.MultiPolygon, len(exts))
		for i, e := range exts {
			mp[i] = orb.Polygon{toRing(e.v)}
		}
		for _, h := range holes {
			px, py := float64(h.cell[0])+0.5, float64(h.cell[1])+0.5
			best, ba := -1, 0
			for i, e := range exts {
				if latticeContains(e.v, px, py) && (best < 0 || e.area < ba) {
					best, ba = i, e.area
				}
			}
			if best >= 0 {
				mp[best] = append(mp[best], toRing(h.v))
			}
		}
		out[l] = mp
	}
	return out
}

// latticeContains is the even-odd test of point (px, py) in ring v.
func latticeContains(v [][2]int, px, py float64) bool {
	in := false
	for i := range v {
		a, b := v[i], v[(i+1)%len(v)]
		ax, ay, bx, by := float64(a[0]), float64(a[1]), float64(b[0]), float64(b[1])
		if (ay > py) != (by > py) && px < ax+(py-ay)*(bx-ax)/(by-ay) {
			in = !in
		}
	}
	return in
}

// adminFeatures builds the district, streets, communities and grids layers.
func (g *gen) adminFeatures() {
	dl := make([]int32, nx*ny)
	for c := range dl {
		dl[c] = -1
		if g.inD[c] {
			dl[c] = 0
		}
	}
	dgeom := outlines(dl, 1)[0]
	var dres, dflo int
	for _, s := range g.streets {
		dres += s.res
		dflo += s.flo
	}
	g.layers[layers.Districts] = []layers.Feature{{
		ID:       mustInt(g.sz.code),
		Geometry: dgeom,
		Properties: map[string]any{
			"code": g.sz.code, "name": g.sz.name, "name_en": g.sz.nameEN, "level": "district",
			"residents": int64(dres), "floating": int64(dflo), "area_km2": round(geo.Area(dgeom)/1e6, 6),
		},
	}}
	level := func(name string, us []unit, lab []int32, parents []unit, lvl string) {
		geoms := outlines(lab, len(us))
		fs := make([]layers.Feature, len(us))
		for i := range us {
			u := &us[i]
			u.geom = geoms[i]
			pc := g.sz.code
			if parents != nil {
				pc = parents[u.parent].code
			}
			fs[i] = layers.Feature{ID: mustInt(u.code), Geometry: u.geom, Properties: map[string]any{
				"code": u.code, "name": u.name, "name_en": u.nameEN, "level": lvl, "parent_code": pc,
				"residents": int64(u.res), "floating": int64(u.flo), "area_km2": round(geo.Area(u.geom)/1e6, 6),
			}}
		}
		g.layers[name] = fs
	}
	level(layers.Streets, g.streets, g.streetOf, nil, "street")
	level(layers.Communities, g.comms, g.commOf, g.streets, "community")
	level(layers.Grids, g.grids, g.gridOf, g.comms, "grid")
}

func mustInt(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return v
}

// round rounds v to d decimals.
func round(v float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(v*p) / p
}
