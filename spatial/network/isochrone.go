package network

import (
	"math"

	"github.com/paulmach/orb"
)

// Isochrone is the drive-time area of one source: a polygon that contains
// every road point reachable within the limit.
//
// The reachable road pieces are rasterised on a square grid of Cell metres:
// every sample (at most Cell/2 apart) marks its cell and the eight around
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
	sp := g.proj.xy(src.Point)
	pieces := [][2][2]float64{{sp, sp}}
	g.Forward([]Snap{src}, Time, seconds, blocked, func(t *Tree) {
		t.Pieces(func(a, b orb.Point) {
			pieces = append(pieces, [2][2]float64{g.proj.xy(a), g.proj.xy(b)})
		})
	})
	iso.Polygon = outline(pieces, cell, g.proj)
	return iso
}

// outline marks the cells around the pieces, fills holes and traces the
// outer boundary as a counter-clockwise ring in lon/lat.
func outline(pieces [][2][2]float64, cell float64, proj projection) orb.Polygon {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, pc := range pieces {
		for _, p := range pc {
			minX, minY = math.Min(minX, p[0]), math.Min(minY, p[1])
			maxX, maxY = math.Max(maxX, p[0]), math.Max(maxY, p[1])
		}
	}
	// Origin aligned to the cell grid so that rasters of nested limits
	// from one source share cells.
	ox := (math.Floor(minX/cell) - 2) * cell
	oy := (math.Floor(minY/cell) - 2) * cell
	w := int(math.Floor((maxX-ox)/cell)) + 3
	h := int(math.Floor((maxY-oy)/cell)) + 3
	grid := make([]uint8, w*h) // 0 empty, 1 marked, 2 exterior
	mark := func(x, y float64) {
		cx := int((x - ox) / cell)
		cy := int((y - oy) / cell)
		for dy := -1; dy <= 1; dy++ {
			row := (cy + dy) * w
			grid[row+cx-1], grid[row+cx], grid[row+cx+1] = 1, 1, 1
		}
	}
	// Samples at most cell/2 apart: every point of a piece is within
	// cell/4 of a sample, hence at least ¾ cell inside the sample's 3×3
	// block.
	step := cell / 2
	for _, pc := range pieces {
		a, b := pc[0], pc[1]
		k := int(math.Ceil(math.Hypot(b[0]-a[0], b[1]-a[1]) / step))
		mark(a[0], a[1])
		for i := 1; i <= k; i++ {
			f := float64(i) / float64(k)
			mark(a[0]+(b[0]-a[0])*f, a[1]+(b[1]-a[1])*f)
		}
	}
	// Flood the exterior from the border (4-connected).
	stack := []int32{0}
	grid[0] = 2
	for len(stack) > 0 {
		c := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		x, y := c%w, c/w
		if x > 0 && grid[c-1] == 0 {
			grid[c-1] = 2
			stack = append(stack, int32(c-1))
		}
		if x+1 < w && grid[c+1] == 0 {
			grid[c+1] = 2
			stack = append(stack, int32(c+1))
		}
		if y > 0 && grid[c-w] == 0 {
			grid[c-w] = 2
			stack = append(stack, int32(c-w))
		}
		if y+1 < h && grid[c+w] == 0 {
			grid[c+w] = 2
			stack = append(stack, int32(c+w))
		}
	}
	filled := func(x, y int) bool {
		return x >= 0 && y >= 0 && x < w && y < h && grid[y*w+x] != 2
	}
	// Directed boundary edges with the filled cell on the left, by start
	// vertex on the (w+1)×(h+1) lattice; a vertex has at most two.
	vw := w + 1
	outs := make([][2]int32, vw*(h+1))
	for i := range outs {
		outs[i] = [2]int32{-1, -1}
	}
	add := func(x0, y0, x1, y1 int) {
		o := &outs[y0*vw+x0]
		if o[0] < 0 {
			o[0] = int32(y1*vw + x1)
		} else {
			o[1] = int32(y1*vw + x1)
		}
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
	for guard := 0; guard < 4*vw*(h+1); guard++ {
		x, y := cur%vw, cur/vw
		o := &outs[cur]
		pick := 0
		if o[0] < 0 {
			pick = 1
		}
		if o[pick] < 0 {
			break
		}
		if o[0] >= 0 && o[1] >= 0 {
			rdx, rdy := pdy, -pdx // right turn of the incoming direction
			if int(o[1])%vw-x == rdx && int(o[1])/vw-y == rdy {
				pick = 1
			}
		}
		nxt := int(o[pick])
		o[pick] = -1
		ndx, ndy := nxt%vw-x, nxt/vw-y
		if ndx != pdx || ndy != pdy || len(ring) == 0 { // keep corners only
			ring = append(ring, proj.lonlat(ox+float64(x)*cell, oy+float64(y)*cell))
		}
		pdx, pdy = ndx, ndy
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
