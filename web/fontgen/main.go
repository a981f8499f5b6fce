// Command fontgen writes the signed-distance-field glyph PBFs that onemap
// serves at /fonts/{fontstack}/{range}.pbf, so that the one-map page draws
// Latin labels without any glyph server on the network. CJK labels are drawn
// by MapLibre from the browser's local fonts (localIdeographFontFamily).
//
// It is its own module (web/fontgen/go.mod) so that golang.org/x/image is a
// build-time tool dependency only; onemap embeds the generated files.
//
//	cd web/fontgen && go run . -font /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf -out ../static/fonts/dejavu-sans
//
// The format is the one node-fontnik writes and MapLibre reads: a "glyphs"
// message holding one "fontstack" (name, range) of "glyph" messages (id,
// bitmap, width, height, left, top, advance), each bitmap being the
// (width+6)×(height+6) SDF of the glyph at 24 px with a 3 px border,
// radius 8 and cutoff 0.25 (the parameters of TinySDF and fontnik).
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"log"
	"math"
	"os"
	"path/filepath"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

const (
	size   = 24   // px per em, as MapLibre expects
	border = 3    // GLYPH_PBF_BORDER
	radius = 8.0  // SDF radius in px
	cutoff = 0.25 // where the edge sits in the 0..1 range
	// topAdjust puts the glyph's top relative to the origin MapLibre expects
	// of server glyphs; it matches MapLibre's TinySDF adjustment (27.5) so
	// Latin from here and CJK drawn locally share a baseline.
	topAdjust = 27
	// inf is TinySDF's stand-in for an infinite squared distance.
	inf = 1e20
)

