package demo

import (
	"cmp"
	"math"
	"slices"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// zone is the land use of a cell.
type zone uint8

const (
	zOut zone = iota
	zWater
	zPark
	zResidential
	zVillage // dense "urban village" housing
	zCommercial
	zIndustrial
)

const (
	boxW = nx * cellW
	boxH = ny * cellH
	// targetArea is the district's area in m² (Futian: 78.66 km²).
	targetArea = 78.66e6
)

type ellipse struct{ x, y, rx, ry float64 }

func (e ellipse) in(x, y float64) bool { return e.d2(x, y) < 1 }

func (e ellipse) d2(x, y float64) float64 {
	dx, dy := (x-e.x)/e.rx, (y-e.y)/e.ry
	return dx*dx + dy*dy
}

// landShape is the smooth geography the raster is sampled from.
type landShape struct {
	cx, cy           float64
	a                [6]float64 // phases
	lotus, hill, rsv ellipse
	cbd, hqb         ellipse
	ind              []ellipse
	villages         []ellipse
	centres          []ellipse // residential density peaks
	noise            [4]float64
	coastA, riverA   [4]float64
}

// coastY is the y of the shoreline of the bay at x.
func (s *landShape) coastY(x float64) float64 {
	return 1100 + 300*math.Sin(x/1900+s.coastA[0]) + 160*math.Sin(x/650+s.coastA[1])
}

// riverX is the x of the river's centre line at y, and riverHW its half width.
func (s *landShape) riverX(y float64) float64 {
	return 0.58*boxW + 260*math.Sin(y/1100+s.riverA[0]) + 120*math.Sin(y/420+s.riverA[1])
}

func (s *landShape) riverHW(y float64) float64 {
	return 18 + 25*math.Min(1, math.Max(0, (2600-y)/2600))
}

// riverDist is the approximate distance from (x, y) to the river's bank
// (negative inside the river).
func (s *landShape) riverDist(x, y float64) float64 {
	return math.Abs(x-s.riverX(y)) - s.riverHW(y)
}

// starRatio is how far out (x, y) lies in the outline's star shape: the
// outline scaled by k holds the points whose ratio is below k. Points in or
// by the bay are infinitely far.
func (s *landShape) starRatio(x, y float64) float64 {
	if y <= s.coastY(x)+40 {
		return math.Inf(1)
	}
	rx, ry := (x-s.cx)/(0.5*boxW), (y-s.cy)/(0.5*boxH)
	th := math.Atan2(ry, rx)
	r := 1 + 0.1*math.Sin(2*th+s.a[0]) + 0.08*math.Sin(3*th+s.a[1]) + 0.05*math.Sin(5*th+s.a[2]) + 0.03*math.Sin(7*th+s.a[5])
	return math.Hypot(rx, ry) / r
}

func (s *landShape) smooth(x, y float64) float64 {
	return 0.15*math.Sin(x/530+s.noise[0])*math.Sin(y/610+s.noise[1]) + 0.1*math.Sin((x+y)/400+s.noise[2]) + 0.06*math.Sin((x-2*y)/260+s.noise[3])
}

// land samples the geography: the district outline, land use, densities,
// elevation and the water layer.
func (g *gen) land() {
	r := g.rng(1)
	s := &g.shape
	for i := range s.a {
		s.a[i] = r.Float64() * 2 * math.Pi
	}
	for i := range s.noise {
		s.noise[i] = r.Float64() * 2 * math.Pi
		s.coastA[i] = r.Float64() * 2 * math.Pi
		s.riverA[i] = r.Float64() * 2 * math.Pi
	}
	j := func(v, d float64) float64 { return v + (r.Float64()*2-1)*d }
	s.cx, s.cy = j(0.5*boxW, 150), j(0.56*boxH, 150)
	s.lotus = ellipse{j(0.42*boxW, 200), j(0.74*boxH, 150), 700, 550}
	s.rsv = ellipse{j(0.78*boxW, 150), j(0.84*boxH, 100), 420, 260}
	s.hill = ellipse{s.rsv.x + 60, s.rsv.y + 40, 950, 680}
	s.cbd = ellipse{j(0.40*boxW, 200), j(0.40*boxH, 150), 1100, 600}
	s.hqb = ellipse{j(0.80*boxW, 150), j(0.55*boxH, 150), 650, 500}
	s.ind = []ellipse{{j(0.14*boxW, 150), j(0.50*boxH, 200), 750, 520}, {j(0.88*boxW, 150), j(0.30*boxH, 150), 600, 450}}
	for range 7 {
		s.villages = append(s.villages, ellipse{j(0.5*boxW, 0.4*boxW), j(0.5*boxH, 0.35*boxH), j(300, 80), j(260, 70)})
	}
	for range 4 {
		s.centres = append(s.centres, ellipse{j(0.5*boxW, 0.35*boxW), j(0.55*boxH, 0.3*boxH), j(1400, 300), j(1200, 300)})
	}

	// row areas
	g.cellA = make([]float64, ny)
	for iy := range ny {
		g.cellA[iy] = geo.Area(orb.Polygon{{corner(0, iy), corner(1, iy), corner(1, iy+1), corner(0, iy+1), corner(0, iy)}})
	}
	// scale the outline to the target area
	// the outline scaled so it holds targetArea: take cells in order of
	// their scale ratio until the area is reached.
	type cr struct {
		c int
		q float64
	}
	rs := make([]cr, nx*ny)
	for c := range rs {
		x, y := cellCentre(c)
		rs[c] = cr{c, s.starRatio(x, y)}
	}
	slices.SortFunc(rs, func(a, b cr) int {
		if c := cmp.Compare(a.q, b.q); c != 0 {
			return c
		}
		return cmp.Compare(a.c, b.c)
	})
	g.inD = make([]bool, nx*ny)
	area := 0.0
	for _, v := range rs {
		if area >= targetArea || math.IsInf(v.q, 1) {
			break
		}
		g.inD[v.c] = true
		area += g.cellA[v.c/nx]
	}
	keepLargestComponent(g.inD)
	fillHoles(g.inD)

	g.zone = make([]zone, nx*ny)
	g.dens = make([]float64, nx*ny)
	g.flo = make([]float64, nx*ny)
	g.jobsW = make([]float64, nx*ny)
	g.elev = make([]float64, nx*ny)
	for c := range nx * ny {
		x, y := cellCentre(c)
		cy := s.coastY(x)
		rd := s.riverDist(x, y)
		e := 1.2 + 32*math.Max(0, y-cy)/boxH + 70*math.Exp(-s.hill.d2(x, y)) + 45*math.Exp(-s.lotus.d2(x, y)*1.5) + 2*s.smooth(x, y)
		e -= 2.5 * math.Exp(-(rd*rd)/(350*350))
		g.elev[c] = e
		if !g.inD[c] {
			continue
		}
		g.nIn++
		n := 1 + s.smooth(x, y)
		z := zResidential
		switch {
		case rd < 0 || s.rsv.in(x, y):
			z = zWater
		case s.lotus.in(x, y) || s.hill.in(x, y) || y < cy+200 || rd < 45:
			z = zPark
		case s.cbd.in(x, y) || s.hqb.in(x, y):
			z = zCommercial
		case s.ind[0].in(x, y) || s.ind[1].in(x, y):
			z = zIndustrial
		default:
			for _, v := range s.villages {
				if v.in(x, y) {
					z = zVillage
				}
			}
		}
		g.zone[c] = z
		peak := 0.0
		for _, ce := range s.centres {
			peak += math.Exp(-ce.d2(x, y))
		}
		var d, f, jb float64
		switch z {
		case zResidential:
			d = (1 + 1.3*peak) * n
			f, jb = 0.22*d, 0.6*n
		case zVillage:
			d = 3.6 * n
			f, jb = 1.0*d, 1.2*n
		case zCommercial:
			d = 0.35 * n
			f, jb = 0.5*d, 9*n
		case zIndustrial:
			d = 0.12 * n
			f, jb = 3.0*d, 4.5*n
		case zPark:
			jb = 0.05
		}
		g.dens[c], g.flo[c], g.jobsW[c] = d, f, jb
	}
	g.water()
}

// keepLargestComponent clears every cell outside the largest 4-connected
// component of in.
func keepLargestComponent(in []bool) {
	comp := make([]int32, len(in))
	for i := range comp {
		comp[i] = -1
	}
	best, bestN := int32(-1), 0
	var stack []int
	id := int32(0)
	for c := range in {
		if !in[c] || comp[c] >= 0 {
			continue
		}
		n := 0
		stack = append(stack[:0], c)
		comp[c] = id
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			for _, m := range neighbours4(k) {
				if m >= 0 && in[m] && comp[m] < 0 {
					comp[m] = id
					stack = append(stack, m)
				}
			}
		}
		if n > bestN {
			best, bestN = id, n
		}
		id++
	}
	for c := range in {
		in[c] = in[c] && comp[c] == best
	}
}

