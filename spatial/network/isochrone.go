package network

import (
	"math"

	"github.com/paulmach/orb"
)

// Isochrone is the drive-time area of one source: a polygon that contains
// every road point reachable within the limit.
//
// The reachable road pieces are rasterised on a square grid of Cell metres:
// every sample (at most Cell/4 apart) marks its cell and the eight around
// it, so each road point lies at least ¾ Cell inside the marked area; holes
// are filled, and the outline of the marked cells is traced into one ring.
// Filling holes keeps nesting: if the pieces of limit a lie inside those of
// limit b ≥ a, the polygon of a lies inside that of b.
type Isochrone struct {
	Polygon orb.Polygon
	Seconds float64
	Cell    float64 // raster cell size, metres
	Source  Snap
}

// DefaultCell is the raster cell of isochrones, metres.
const DefaultCell = 30.0

// Isochrone returns the area reachable from src within seconds of driving.
// cell ≤ 0 means DefaultCell.
func (g *Graph) Isochrone(src Snap, seconds, cell float64, blocked *Blocked) Isochrone {
	if cell <= 0 {
		cell = DefaultCell
	}
	iso := Isochrone{Seconds: seconds, Cell: cell, Source: src}
	var pts [][2]float64
	step := cell / 4
	g.Forward([]Snap{src}, Time, seconds, blocked, func(t *Tree) {
		t.Pieces(func(a, b orb.Point) {
			pa, pb := g.proj.xy(a), g.proj.xy(b)
			l := math.Hypot(pb[0]-pa[0], pb[1]-pa[1])
			k := int(math.Ceil(l / step))
			for i := 0; i <= k; i++ {
				f := 0.0
				if k > 0 {
					f = float64(i) / float64(k)
				}
				pts = append(pts, [2]float64{pa[0] + (pb[0]-pa[0])*f, pa[1] + (pb[1]-pa[1])*f})
			}
		})
	})
	sp := g.proj.xy(src.Point)
	pts = append(pts, sp)
	iso.Polygon = outline(pts, cell, g.proj)
	return iso
}

// outline marks the cells around pts, fills holes and traces the outer
// boundary as a counter-clockwise ring in lon/lat.
func outline(pts [][2]float64, cell float64, proj projection) orb.Polygon {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		minX, minY = math.Min(minX, p[0]), math.Min(minY, p[1])
		maxX, maxY = math.Max(maxX, p[0]), math.Max(maxY, p[1])
	}
	// Origin aligned to the cell grid so that rasters of nested limits
	// from one source share cells.
	ox := (math.Floor(minX/cell) - 2) * cell
	oy := (math.Floor(minY/cell) - 2) * cell
	w := int(math.Floor((maxX-ox)/cell)) + 3
	h := int(math.Floor((maxY-oy)/cell)) + 3
	grid := make([]uint8, w*h) // 0 empty, 1 marked, 2 exterior
	for _, p := range pts {
		cx := int(math.Floor((p[0] - ox) / cell))
		cy := int(math.Floor((p[1] - oy) / cell))
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				grid[(cy+dy)*w+cx+dx] = 1
			}
		}
	}
	// Flood the exterior from the border (4-connected).
	stack := []int{0}
	grid[0] = 2
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := c%w, c/w
		try := func(nx, ny int) {
			if nx < 0 || ny < 0 || nx >= w || ny >= h {
				return
			}
			if i := ny*w + nx; grid[i] == 0 {
				grid[i] = 2
				stack = append(stack, i)
			}
		}
		try(x-1, y)
		try(x+1, y)
		try(x, y-1)
		try(x, y+1)
	}
	filled := func(x, y int) bool {
		return x >= 0 && y >= 0 && x < w && y < h && grid[y*w+x] != 2
	}
	// Directed boundary edges with the filled cell on the left, keyed by
	// their start vertex on the (w+1)×(h+1) lattice.
	vw := w + 1
	next := map[int][]int{}
	add := func(x0, y0, x1, y1 int) {
		next[y0*vw+x0] = append(next[y0*vw+x0], y1*vw+x1)
	}
	start := -1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if !filled(x, y) {
				continue
			}
			if !filled(x, y-1) {
				add(x, y, x+1, y)
				if start < 0 {
					start = y*vw + x
				}
			}
			if !filled(x+1, y) {
				add(x+1, y, x+1, y+1)
			}
			if !filled(x, y+1) {
				add(x+1, y+1, x, y+1)
			}
			if !filled(x-1, y) {
				add(x, y+1, x, y)
			}
		}
	}
	if start < 0 {
		return nil
	}
	// Trace: at a vertex with two ways on, turn right, which walks round
	// the 8-connected outline of the filled cells.
	var ring orb.Ring
	cur := start
	pdx, pdy := 1, 0
	for guard := 0; guard < 4*w*h+8; guard++ {
		x, y := cur%vw, cur/vw
		ring = append(ring, proj.lonlat(ox+float64(x)*cell, oy+float64(y)*cell))
		outs := next[cur]
		if len(outs) == 0 {
			break
		}
		pick := 0
		if len(outs) > 1 {
			rdx, rdy := pdy, -pdx // right turn of the incoming direction
			for i, o := range outs {
				if o%vw-x == rdx && o/vw-y == rdy {
					pick = i
				}
			}
		}
		nxt := outs[pick]
		outs[pick] = outs[len(outs)-1]
		next[cur] = outs[:len(outs)-1]
		pdx, pdy = nxt%vw-x, nxt/vw-y
		cur = nxt
		if cur == start {
			break
		}
	}
	ring = append(ring, ring[0])
	return orb.Polygon{simplifyCollinear(ring)}
}

// simplifyCollinear drops vertices in the middle of straight runs.
func simplifyCollinear(r orb.Ring) orb.Ring {
	if len(r) < 4 {
		return r
	}
	out := orb.Ring{r[0]}
	for i := 1; i < len(r)-1; i++ {
		a, b, c := out[len(out)-1], r[i], r[i+1]
		if (b[0]-a[0])*(c[1]-a[1])-(b[1]-a[1])*(c[0]-a[0]) == 0 {
			continue
		}
		out = append(out, b)
	}
	out = append(out, r[len(r)-1])
	return out
}
