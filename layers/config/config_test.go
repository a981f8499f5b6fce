package config

import (
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite examples/osm2pgsql.onemap.toml from the built-in profile")

// TestExamples: the documented examples parse, and the osm2pgsql one is
// what the built-in profile generates.
func TestExamples(t *testing.T) {
	b, err := os.ReadFile("examples/district.onemap.toml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Layers) != 3 || f.Layers[0].Name != "grids" || f.Layers[0].Fields["code"] != "网格编码" || f.Layers[1].Defaults["kind"] != "general" {
		t.Errorf("district example: %+v", f.Layers)
	}
	want := OSM2pgsql(`"planet_osm_point"`, `"planet_osm_line"`, `"planet_osm_polygon"`, false, []int{2, 6, 8})
	if *update {
		if err := os.WriteFile("examples/osm2pgsql.onemap.toml", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err = os.ReadFile("examples/osm2pgsql.onemap.toml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("examples/osm2pgsql.onemap.toml is not the built-in profile; regenerate it (see its first line)")
	}
	if _, err := Parse(want); err != nil {
		t.Fatal(err)
	}
}

// TestParseErrors: mistakes a file can hold without a database.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ toml, want string }{
		{"[[layers]]\nrole = \"grids\"\n", "give exactly one of table or sql"},
		{"[[layers]]\ntable = \"a\"\nsql = \"SELECT 1\"\n", "give exactly one of table or sql"},
		{"[[layers]]\nsql = \"SELECT geom FROM a\"\n", "a layer from sql needs a name"},
		{"[[layers]]\ntable = \"a\"\n[[layers]]\ntable = \"b.a\"\n", "two layers have this name"},
		{"[[layers]]\ntable = \"a\"\nminzoom = 14\nmaxzoom = 12\n", "minzoom is above maxzoom"},
		{"[[layers]]\ntable = \"a\"\n[layers.fields]\ncode = \"x\"\n", "fields and defaults need a role"},
		{"[postgis]\npoll = \"soon\"\n", "postgis.poll"},
		{"[postgis]\nschema = [\"x\"]\n", "unknown keys: postgis.schema"},
	} {
		_, err := Parse(c.toml)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.toml, err, c.want)
		}
	}
}

func TestHierarchyRoles(t *testing.T) {
	for _, c := range []struct {
		levels []int
		want   string
	}{
		{nil, ""},
		{[]int{8}, "grids:8"},
		{[]int{6, 8}, "districts:6 grids:8"},
		{[]int{2, 6, 8}, "districts:2 streets:6 grids:8"},
		{[]int{2, 4, 6, 8, 10}, "districts:2 streets:4 communities:6 grids:10"},
	} {
		var got []string
		for _, r := range hierarchyRoles(c.levels) {
			got = append(got, r.role+":"+strconv.Itoa(r.level))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%v: %v, want %s", c.levels, got, c.want)
		}
	}
}
