package cql

import (
	"errors"
	"testing"

	"github.com/paulmach/orb"
)

var testQ = Queryables{"name": String, "class": String, "risk": Number, "open": Boolean, "geometry": Geometry, "note": String}

func TestTextAndJSONAgree(t *testing.T) {
	props := map[string]any{"name": "Hazard 7", "class": "industrial", "risk": int64(3), "open": true}
	pt := orb.Point{114.02, 22.55}
	for _, tc := range []struct {
		text, json string
		want       bool
	}{
		{`risk = 3`, `{"op":"=","args":[{"property":"risk"},3]}`, true},
		{`risk <> 3`, `{"op":"<>","args":[{"property":"risk"},3]}`, false},
		{`risk >= 2 AND risk < 4`, `{"op":"and","args":[{"op":">=","args":[{"property":"risk"},2]},{"op":"<","args":[{"property":"risk"},4]}]}`, true},
		{`class = 'crowded' OR open = TRUE`, `{"op":"or","args":[{"op":"=","args":[{"property":"class"},"crowded"]},{"op":"=","args":[{"property":"open"},true]}]}`, true},
		{`NOT (class = 'industrial')`, `{"op":"not","args":[{"op":"=","args":[{"property":"class"},"industrial"]}]}`, false},
		{`name LIKE 'Haz%'`, `{"op":"like","args":[{"property":"name"},"Haz%"]}`, true},
		{`name LIKE 'haz%'`, `{"op":"like","args":[{"property":"name"},"haz%"]}`, false},
		{`name NOT LIKE '%_7'`, `{"op":"not","args":[{"op":"like","args":[{"property":"name"},"%_7"]}]}`, false},
		{`risk IN (1, 3, 5)`, `{"op":"in","args":[{"property":"risk"},[1,3,5]]}`, true},
		{`class NOT IN ('a', 'b')`, `{"op":"not","args":[{"op":"in","args":[{"property":"class"},["a","b"]]}]}`, true},
		{`risk BETWEEN 3 AND 4`, `{"op":"between","args":[{"property":"risk"},3,4]}`, true},
		{`risk NOT BETWEEN 1 AND 2`, `{"op":"not","args":[{"op":"between","args":[{"property":"risk"},1,2]}]}`, true},
		{`note IS NULL`, `{"op":"isNull","args":[{"property":"note"}]}`, true},
		{`note = 'x'`, `{"op":"=","args":[{"property":"note"},"x"]}`, false},
		{`NOT (note = 'x')`, `{"op":"not","args":[{"op":"=","args":[{"property":"note"},"x"]}]}`, false}, // unknown stays unknown
		{`S_INTERSECTS(geometry, POLYGON((114 22.5, 114.05 22.5, 114.05 22.6, 114 22.6, 114 22.5)))`,
			`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[114,22.5],[114.05,22.5],[114.05,22.6],[114,22.6],[114,22.5]]]}]}`, true},
		{`S_INTERSECTS(geometry, BBOX(114.03, 22.5, 114.05, 22.6))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[114.03,22.5,114.05,22.6]}]}`, false},
		{`S_WITHIN(geometry, POLYGON((114 22.5, 114.05 22.5, 114.05 22.6, 114 22.5)))`,
			`{"op":"s_within","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[114,22.5],[114.05,22.5],[114.05,22.6],[114,22.5]]]}]}`, false},
		{`"risk" > 2.5 AND TRUE`, `{"op":"and","args":[{"op":">","args":[{"property":"risk"},2.5]},true]}`, true},
	} {
		te, err := ParseText(tc.text)
		if err != nil {
			t.Fatalf("%s: %v", tc.text, err)
		}
		je, err := ParseJSON([]byte(tc.json))
		if err != nil {
			t.Fatalf("%s: %v", tc.json, err)
		}
		for _, e := range []Expr{te, je} {
			f, err := Compile(e, testQ)
			if err != nil {
				t.Fatalf("%s: %v", tc.text, err)
			}
			if got := f.Match(props, pt); got != tc.want {
				t.Errorf("%s: got %v want %v", tc.text, got, tc.want)
			}
		}
	}
}

