package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

var tileTestCenter = orb.Point{114.055, 22.541}

func tileTestServer(t *testing.T) (*httptest.Server, *layers.Catalog) {
	t.Helper()
	cat := layers.NewCatalog()
	var pts, polys []layers.Feature
	for i := 0; i < 50; i++ {
		p := orb.Point{tileTestCenter[0] + float64(i%10)*0.001, tileTestCenter[1] + float64(i/10)*0.001}
		pts = append(pts, layers.Feature{ID: int64(i + 1), Geometry: p, Properties: map[string]any{"name": "p", "vehicles": int64(i)}})
		d := 0.0008
		polys = append(polys, layers.Feature{ID: int64(100 + i), Geometry: orb.Polygon{{p, {p[0] + d, p[1]}, {p[0] + d, p[1] + d}, {p[0], p[1] + d}, p}}})
	}
	cat.Put(layers.Schema{Name: "stations", TitleEN: "Stations", Geometry: layers.Point, MinZoom: 10, MaxZoom: 18, Synthetic: true,
		Fields: []layers.Field{{Name: "name", Type: layers.String}, {Name: "vehicles", Type: layers.Int}}}, pts)
	cat.Put(layers.Schema{Name: "blocks", Geometry: layers.Polygon, MinZoom: 12, MaxZoom: 18, Attribution: "© somebody"}, polys)
	mux := http.NewServeMux()
	NewTiles(cat, tiles.NewCache(64<<20, tiles.DefaultOptions())).Register(mux, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, cat
}

func tileGet(t *testing.T, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	// A bare transport: no automatic gzip, so the test sees the encoding.
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func tilePath(names string, tile maptile.Tile) string {
	return "/tiles/" + names + "/" + itoa(int(tile.Z)) + "/" + itoa(int(tile.X)) + "/" + itoa(int(tile.Y)) + ".mvt"
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestTileEndpoint(t *testing.T) {
	srv, _ := tileTestServer(t)
	tile := maptile.At(tileTestCenter, 15)
	url := srv.URL + tilePath("stations,blocks", tile)

	res := tileGet(t, url, nil)
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" || len(raw) == 0 {
		t.Fatalf("status %d type %q, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(raw))
	}
	if res.Header.Get("Content-Encoding") != "" || res.Header.Get("Cache-Control") == "" || res.Header.Get("ETag") == "" {
		t.Fatalf("headers %v", res.Header)
	}
	ls, err := tiles.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mvt.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].Name != "stations" || ls[1].Name != "blocks" {
		t.Fatalf("layers %+v", ls)
	}

	// gzip when accepted, same bytes inside.
	res = tileGet(t, url, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", res.Header)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if !bytes.Equal(unz, raw) {
		t.Fatal("gzipped tile differs")
	}
	gzTag := res.Header.Get("ETag")
	if res := tileGet(t, url, map[string]string{"Accept-Encoding": "gzip;q=0"}); res.Header.Get("Content-Encoding") != "" {
		t.Fatal("gzip sent despite q=0")
	}

	// Revalidation: 304 for either tag.
	for _, tag := range []string{tileGet(t, url, nil).Header.Get("ETag"), gzTag, "W/" + gzTag} {
		res = tileGet(t, url, map[string]string{"If-None-Match": tag})
		if b, _ := io.ReadAll(res.Body); res.StatusCode != 304 || len(b) != 0 {
			t.Fatalf("If-None-Match %s: %d", tag, res.StatusCode)
		}
	}
	if res = tileGet(t, url, map[string]string{"If-None-Match": `"other"`}); res.StatusCode != 200 {
		t.Fatalf("stale tag: %d", res.StatusCode)
	}
}

func TestTileEndpointEmptyAndEdits(t *testing.T) {
	srv, cat := tileTestServer(t)
	// Far away, and a layer below its minzoom: empty 200.
	for _, p := range []string{
		tilePath("stations", maptile.At(orb.Point{0, 0}, 14)),
		tilePath("blocks", maptile.At(tileTestCenter, 11)),
	} {
		res := tileGet(t, srv.URL+p, map[string]string{"Accept-Encoding": "gzip"})
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || len(b) != 0 || res.Header.Get("Content-Encoding") != "" || res.Header.Get("Content-Length") != "0" {
			t.Fatalf("%s: status %d, %d bytes, %v", p, res.StatusCode, len(b), res.Header)
		}
	}
	// An edit shows on the next request.
	tile := maptile.At(tileTestCenter, 16)
	url := srv.URL + tilePath("stations", tile)
	before, _ := io.ReadAll(tileGet(t, url, nil).Body)
	if _, err := cat.Apply("", "stations", []layers.Change{{Op: layers.Delete, ID: 1}}); err != nil {
		t.Fatal(err)
	}
	after, _ := io.ReadAll(tileGet(t, url, nil).Body)
	lb, _ := tiles.Decode(before)
	la, _ := tiles.Decode(after)
	if len(lb) != 1 || len(la) != 1 || len(la[0].Features) != len(lb[0].Features)-1 {
		t.Fatalf("delete not seen: %d then %d features", len(lb[0].Features), len(la[0].Features))
	}
}

func TestTileEndpointBadInput(t *testing.T) {
	srv, _ := tileTestServer(t)
	for _, tc := range []struct {
		path   string
		status int
		field  string
	}{
		{"/tiles/stations/23/0/0.mvt", 400, "z"},
		{"/tiles/stations/-1/0/0.mvt", 400, "z"},
		{"/tiles/stations/2/4/0.mvt", 400, "x"},
		{"/tiles/stations/2/0/4.mvt", 400, "y"},
		{"/tiles/stations/2/0/1.png", 400, "y"},
		{"/tiles/stations/2/01/1.mvt", 400, "x"},
		{"/tiles/stations/z/0/0.mvt", 400, "z"},
		{"/tiles/nope/2/0/0.mvt", 404, "layers"},
		{"/tiles/stations,nope.json", 404, "layers"},
		{"/tiles/stations,stations/2/0/0.mvt", 400, "layers"},
		{"/tiles/stations,/2/0/0.mvt", 400, "layers"},
		{"/tiles/stations/2/0", 400, "path"},
		{"/tiles/stations", 400, "path"},
		{"/tiles/a/b/c/d/e.mvt", 400, "path"},
	} {
		res := tileGet(t, srv.URL+tc.path, nil)
		var body struct {
			Error string `json:"error"`
			Field string `json:"field"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatalf("%s: not JSON: %v", tc.path, err)
		}
		if res.StatusCode != tc.status || body.Field != tc.field || body.Error == "" {
			t.Errorf("%s: %d %+v, want %d naming %s", tc.path, res.StatusCode, body, tc.status, tc.field)
		}
		if tc.status == 404 && !strings.Contains(body.Error, "nope") {
			t.Errorf("%s: error does not name the layer: %s", tc.path, body.Error)
		}
	}
}

func TestTileJSON(t *testing.T) {
	srv, _ := tileTestServer(t)
	res := tileGet(t, srv.URL+"/tiles/stations,blocks.json", nil)
	var tj TileJSON
	if err := json.NewDecoder(res.Body).Decode(&tj); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	if res.StatusCode != 200 || tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 ||
		tj.Tiles[0] != "http://"+host+"/tiles/stations,blocks/{z}/{x}/{y}.mvt" {
		t.Fatalf("%d %+v", res.StatusCode, tj)
	}
	if tj.MinZoom != 10 || tj.MaxZoom != 18 || len(tj.VectorLayers) != 2 || tj.VectorLayers[0].Fields["vehicles"] == "" ||
		tj.VectorLayers[1].MinZoom != 12 {
		t.Fatalf("%+v", tj)
	}
	if !strings.Contains(tj.Attribution, "synthetic demo data") || !strings.Contains(tj.Attribution, "© somebody") {
		t.Fatalf("attribution %q", tj.Attribution)
	}
	b := tj.Bounds
	if !(b[0] <= tileTestCenter[0] && b[2] > tileTestCenter[0] && b[1] <= tileTestCenter[1] && b[3] > tileTestCenter[1]) {
		t.Fatalf("bounds %v", b)
	}
	if tj.Center[2] < 10 || tj.Center[2] > 18 {
		t.Fatalf("center %v", tj.Center)
	}
	// The template it gives works.
	u := strings.NewReplacer("{z}", "15", "{x}", itoa(int(maptile.At(tileTestCenter, 15).X)), "{y}", itoa(int(maptile.At(tileTestCenter, 15).Y))).Replace(tj.Tiles[0])
	if r := tileGet(t, u, nil); r.StatusCode != 200 {
		t.Fatalf("%s: %d", u, r.StatusCode)
	}
}

func FuzzTileAddress(f *testing.F) {
	f.Add("grids,roads", "12", "3421", "1783.mvt")
	f.Add("a", "0", "0", "0.mvt")
	f.Add("a,,b", "22", "4194303", "4194303.mvt")
	f.Add("x", "07", "1", "1.mvt")
	f.Add("é", "3", "-1", ".mvt")
	f.Fuzz(func(t *testing.T, list, z, x, y string) {
		names, tile, err := ParseTileAddress(list, z, x, y)
		if err != nil {
			var e *Error
			if !asError(err, &e) || e.Status != 400 || e.Field == "" {
				t.Fatalf("error %v is not a 400 naming a field", err)
			}
			return
		}
		if tile.Z > 22 || !tile.Valid() || len(names) == 0 || len(names) > MaxTileLayers {
			t.Fatalf("accepted %q %q %q %q as %v %v", list, z, x, y, names, tile)
		}
		// Accepted addresses are canonical: formatting them gives the input.
		if got := tilePath(strings.Join(names, ","), tile); got != "/tiles/"+list+"/"+z+"/"+x+"/"+y {
			t.Fatalf("not canonical: %q from %q %q %q %q", got, list, z, x, y)
		}
	})
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}