func main() {
	fontPath := flag.String("font", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "TrueType font to render")
	out := flag.String("out", "../static/fonts/dejavu-sans", "output directory")
	name := flag.String("name", "DejaVu Sans Book", "fontstack name written into the PBFs")
	flag.Parse()
	raw, err := os.ReadFile(*fontPath)
	if err != nil {
		log.Fatal(err)
	}
	f, err := sfnt.Parse(raw)
	if err != nil {
		log.Fatalf("%s: %v", *fontPath, err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	// Basic Latin and Latin-1, Latin Extended-A (pinyin tone marks),
	// general punctuation, letter-like symbols and arrows, mathematical
	// operators: what names, codes and units on our labels use.
	for _, start := range []int{0, 256, 8192, 8448, 8704} {
		pbf, n, err := rangePBF(f, *name, start)
		if err != nil {
			log.Fatal(err)
		}
		p := filepath.Join(*out, fmt.Sprintf("%d-%d.pbf", start, start+255))
		if err := os.WriteFile(p, pbf, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d glyphs, %d bytes\n", p, n, len(pbf))
	}
}

// rangePBF renders the 256 code points from start and encodes them.
func rangePBF(f *sfnt.Font, name string, start int) ([]byte, int, error) {
	var buf sfnt.Buffer
	var stack []byte
	stack = appendBytes(stack, 1, []byte(name))
	stack = appendBytes(stack, 2, []byte(fmt.Sprintf("%d-%d", start, start+255)))
	n := 0
	for r := start; r < start+256; r++ {
		idx, err := f.GlyphIndex(&buf, rune(r))
		if err != nil {
			return nil, 0, fmt.Errorf("glyph index %U: %w", r, err)
		}
		if idx == 0 {
			continue // not in the font
		}
		g, err := render(f, &buf, idx)
		if err != nil {
			return nil, 0, fmt.Errorf("render %U: %w", r, err)
		}
		var m []byte
		m = appendVarint(m, 1, uint64(r))
		if len(g.bitmap) > 0 {
			m = appendBytes(m, 2, g.bitmap)
		}
		m = appendVarint(m, 3, uint64(g.width))
		m = appendVarint(m, 4, uint64(g.height))
		m = appendVarint(m, 5, zigzag(g.left))
		m = appendVarint(m, 6, zigzag(g.top))
		m = appendVarint(m, 7, uint64(g.advance))
		stack = appendBytes(stack, 3, m)
		n++
	}
	return appendBytes(nil, 1, stack), n, nil
}

type glyph struct {
	bitmap             []byte
	width, height      int
	left, top, advance int
}

func render(f *sfnt.Font, buf *sfnt.Buffer, idx sfnt.GlyphIndex) (glyph, error) {
	ppem := fixed.I(size)
	adv, err := f.GlyphAdvance(buf, idx, ppem, font.HintingNone)
	if err != nil {
		return glyph{}, err
	}
	segs, err := f.LoadGlyph(buf, idx, ppem, nil)
	if err != nil {
		return glyph{}, err
	}
	g := glyph{advance: adv.Round()}
	if len(segs) == 0 {
		return g, nil // a space
	}
	b := segs.Bounds() // y grows downwards
	x0, y0 := b.Min.X.Floor(), b.Min.Y.Floor()
	x1, y1 := b.Max.X.Ceil(), b.Max.Y.Ceil()
	g.width, g.height = x1-x0, y1-y0
	g.left = x0
	g.top = -y0 - topAdjust
	if g.width <= 0 || g.height <= 0 {
		g.width, g.height = 0, 0
		return g, nil
	}
	ras := vector.NewRasterizer(g.width, g.height)
	dx, dy := float32(-x0), float32(-y0)
	pt := func(p fixed.Point26_6) (float32, float32) {
		return float32(p.X)/64 + dx, float32(p.Y)/64 + dy
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			ras.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			ras.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			ax, ay := pt(s.Args[0])
			bx, by := pt(s.Args[1])
			ras.QuadTo(ax, ay, bx, by)
		case sfnt.SegmentOpCubeTo:
			ax, ay := pt(s.Args[0])
			bx, by := pt(s.Args[1])
			cx, cy := pt(s.Args[2])
			ras.CubeTo(ax, ay, bx, by, cx, cy)
		}
	}
	ras.ClosePath()
	mask := image.NewAlpha(image.Rect(0, 0, g.width, g.height))
	ras.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	g.bitmap = sdf(mask, g.width, g.height)
	return g, nil
}

// sdf turns a coverage mask into the bordered signed distance field the
// way TinySDF does: exact zero/inf seeds for full and empty pixels, a
// sub-pixel offset for partly covered ones, then a 2-D Euclidean distance
// transform (Felzenszwalb & Huttenlocher) of the outside and the inside.
func sdf(mask *image.Alpha, w, h int) []byte {
	W, H := w+2*border, h+2*border
	outer := make([]float64, W*H)
	inner := make([]float64, W*H)
	for i := range outer {
		outer[i] = inf
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := float64(mask.AlphaAt(x, y).A) / 255
			if a == 0 {
				continue
			}
			j := (y+border)*W + x + border
			if a == 1 {
				outer[j], inner[j] = 0, inf
				continue
			}
			d := 0.5 - a
			if d > 0 {
				outer[j] = d * d
			} else {
				outer[j] = 0
			}
			if d < 0 {
				inner[j] = d * d
			} else {
				inner[j] = 0
			}
		}
	}
	edt(outer, W, H)
	edt(inner, W, H)
	out := make([]byte, W*H)
	for i := range out {
		d := math.Sqrt(outer[i]) - math.Sqrt(inner[i])
		v := math.Round(255 - 255*(d/radius+cutoff))
		out[i] = byte(max(0, min(255, v)))
	}
	return out
}

// edt replaces squared seed distances with squared distances to the nearest
// seed, columns first then rows.
func edt(grid []float64, w, h int) {
	n := max(w, h)
	f := make([]float64, n)
	v := make([]int, n)
	z := make([]float64, n+1)
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			f[y] = grid[y*w+x]
		}
		d := edt1(f[:h], v, z)
		for y := 0; y < h; y++ {
			grid[y*w+x] = d[y]
		}
	}
	for y := 0; y < h; y++ {
		copy(f, grid[y*w:(y+1)*w])
		d := edt1(f[:w], v, z)
		copy(grid[y*w:(y+1)*w], d)
	}
}

// edt1 is the 1-D squared distance transform of f (lower envelope of
// parabolas), as TinySDF writes it; "infinity" is the finite inf so the
// arithmetic never produces NaN.
func edt1(f []float64, v []int, z []float64) []float64 {
	n := len(f)
	d := make([]float64, n)
	v[0], z[0], z[1] = 0, -inf, inf
	k := 0
	for q := 1; q < n; q++ {
		var s float64
		for {
			r := v[k]
			s = (f[q] - f[r] + float64(q*q-r*r)) / float64(q-r) / 2
			if s <= z[k] {
				k--
				if k > -1 {
					continue
				}
			}
			break
		}
		k++
		v[k], z[k], z[k+1] = q, s, inf
	}
	k = 0
	for q := 0; q < n; q++ {
		for z[k+1] < float64(q) {
			k++
		}
		r := v[k]
		d[q] = f[r] + float64((q-r)*(q-r))
	}
	return d
}

func zigzag(v int) uint64 { return uint64((int64(v) << 1) ^ (int64(v) >> 63)) }

func appendVarint(b []byte, field int, v uint64) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3) // wire type 0
	return binary.AppendUvarint(b, v)
}

func appendBytes(b []byte, field int, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}