// fillHoles sets every cell not 4-connected to the raster's border through
// unset cells.
func fillHoles(in []bool) {
	outside := make([]bool, len(in))
	var stack []int
	for c := range in {
		ix, iy := c%nx, c/nx
		if !in[c] && (ix == 0 || iy == 0 || ix == nx-1 || iy == ny-1) {
			outside[c] = true
			stack = append(stack, c)
		}
	}
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range neighbours4(k) {
			if m >= 0 && !in[m] && !outside[m] {
				outside[m] = true
				stack = append(stack, m)
			}
		}
	}
	for c := range in {
		in[c] = !outside[c]
	}
}

// neighbours4 lists the 4 neighbours of cell c (-1 beyond the raster).
func neighbours4(c int) [4]int {
	ix, iy := c%nx, c/nx
	n := [4]int{-1, -1, -1, -1}
	if ix > 0 {
		n[0] = c - 1
	}
	if ix < nx-1 {
		n[1] = c + 1
	}
	if iy > 0 {
		n[2] = c - nx
	}
	if iy < ny-1 {
		n[3] = c + nx
	}
	return n
}

// ccw returns r closed and counter-clockwise.
func ccw(r orb.Ring) orb.Ring {
	if !r.Closed() {
		r = append(r, r[0])
	}
	if r.Orientation() == orb.CW {
		r.Reverse()
	}
	return r
}

