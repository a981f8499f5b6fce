package demo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
)

const (
	firstBirthYear = 2000 // internal history, so every grade in 2015 has a cohort
	birthTableFrom = demoYear - 11
	enrolFrom      = demoYear - 11
	nPrimary       = 100
	nJunior        = 50
	classSize      = 45
)

// crudeBirthRate is births per 1,000 residents in the district in year y,
// 2000–2026: a slow rise, the two-child peak of 2016–17, then the fall.
func crudeBirthRate(y int) float64 {
	return [...]float64{
		10.5, 10.8, 11.0, 11.2, 11.5, 11.8, 12.0, 12.2, 12.5, 12.6, // 2000–2009
		12.8, 13.0, 13.6, 13.2, 13.6, 13.4, 15.5, 16.2, 14.8, 13.9, // 2010–2019
		11.9, 10.7, 9.6, 9.0, 9.7, 8.8, 8.5, // 2020–2026
	}[y-firstBirthYear]
}

// poisson draws a Poisson count with mean lam.
func poisson(r *rand.Rand, lam float64) int {
	if lam <= 0 {
		return 0
	}
	if lam > 30 {
		return max(0, int(math.Round(lam+math.Sqrt(lam)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lam), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// pick draws one of items by weight.
func pick[T any](r *rand.Rand, items []T, w []float64) T {
	s := 0.0
	for _, v := range w {
		s += v
	}
	u := r.Float64() * s
	for i, v := range w {
		u -= v
		if u < 0 {
			return items[i]
		}
	}
	return items[len(items)-1]
}

// sampler draws indexes by weight in O(log n).
type sampler struct{ cum []float64 }

func newSampler(w []float64) sampler {
	cum := make([]float64, len(w))
	s := 0.0
	for i, v := range w {
		s += v
		cum[i] = s
	}
	return sampler{cum}
}

func (s sampler) draw(r *rand.Rand) int {
	u := r.Float64() * s.cum[len(s.cum)-1]
	i, _ := slices.BinarySearch(s.cum, u)
	for i < len(s.cum)-1 && s.cum[i] <= u {
		i++
	}
	return min(i, len(s.cum)-1)
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

// tables builds births, ages, groups, catchments, enrolment and housing.
func (g *gen) tables() {
	r := g.rng(7)
	ng := len(g.grids)
	nYears := demoYear - firstBirthYear + 1
	// births per grid per year
	births := make([][]int, ng) // [grid][year-firstBirthYear]
	vill := make([]float64, ng)
	for gi, u := range g.grids {
		var com float64
		for _, c := range u.cells {
			switch g.zone[c] {
			case zVillage:
				vill[gi]++
			case zCommercial:
				com++
			}
		}
		vill[gi] /= float64(len(u.cells))
		com /= float64(len(u.cells))
		fert := (1 + 0.18*vill[gi] - 0.2*com) * math.Exp(0.12*r.NormFloat64())
		growth := uniform(r, -0.008, 0.022)
		births[gi] = make([]int, nYears)
		for k := range nYears {
			y := firstBirthYear + k
			pop := float64(u.res) * math.Max(0.35, 1+growth*float64(y-demoYear))
			births[gi][k] = poisson(r, pop*crudeBirthRate(y)/1000*fert)
		}
		for k := birthTableFrom - firstBirthYear; k < nYears; k++ {
			g.births = append(g.births, data.BirthRow{Grid: u.code, Year: firstBirthYear + k, Births: births[gi][k]})
		}
	}
	// ages 0–17 as of demoYear: the surviving, net-migrated birth cohorts
	float6 := make([]float64, ng) // floating six-year-olds
	kids := make([]int, ng)       // residents + floating aged 0–14
	for gi, u := range g.grids {
		fc := math.Exp(0.2 * r.NormFloat64())
		for a := 0; a <= 17; a++ {
			b := births[gi][demoYear-a-firstBirthYear]
			res := int(math.Round(float64(b) * (0.96 + 0.012*float64(a)) * (1 + 0.04*r.NormFloat64())))
			rate := 0.0085
			if a >= 12 {
				rate = 0.005
			} else if a >= 6 {
				rate = 0.0075
			}
			fl := poisson(r, float64(u.flo)*rate*fc)
			res = max(res, 0)
			g.ages = append(g.ages, data.AgeRow{Grid: u.code, Age: a, Residents: res, Floating: fl})
			if a == 6 {
				float6[gi] = float64(fl)
			}
			if a <= 14 {
				kids[gi] += res + fl
			}
		}
	}
	// groups
	jw := make([]float64, ng)
	for gi, u := range g.grids {
		for _, c := range u.cells {
			jw[gi] += g.jobsW[c]
		}
	}
	jobs := apportion(1_240_000+r.IntN(20000), jw, 0, nil)
	dwell := make([]int, ng)
	for _, bl := range g.blds {
		dwell[bl.grid] += bl.dwell
	}
	for gi, u := range g.grids {
		old := uniform(r, 0.07, 0.13) * (1 - 0.4*vill[gi])
		a60 := int(math.Round(float64(u.res)*old + float64(u.flo)*0.02))
		work := max(0, u.res+u.flo-kids[gi]-a60)
		g.groups = append(g.groups, data.GroupRow{Grid: u.code, Aged60Plus: a60, WorkingAge: work, Dwellings: dwell[gi], Jobs: jobs[gi]})
	}

	g.catchments(r, births, float6)
	g.housingProjects(r)
}

// catchments partitions the grids into primary catchments and those into
// junior ones, then simulates enrolment by cohort from births.
func (g *gen) catchments(r *rand.Rand, births [][]int, float6 []float64) {
	ng := len(g.grids)
	// grid adjacency and centroids
	var pairs [][2]int32
	for c := range nx * ny {
		a := g.gridOf[c]
		if a < 0 {
			continue
		}
		for _, m := range [2]int{c + 1, c + nx} {
			if (m == c+1 && c%nx == nx-1) || m >= nx*ny {
				continue
			}
			if b := g.gridOf[m]; b >= 0 && b != a {
				pairs = append(pairs, [2]int32{min(a, b), max(a, b)})
			}
		}
	}
	adj := adjacency(ng, pairs)
	gx := make([]float64, ng)
	gy := make([]float64, ng)
	kw := make([]float64, ng)
	for gi, u := range g.grids {
		gx[gi], gy[gi] = u.cx, u.cy
		kw[gi] = float64(births[gi][demoYear-8-firstBirthYear]) + float6[gi] + 0.5
	}
	g.primOf = clusterGraph(r, gx, gy, kw, adj, nPrimary, 4)
	g.nPrim = nPrimary
	// catchment graph
	px := make([]float64, nPrimary)
	py := make([]float64, nPrimary)
	pw := make([]float64, nPrimary)
	for gi := range g.grids {
		p := g.primOf[gi]
		px[p] += gx[gi] * kw[gi]
		py[p] += gy[gi] * kw[gi]
		pw[p] += kw[gi]
	}
	for p := range px {
		px[p] /= pw[p]
		py[p] /= pw[p]
	}
	var cp [][2]int32
	for _, pr := range pairs {
		a, b := g.primOf[pr[0]], g.primOf[pr[1]]
		if a != b {
			cp = append(cp, [2]int32{min(a, b), max(a, b)})
		}
	}
	g.junOf = clusterGraph(r, px, py, pw, adjacency(nPrimary, cp), nJunior, 3)
	g.nJun = nJunior

	// catchment rows; school ids: primary 1..100, junior 101..150
	for p := range nPrimary {
		row := data.CatchmentRow{Code: fmt.Sprintf("P%03d", p+1), SchoolID: int64(p + 1), Level: "primary"}
		for gi, u := range g.grids {
			if int(g.primOf[gi]) == p {
				row.Grids = append(row.Grids, u.code)
			}
		}
		g.catchRows = append(g.catchRows, row)
	}
	for j := range nJunior {
		row := data.CatchmentRow{Code: fmt.Sprintf("J%03d", j+1), SchoolID: int64(nPrimary + j + 1), Level: "junior"}
		for gi, u := range g.grids {
			if int(g.junOf[g.primOf[gi]]) == j {
				row.Grids = append(row.Grids, u.code)
			}
		}
		g.catchRows = append(g.catchRows, row)
	}

	// cohort simulation
	nYears := demoYear - firstBirthYear + 1
	pb := make([][]float64, nPrimary) // births by catchment and year
	pf := make([]float64, nPrimary)   // floating six-year-olds now
	for p := range pb {
		pb[p] = make([]float64, nYears)
	}
	for gi := range g.grids {
		p := g.primOf[gi]
		for k := range nYears {
			pb[p][k] += float64(births[gi][k])
		}
		pf[p] += float6[gi]
	}
	start := firstBirthYear + 6
	ny := demoYear - start + 1
	prim := make([][7][]int, nPrimary) // [catchment][grade][year-start]
	for p := range nPrimary {
		r0, r1 := uniform(r, 0.86, 1.02), uniform(r, -0.004, 0.004)
		er := uniform(r, 0.45, 0.75)
		var prog [7]float64
		for k := 2; k <= 6; k++ {
			prog[k] = uniform(r, 0.975, 1.03)
		}
		for gr := 1; gr <= 6; gr++ {
			prim[p][gr] = make([]int, ny)
		}
		for k := range ny {
			y := start + k
			ratio := r0 + r1*float64(y-2020)
			fl := pf[p] * er * math.Max(0.3, 1+0.02*float64(y-demoYear))
			prim[p][1][k] = max(0, int(math.Round(pb[p][y-6-firstBirthYear]*ratio*(1+0.01*r.NormFloat64())+fl)))
			for gr := 2; gr <= 6; gr++ {
				if k == 0 {
					continue
				}
				prim[p][gr][k] = max(0, int(math.Round(float64(prim[p][gr-1][k-1])*prog[gr]*(1+0.007*r.NormFloat64()))))
			}
		}
	}
	jun := make([][10][]int, nJunior)
	for j := range nJunior {
		t := uniform(r, 0.9, 1.0)
		var prog [10]float64
		for k := 8; k <= 9; k++ {
			prog[k] = uniform(r, 0.975, 1.025)
		}
		for gr := 7; gr <= 9; gr++ {
			jun[j][gr] = make([]int, ny)
		}
		for k := 1; k < ny; k++ {
			six := 0
			for p := range nPrimary {
				if int(g.junOf[p]) == j {
					six += prim[p][6][k-1]
				}
			}
			jun[j][7][k] = max(0, int(math.Round(float64(six)*t*(1+0.01*r.NormFloat64()))))
			for gr := 8; gr <= 9; gr++ {
				jun[j][gr][k] = max(0, int(math.Round(float64(jun[j][gr-1][k-1])*prog[gr]*(1+0.007*r.NormFloat64()))))
			}
		}
	}
	g.seats = make([]int, nPrimary+nJunior)
	for p := range nPrimary {
		now := 0
		for gr := 1; gr <= 6; gr++ {
			for k := enrolFrom - start; k < ny; k++ {
				g.enrol = append(g.enrol, data.EnrolmentRow{SchoolID: int64(p + 1), Year: start + k, Grade: gr, Pupils: prim[p][gr][k]})
			}
			now += prim[p][gr][ny-1]
		}
		g.seats[p] = seatsFor(r, now)
	}
	for j := range nJunior {
		now := 0
		for gr := 7; gr <= 9; gr++ {
			for k := enrolFrom - start; k < ny; k++ {
				g.enrol = append(g.enrol, data.EnrolmentRow{SchoolID: int64(nPrimary + j + 1), Year: start + k, Grade: gr, Pupils: jun[j][gr][k]})
			}
			now += jun[j][gr][ny-1]
		}
		g.seats[nPrimary+j] = seatsFor(r, now)
	}
	slices.SortStableFunc(g.enrol, func(a, b data.EnrolmentRow) int {
		if c := cmp.Compare(a.SchoolID, b.SchoolID); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Year, b.Year); c != 0 {
			return c
		}
		return cmp.Compare(a.Grade, b.Grade)
	})
}

// seatsFor is a school's capacity near its pupils now, in whole classes;
// about a third of schools are short.
func seatsFor(r *rand.Rand, pupils int) int {
	f := uniform(r, 0.88, 1.2)
	return max(classSize, int(math.Round(float64(pupils)*f/classSize))*classSize)
}

// adjacency turns sorted-or-not node pairs into deduplicated adjacency lists.
func adjacency(n int, pairs [][2]int32) [][]int32 {
	slices.SortFunc(pairs, func(a, b [2]int32) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	pairs = slices.Compact(pairs)
	adj := make([][]int32, n)
	for _, p := range pairs {
		adj[p[0]] = append(adj[p[0]], p[1])
		adj[p[1]] = append(adj[p[1]], p[0])
	}
	return adj
}

// clusterGraph groups the nodes of a connected graph into k connected
// clusters: seeds drawn by weight, grown by distance from their seed
// through the graph, and re-centred iters times.
func clusterGraph(r *rand.Rand, x, y, w []float64, adj [][]int32, k, iters int) []int32 {
	n := len(x)
	type key struct {
		i int32
		k float64
	}
	keys := make([]key, n)
	for i := range n {
		keys[i] = key{int32(i), -math.Log(1-r.Float64()) / (w[i] + 1e-9)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.k, b.k); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	seeds := make([]int32, k)
	for i := range seeds {
		seeds[i] = keys[i].i
	}
	lab := make([]int32, n)
	var h cellHeap
	for it := 0; ; it++ {
		for i := range lab {
			lab[i] = -1
		}
		h.items = h.items[:0]
		for l, s := range seeds {
			h.push(heapItem{0, s, int32(l), 0})
		}
		for len(h.items) > 0 {
			t := h.pop()
			if lab[t.c] >= 0 {
				continue
			}
			lab[t.c] = t.l
			s := seeds[t.l]
			for _, m := range adj[t.c] {
				if lab[m] < 0 {
					dx, dy := x[m]-x[s], y[m]-y[s]
					h.push(heapItem{dx*dx + dy*dy, m, t.l, 0})
				}
			}
		}
		if it == iters {
			return lab
		}
		sx := make([]float64, k)
		sy := make([]float64, k)
		sw := make([]float64, k)
		for i := range n {
			l := lab[i]
			sx[l] += w[i] * x[i]
			sy[l] += w[i] * y[i]
			sw[l] += w[i]
		}
		for l := range k {
			cx, cy := sx[l]/sw[l], sy[l]/sw[l]
			best, bd := seeds[l], math.Inf(1)
			for i := range n {
				if lab[i] != int32(l) {
					continue
				}
				if d := (x[i]-cx)*(x[i]-cx) + (y[i]-cy)*(y[i]-cy); d < bd {
					best, bd = int32(i), d
				}
			}
			seeds[l] = best
		}
	}
}

// housingProjects adds recent and planned housing developments.
func (g *gen) housingProjects(r *rand.Rand) {
	names := newNamer(g.rng(8))
	suffix := []string{"花园", "雅苑", "人才安居苑", "公馆", "新城", "家园"}
	var cand []int
	var w []float64
	for gi, u := range g.grids {
		if u.res > 0 {
			cand = append(cand, gi)
			w = append(w, float64(len(u.cells)))
		}
	}
	used := make([]bool, len(g.grids))
	for i := range 15 {
		gi := pick(r, cand, w)
		for used[gi] {
			gi = pick(r, cand, w)
		}
		used[gi] = true
		u := g.grids[gi]
		year := 2022 + i // 6 done (2022–2026), 9 planned (2027–2030)
		if year > demoYear {
			year = demoYear + 1 + (i-5)%4
		}
		dw := map[string]int{"commodity": 200 + 50*r.IntN(33)}
		if r.Float64() < 0.7 {
			dw["affordable"] = 100 + 50*r.IntN(15)
		}
		if r.Float64() < 0.5 {
			dw["rental"] = 100 + 50*r.IntN(11)
		}
		zh, _ := names.place()
		best, bd := u.cells[0], math.Inf(1)
		for _, c := range u.cells {
			x, y := cellCentre(int(c))
			if d := math.Hypot(x-u.cx, y-u.cy); d < bd && g.zone[c] != zWater {
				best, bd = c, d
			}
		}
		p := ll(cellCentre(int(best)))
		g.housing = append(g.housing, data.HousingProject{
			ID: int64(i + 1), Name: zh + suffix[r.IntN(len(suffix))], Grid: u.code,
			Lon: round(p[0], 6), Lat: round(p[1], 6), Dwellings: dw, Completion: year,
		})
	}
}

// catchmentFeatures builds the catchments layer: the union of each
// catchment's grids.
func (g *gen) catchmentFeatures() []layers.Feature {
	lab := make([]int32, nx*ny)
	jl := make([]int32, nx*ny)
	for c := range lab {
		lab[c], jl[c] = -1, -1
		if gi := g.gridOf[c]; gi >= 0 {
			lab[c] = g.primOf[gi]
			jl[c] = g.junOf[g.primOf[gi]]
		}
	}
	var fs []layers.Feature
	for i, mp := range append(outlines(lab, g.nPrim), outlines(jl, g.nJun)...) {
		row := g.catchRows[i]
		fs = append(fs, layers.Feature{ID: int64(i + 1), Geometry: mp, Properties: map[string]any{
			"code": row.Code, "name": g.schoolNames[i] + "学区", "level": row.Level, "school_id": row.SchoolID,
		}})
	}
	return fs
}
