package demo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/onemap/onemap/layers"
)

// spot is a point beside a road: the edge it fronts and its position.
type spot struct {
	x, y float64
	edge int
}

// roadside returns a point fronting the road nearest to (x, y) among edges
// of class ≥ minCls, set back off from the centre line, for which accept
// (given the spot's grid) is true; ok is false when none is found.
func (g *gen) roadside(x, y float64, minCls uint8, off float64, accept func(grid int) bool) (spot, bool) {
	rn := &g.rd
	type cand struct {
		d float64
		i int
		t float64
	}
	var cs []cand
	for _, lim := range [...]float64{400, 1500, math.Inf(1)} {
		cs = cs[:0]
		for i, e := range rn.edges {
			if e.cls < minCls {
				continue
			}
			a, b := rn.nodes[e.a], rn.nodes[e.b]
			if math.Min(a.x, b.x)-lim > x || math.Max(a.x, b.x)+lim < x || math.Min(a.y, b.y)-lim > y || math.Max(a.y, b.y)+lim < y {
				continue
			}
			d, t := segDist(x, y, a.x, a.y, b.x, b.y)
			cs = append(cs, cand{d, i, t})
		}
		if len(cs) >= 40 || math.IsInf(lim, 1) {
			break
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	for _, c := range cs[:min(len(cs), 40)] {
		e := rn.edges[c.i]
		a, b := rn.nodes[e.a], rn.nodes[e.b]
		t := math.Max(0.2, math.Min(0.8, c.t))
		L := math.Hypot(b.x-a.x, b.y-a.y)
		ux, uy := (b.x-a.x)/L, (b.y-a.y)/L
		px, py := a.x+(b.x-a.x)*t, a.y+(b.y-a.y)*t
		// the side facing (x, y) first
		sides := [2]float64{1, -1}
		if (x-px)*(-uy)+(y-py)*ux < 0 {
			sides = [2]float64{-1, 1}
		}
		for _, s := range sides {
			sx, sy := px-uy*s*(edgeHW(e)+off), py+ux*s*(edgeHW(e)+off)
			gi := g.gridAtXY(sx, sy)
			if gi >= 0 && (accept == nil || accept(gi)) {
				return spot{sx, sy, c.i}, true
			}
		}
	}
	return spot{}, false
}

// kmeans returns k centres of the district's cells weighted by w.
func (g *gen) kmeans(r *rand.Rand, w []float64, k, iters int) [][2]float64 {
	var cells []int
	var cw []float64
	for c := range nx * ny {
		if g.inD[c] && w[c] > 0 {
			cells = append(cells, c)
			cw = append(cw, w[c])
		}
	}
	cs := make([][2]float64, k)
	sm := newSampler(cw)
	for i := range cs {
		x, y := cellCentre(cells[sm.draw(r)])
		cs[i] = [2]float64{x, y}
	}
	for range iters {
		var sx, sy, sw = make([]float64, k), make([]float64, k), make([]float64, k)
		for i, c := range cells {
			x, y := cellCentre(c)
			best, bd := 0, math.Inf(1)
			for j, m := range cs {
				if d := (x-m[0])*(x-m[0]) + (y-m[1])*(y-m[1]); d < bd {
					best, bd = j, d
				}
			}
			sx[best] += cw[i] * x
			sy[best] += cw[i] * y
			sw[best] += cw[i]
		}
		for j := range cs {
			if sw[j] > 0 {
				cs[j] = [2]float64{sx[j] / sw[j], sy[j] / sw[j]}
			}
		}
	}
	return cs
}

func (g *gen) point(id int64, x, y float64, props map[string]any) layers.Feature {
	props["grid_code"] = g.grids[g.gridAtXY(x, y)].code
	return layers.Feature{ID: id, Geometry: ll(x, y), Properties: props}
}

// facilities places fire stations, schools, hospitals, elderly care,
// cameras, hazards and flood points beside the roads.
func (g *gen) facilities() {
	r := g.rng(9)
	names := newNamer(g.rng(10))
	people := make([]float64, nx*ny)
	for c := range people {
		people[c] = g.dens[c] + g.flo[c] + 0.15*g.jobsW[c]
	}

	// fire stations
	var fs []layers.Feature
	centres := g.kmeans(r, people, 23, 8)
	slices.SortFunc(centres, func(a, b [2]float64) int {
		if c := cmp.Compare(b[1], a[1]); c != 0 {
			return c
		}
		return cmp.Compare(a[0], b[0])
	})
	for i, c := range centres {
		s, ok := g.roadside(c[0], c[1], secondary, 12, nil)
		if !ok {
			continue
		}
		kind, veh := "general", 5+r.IntN(3)
		switch {
		case i%11 == 4:
			kind, veh = "special", 8+r.IntN(3)
		case i%4 == 3:
			kind, veh = "small", 2+r.IntN(2)
		}
		gi := g.gridAtXY(s.x, s.y)
		cm := g.comms[g.grids[gi].parent]
		fs = append(fs, g.point(int64(len(fs)+1), s.x, s.y, map[string]any{
			"name": cm.name[:len(cm.name)-len("社区")] + "消防救援站", "kind": kind,
			"vehicles": int64(veh), "crew": int64(veh*5 + r.IntN(6)), "available": i%9 != 7,
		}))
	}
	g.layers[layers.FireStations] = fs

	// schools: one per catchment near its children
	g.schoolNames = make([]string, g.nPrim+g.nJun)
	var sc []layers.Feature
	for i, row := range g.catchRows {
		var x, y, w float64
		for _, code := range row.Grids {
			gi := g.gridIndex(code)
			u := g.grids[gi]
			k := float64(u.res + u.flo + 1)
			x += u.cx * k
			y += u.cy * k
			w += k
		}
		x, y = x/w, y/w
		level, li := row.Level, i
		var in func(gi int) bool
		if level == "primary" {
			in = func(gi int) bool { return int(g.primOf[gi]) == li }
		} else {
			in = func(gi int) bool { return int(g.junOf[g.primOf[gi]]) == li-g.nPrim }
		}
		s, ok := g.roadside(x, y, local, 15, in)
		if !ok { // a catchment reached by no road: stand at its middle
			s = spot{x: x, y: y}
			if gi := g.gridAtXY(x, y); gi < 0 || !in(gi) {
				gi0 := g.gridIndex(row.Grids[0])
				s.x, s.y = cellCentre(int(g.grids[gi0].cells[0]))
			}
		}
		zh, _ := names.place()
		suffix := "小学"
		if level == "junior" {
			suffix = "中学"
		}
		g.schoolNames[i] = zh + suffix
		sc = append(sc, g.point(row.SchoolID, s.x, s.y, map[string]any{
			"name": zh + suffix, "level": level, "seats": int64(g.seats[i]), "catchment_code": row.Code,
		}))
	}
	g.layers[layers.Schools] = sc
	g.layers[layers.Catchments] = g.catchmentFeatures()

	// hospitals
	var hs []layers.Feature
	for i, c := range g.kmeans(r, people, 12, 6) {
		s, ok := g.roadside(c[0], c[1], secondary, 20, nil)
		if !ok {
			continue
		}
		grade, beds := "二级", 200+50*r.IntN(9)
		switch {
		case i%3 == 0:
			grade, beds = "三级甲等", 800+100*r.IntN(10)
		case i%3 == 1 && i < 9:
			grade, beds = "三级", 500+50*r.IntN(8)
		}
		zh, _ := names.place()
		kind := []string{"人民医院", "医院", "中医院", "妇幼保健院", "第二人民医院", "医院"}[i%6]
		hs = append(hs, g.point(int64(len(hs)+1), s.x, s.y, map[string]any{"name": zh + kind, "grade": grade, "beds": int64(beds)}))
	}
	g.layers[layers.Hospitals] = hs

	// elderly care
	var ec []layers.Feature
	old := make([]float64, nx*ny)
	for c := range old {
		old[c] = g.dens[c]
	}
	for _, c := range g.kmeans(r, old, 40, 5) {
		s, ok := g.roadside(c[0], c[1], local, 12, nil)
		if !ok {
			continue
		}
		beds := 40 + 10*r.IntN(30)
		occ := int(float64(beds) * uniform(r, 0.7, 1.0))
		zh, _ := names.place()
		ec = append(ec, g.point(int64(len(ec)+1), s.x, s.y, map[string]any{"name": zh + "颐养院", "beds": int64(beds), "occupied": int64(occ)}))
	}
	g.layers[layers.ElderlyCare] = ec

	g.cameras(r)
	g.hazards(r, names)
	g.floodPoints(r)
}

// gridIndex finds a grid by code (codes are in order).
func (g *gen) gridIndex(code string) int {
	i, _ := slices.BinarySearchFunc(g.grids, code, func(u unit, c string) int { return cmp.Compare(u.code, c) })
	return i
}

// nodeWeights weighs road nodes for cameras and flood points.
func (g *gen) nodePeople(n rnode) float64 {
	c := cellAtXY(n.x, n.y)
	if c < 0 {
		return 0
	}
	return g.dens[c] + g.flo[c] + 0.2*g.jobsW[c]
}

// cameras clusters about 3,000 cameras at busy intersections and along roads.
func (g *gen) cameras(r *rand.Rand) {
	rn := &g.rd
	var nodes []int
	var w []float64
	for i, n := range rn.nodes {
		if rn.deg[i] >= 3 {
			cls := max(rn.maxH[i], rn.maxV[i])
			nodes = append(nodes, i)
			w = append(w, (1+2*float64(cls))*(0.3+g.nodePeople(n)))
		}
	}
	total := g.sz.cameras
	var fs []layers.Feature
	add := func(x, y float64, kind, name string) {
		if g.gridAtXY(x, y) < 0 || len(fs) >= total {
			return
		}
		id := int64(len(fs) + 1)
		fs = append(fs, g.point(id, x, y, map[string]any{
			"name": name, "kind": kind, "channel": fmt.Sprintf("%s00001320%06d", g.sz.code, id),
		}))
	}
	sm := newSampler(w)
	for len(fs) < total*3/4 {
		i := nodes[sm.draw(r)]
		n := rn.nodes[i]
		k := 1 + r.IntN(2+int(max(rn.maxH[i], rn.maxV[i])))
		for range k {
			a := r.Float64() * 2 * math.Pi
			d := 8 + r.Float64()*10
			kind := "bullet"
			if r.Float64() < 0.3 {
				kind = "dome"
			}
			add(n.x+d*math.Cos(a), n.y+d*math.Sin(a), kind, g.nodeName(i)+"路口")
		}
	}
	var ew []float64
	for _, e := range rn.edges {
		a, b := rn.nodes[e.a], rn.nodes[e.b]
		ew = append(ew, (1+float64(e.cls))*(0.2+g.nodePeople(a)+g.nodePeople(b)))
	}
	es := newSampler(ew)
	for len(fs) < total {
		ei := es.draw(r)
		e := rn.edges[ei]
		a, b := rn.nodes[e.a], rn.nodes[e.b]
		t := 0.2 + 0.6*r.Float64()
		L := math.Hypot(b.x-a.x, b.y-a.y)
		s := edgeHW(e) + 2
		if r.IntN(2) == 0 {
			s = -s
		}
		x := a.x + (b.x-a.x)*t - (b.y-a.y)/L*s
		y := a.y + (b.y-a.y)*t + (b.x-a.x)/L*s
		kind := "bullet"
		if r.Float64() < 0.1 {
			kind = "panoramic"
		}
		add(x, y, kind, e.name+"沿线")
	}
	g.layers[layers.Cameras] = fs
}

// nodeName names an intersection by its roads.
func (g *gen) nodeName(i int) string {
	if g.nodeNames == nil {
		h := make([]string, len(g.rd.nodes))
		v := make([]string, len(g.rd.nodes))
		for _, e := range g.rd.edges {
			for _, n := range [2]int32{e.a, e.b} {
				if e.horiz && h[n] == "" {
					h[n] = e.name
				} else if !e.horiz && v[n] == "" {
					v[n] = e.name
				}
			}
		}
		g.nodeNames = make([]string, len(g.rd.nodes))
		for n := range h {
			if h[n] != "" && v[n] != "" && h[n] != v[n] {
				g.nodeNames[n] = h[n] + "与" + v[n]
			} else {
				g.nodeNames[n] = h[n] + v[n]
			}
		}
	}
	return g.nodeNames[i]
}

// hazards marks about 570 hazard sources in four classes.
func (g *gen) hazards(r *rand.Rand, names *namer) {
	type class struct {
		name   string
		n      int
		uses   map[string]float64
		kinds  []string
		levels []float64 // weights of risk levels 1..4
	}
	classes := []class{
		{"industrial", 175, map[string]float64{"industrial": 1}, []string{"工业园", "电子厂", "印刷厂", "仓储中心", "五金厂"}, []float64{0.06, 0.18, 0.36, 0.4}},
		{"crowded", 190, map[string]float64{"commercial": 1, "mixed": 0.4, "public": 0.6}, []string{"购物中心", "农贸市场", "酒店", "体育馆", "影剧院", "商业广场"}, []float64{0.04, 0.14, 0.4, 0.42}},
		{"public_facility", 135, map[string]float64{"public": 1, "commercial": 0.1}, []string{"变电站", "燃气调压站", "地铁站", "人行天桥", "隧道"}, []float64{0.05, 0.15, 0.35, 0.45}},
		{"chemicals", 70, map[string]float64{"industrial": 1, "commercial": 0.05}, []string{"加油站", "加气站", "危化品仓库", "实验室"}, []float64{0.15, 0.3, 0.35, 0.2}},
	}
	var fs []layers.Feature
	taken := map[int]bool{} // one hazard per building
	for _, cl := range classes {
		w := make([]float64, len(g.blds))
		for i, b := range g.blds {
			w[i] = cl.uses[b.use] * (1 + float64(b.floors)/20)
		}
		sm := newSampler(w)
		for range cl.n {
			i := sm.draw(r)
			for taken[i] {
				i = sm.draw(r)
			}
			taken[i] = true
			b := g.blds[i]
			zh, _ := names.place()
			oz, _ := names.place()
			lvl := pick(r, []int64{1, 2, 3, 4}, cl.levels)
			fs = append(fs, g.point(int64(len(fs)+1), b.cx, b.cy, map[string]any{
				"name": zh + cl.kinds[r.IntN(len(cl.kinds))], "class": cl.name, "risk_level": lvl,
				"owner": "深圳市" + oz + []string{"实业", "科技", "物业管理", "能源", "商贸"}[r.IntN(5)] + "有限公司",
			}))
		}
	}
	g.layers[layers.Hazards] = fs
}

// floodPoints marks about 200 low-lying road points near water, a few on
// warning or alarm.
func (g *gen) floodPoints(r *rand.Rand) {
	rn := &g.rd
	var nodes []int
	var w []float64
	for i, n := range rn.nodes {
		if rn.deg[i] == 0 {
			continue
		}
		// low ground by the bay, the river banks, and underpasses where
		// arterials cross
		c := cellAtXY(n.x, n.y)
		v := 0.8*math.Exp(-g.elev[c]/2) + 0.9*math.Exp(-math.Max(0, g.shape.riverDist(n.x, n.y))/180) + 0.02
		if rn.maxH[i] == int8(arterial) && rn.maxV[i] == int8(arterial) {
			v += 0.4
		}
		nodes = append(nodes, i)
		w = append(w, v)
	}
	const total = 200
	taken := map[int]bool{}
	var fs []layers.Feature
	sm := newSampler(w)
	for len(fs) < total {
		i := nodes[sm.draw(r)]
		if taken[i] {
			continue
		}
		taken[i] = true
		n := rn.nodes[i]
		// levels in whole centimetres; warning from 70% of the alert level
		alert := 15 + r.IntN(36)
		k := len(fs)
		var level int
		state := "normal"
		switch {
		case k%67 == 13:
			state, level = "alarm", alert+r.IntN(alert/2+1)
		case k%23 == 5:
			lo := alert*7/10 + 2
			state, level = "warning", lo+r.IntN(alert-lo)
		default:
			level = r.IntN(alert/2 + 1)
		}
		x, y := n.x+uniform(r, -6, 6), n.y+uniform(r, -6, 6)
		if g.gridAtXY(x, y) < 0 {
			x, y = n.x, n.y
		}
		fs = append(fs, g.point(int64(k+1), x, y, map[string]any{
			"name": g.nodeName(i) + []string{"低洼点", "下穿通道", "积水点"}[r.IntN(3)], "alert_level_m": float64(alert) / 100,
			"water_level_m": float64(level) / 100, "state": state,
		}))
	}
	g.layers[layers.FloodPoints] = fs
}