func TestErrorsNameTheProblem(t *testing.T) {
	for _, tc := range []struct {
		text, prop string
	}{
		{`nope = 1`, "nope"},
		{`risk = 'high'`, "risk"},
		{`name LIKE 3`, "name"},
		{`S_INTERSECTS(risk, POINT(1 2))`, "risk"},
		{`geometry = 1`, "geometry"},
		{`open < TRUE`, "open"},
	} {
		e, err := ParseText(tc.text)
		if err == nil {
			_, err = Compile(e, testQ)
		}
		var ce *Error
		if !errors.As(err, &ce) || ce.Property != tc.prop {
			t.Errorf("%s: got %v, want an error naming %q", tc.text, err, tc.prop)
		}
	}
	for _, bad := range []string{``, `risk =`, `risk = 1 AND`, `(risk = 1`, `risk = 'x`, `risk ~ 1`, `POINT(1 2)`,
		`S_INTERSECTS(geometry, POLYGON((1 2, 3 4)))`, `S_INTERSECTS(geometry, BBOX(1,2,3))`, `risk IN ()`, `f(x) = 1`, `risk = 1e999`} {
		if _, err := ParseText(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	for _, bad := range []string{`{`, `[]`, `{"op":"=","args":[1]}`, `{"op":"nope","args":[1,2]}`, `{"op":"and","args":[true]}`,
		`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[1,2],[3,4]]]}]}`, `true false`} {
		if _, err := ParseJSON([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestLike(t *testing.T) {
	for _, tc := range []struct {
		s, pat string
		want   bool
	}{
		{"abc", "abc", true}, {"abc", "a%", true}, {"abc", "%c", true}, {"abc", "%b%", true}, {"abc", "a_c", true},
		{"abc", "a_", false}, {"", "%", true}, {"", "_", false}, {"a%c", `a\%c`, true}, {"abc", `a\%c`, false},
		{"街道办", "街%", true}, {"街道办", "__办", true}, {"aXbXc", "%X%X%", true}, {"ab", "%%%b", true},
	} {
		if got := like(tc.s, tc.pat); got != tc.want {
			t.Errorf("like(%q, %q) = %v", tc.s, tc.pat, got)
		}
	}
}

func TestSpatialPredicates(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
	}
	holed := orb.Polygon{sq(0, 0, 10, 10)[0], sq(4, 4, 6, 6)[0]}
	for _, tc := range []struct {
		name               string
		a, b               orb.Geometry
		intersects, within bool
	}{
		{"point inside", orb.Point{1, 1}, sq(0, 0, 2, 2), true, true},
		{"point on edge", orb.Point{0, 1}, sq(0, 0, 2, 2), true, false},
		{"point outside", orb.Point{3, 1}, sq(0, 0, 2, 2), false, false},
		{"point in hole", orb.Point{5, 5}, holed, false, false},
		{"square in hole", sq(4.5, 4.5, 5.5, 5.5), holed, false, false},
		{"square around hole", sq(3, 3, 7, 7), holed, true, false},
		{"square in ring", sq(1, 1, 3, 3), holed, true, true},
		{"crossing line", orb.LineString{{-1, 1}, {3, 1}}, sq(0, 0, 2, 2), true, false},
		{"inner line", orb.LineString{{0.5, 1}, {1.5, 1}}, sq(0, 0, 2, 2), true, true},
		{"boundary line", orb.LineString{{0, 0}, {2, 0}}, sq(0, 0, 2, 2), true, false},
		{"line leaving at a corner", orb.LineString{{1, 1}, {2, 2}, {3, 1}}, sq(0, 0, 2, 2), true, false},
		{"disjoint squares", sq(0, 0, 1, 1), sq(2, 2, 3, 3), false, false},
		{"touching squares", sq(0, 0, 1, 1), sq(1, 0, 2, 1), true, false},
		{"same square", sq(0, 0, 1, 1), sq(0, 0, 1, 1), true, true},
		{"bigger square", sq(0, 0, 3, 3), sq(1, 1, 2, 2), true, false},
		{"lines crossing", orb.LineString{{0, 0}, {2, 2}}, orb.LineString{{0, 2}, {2, 0}}, true, false},
		{"point on line", orb.Point{1, 1}, orb.LineString{{0, 0}, {2, 2}}, true, true},
		{"multipolygon", orb.Point{5.5, 0.5}, orb.MultiPolygon{sq(0, 0, 1, 1), sq(5, 0, 6, 1)}, true, true},
	} {
		if got := Intersects(tc.a, tc.b); got != tc.intersects {
			t.Errorf("%s: Intersects = %v", tc.name, got)
		}
		if got := Intersects(tc.b, tc.a); got != tc.intersects {
			t.Errorf("%s: Intersects reversed = %v", tc.name, got)
		}
		if got := Within(tc.a, tc.b); got != tc.within {
			t.Errorf("%s: Within = %v", tc.name, got)
		}
	}
}

func TestBound(t *testing.T) {
	e, _ := ParseText(`risk > 1 AND S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))`)
	f, _ := Compile(e, testQ)
	b, ok := f.Bound()
	if !ok || b != (orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}}) {
		t.Fatalf("bound %v %v", b, ok)
	}
	e, _ = ParseText(`risk > 1 OR S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))`)
	f, _ = Compile(e, testQ)
	if _, ok := f.Bound(); ok {
		t.Fatal("an OR with a non-spatial branch has no bound")
	}
}

// FuzzText checks the text parser never panics, and that whatever it
// accepts compiles or fails with an *Error and evaluates without panic.
func FuzzText(f *testing.F) {
	for _, s := range []string{`risk = 3`, `name LIKE 'a%' AND NOT (risk BETWEEN 1 AND 2)`, `class IN ('a','b') OR note IS NOT NULL`,
		`S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0)))`, `S_WITHIN(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)),((2 2, 3 2, 3 3, 2 2))))`,
		`S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1)))`, `S_INTERSECTS(geometry, BBOX(0,0,1,1))`,
		`"risk" >= -1.5e3`, `name ILIKE 'x'`, `((((risk = 1))))`, `S_INTERSECTS(geometry, MULTIPOINT((1 2), 3 4))`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseText(s)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("%q: error %T is not an *Error", s, err)
			}
			return
		}
		fuzzEval(t, e)
	})
}

