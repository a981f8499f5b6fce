package main

import (
	"os"
	"testing"

	"golang.org/x/image/font/sfnt"
)

// TestSDF checks the field of "I" against what an SDF must be: inside the
// stem above the edge value, well outside it near zero, and the width and
// metrics those of the glyph at 24 px.
func TestSDF(t *testing.T) {
	raw, err := os.ReadFile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
	if err != nil {
		t.Skipf("DejaVu Sans not installed (Debian fonts-dejavu-core): %v", err)
	}
	f, err := sfnt.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var buf sfnt.Buffer
	idx, err := f.GlyphIndex(&buf, 'I')
	if err != nil {
		t.Fatal(err)
	}
	g, err := render(f, &buf, idx)
	if err != nil {
		t.Fatal(err)
	}
	W := g.width + 2*border
	if len(g.bitmap) != W*(g.height+2*border) {
		t.Fatalf("bitmap %d bytes for %dx%d", len(g.bitmap), g.width, g.height)
	}
	// DejaVu's I: a vertical stem ~2.3 px wide, cap height ~17.5 px.
	if g.height < 17 || g.height > 19 || g.width < 2 || g.width > 4 {
		t.Errorf("I is %dx%d px, want about 3x18", g.width, g.height)
	}
	mid := (border+g.height/2)*W + border + g.width/2
	if g.bitmap[mid] <= 192 {
		t.Errorf("inside the stem the field is %d, want > 192 (the edge)", g.bitmap[mid])
	}
	if corner := g.bitmap[0]; corner >= 150 {
		t.Errorf("3 px outside the glyph the field is %d, want well below the edge", corner)
	}
	if g.top > -5 || g.top < -15 {
		t.Errorf("top %d: want the cap top ~10 px above MapLibre's glyph origin", g.top)
	}
}