// water builds the water layer: the bay south of the coast, the river
// crossing the district into it, and a reservoir in the hills.
func (g *gen) water() {
	s := &g.shape
	var bay orb.Ring
	for x := -600.0; x <= boxW+600; x += 100 {
		bay = append(bay, ll(x, s.coastY(x)))
	}
	bay = append(bay, ll(boxW+600, -2500), ll(-600, -2500))
	var east, west orb.Ring
	for y := s.coastY(s.riverX(0)) - 400; y <= boxH+300; y += 40 {
		xr, hw := s.riverX(y), s.riverHW(y)
		east = append(east, ll(xr+hw, y))
		west = append(west, ll(xr-hw, y))
	}
	river := append(orb.Ring{}, east...)
	for i := len(west) - 1; i >= 0; i-- {
		river = append(river, west[i])
	}
	var rsv orb.Ring
	for k := range 48 {
		th := float64(k) / 48 * 2 * math.Pi
		f := 1 + 0.12*math.Sin(3*th+s.a[3]) + 0.07*math.Sin(5*th+s.a[4])
		rsv = append(rsv, ll(s.rsv.x+s.rsv.rx*f*math.Cos(th), s.rsv.y+s.rsv.ry*f*math.Sin(th)))
	}
	mk := func(id int64, r orb.Ring, name, kind string) layers.Feature {
		return layers.Feature{ID: id, Geometry: orb.MultiPolygon{{ccw(r)}}, Properties: map[string]any{"name": name, "kind": kind}}
	}
	g.layers[layers.Water] = []layers.Feature{
		mk(1, bay, "深圳湾", "bay"),
		mk(2, river, "新洲河", "river"),
		mk(3, rsv, "笔架山水库", "reservoir"),
	}
}