// FuzzJSON is FuzzText for the JSON encoding.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"op":"=","args":[{"property":"risk"},3]}`, `{"op":"and","args":[true,{"op":"like","args":[{"property":"name"},"%"]}]}`,
		`{"op":"in","args":[{"property":"class"},["a","b"]]}`, `{"op":"between","args":[{"property":"risk"},1,2]}`,
		`{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[0,0,1,1]}]}`,
		`{"op":"s_within","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}]}`,
		`{"op":"not","args":[{"op":"isNull","args":[{"property":"note"}]}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseJSON([]byte(s))
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("%q: error %T is not an *Error", s, err)
			}
			return
		}
		fuzzEval(t, e)
	})
}

func fuzzEval(t *testing.T, e Expr) {
	f, err := Compile(e, testQ)
	if err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("compile error %T is not an *Error", err)
		}
		return
	}
	for _, g := range []orb.Geometry{orb.Point{0.5, 0.5}, orb.LineString{{0, 0}, {2, 2}}, orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}} {
		a := f.Match(map[string]any{"risk": int64(1), "name": "a", "open": false}, g)
		// NOT flips a definite answer: a true match never has a true negation.
		if a && (&Filter{e: Not{X: e}}).Match(map[string]any{"risk": int64(1), "name": "a", "open": false}, g) {
			t.Fatalf("%#v and its negation both match", e)
		}
	}
	f.Bound()
}
