package web

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/paulmach/orb/encoding/mvt"

	"github.com/onemap/onemap/tiles"
)

// OGCTiles serves OGC API – Tiles over the XYZ tiles: each collection's
// vector tileset in the WebMercatorQuad tile matrix set, and the set's
// definition.
type OGCTiles struct {
	t    *Tiles
	cors CORS
}

// NewOGCTiles serves t's tiles under /collections/{id}/tiles with the
// given CORS origins.
func NewOGCTiles(t *Tiles, origins []string) *OGCTiles {
	return &OGCTiles{t: t, cors: CORS{Origins: origins}}
}

// Register adds the OGC API – Tiles routes.
func (o *OGCTiles) Register(mux *http.ServeMux, log *slog.Logger, _ Tokens) {
	h := func(f HandlerFunc) http.Handler { return o.cors.wrap(Handle(log, f)) }
	mux.Handle("GET /collections/{id}/tiles", h(o.tilesets))
	mux.Handle("GET /collections/{id}/tiles/{tms}", h(o.tileset))
	mux.Handle("GET /collections/{id}/tiles/{tms}/{z}/{y}/{x}", h(o.tile))
	mux.Handle("GET /tileMatrixSets", h(o.matrixSets))
	mux.Handle("GET /tileMatrixSets/{tms}", h(o.matrixSet))
}

const webMercatorQuad = "WebMercatorQuad"

func checkTMS(r *http.Request) error {
	if tms := r.PathValue("tms"); tms != webMercatorQuad {
		return NotFound("tileMatrixSetId", "unknown tile matrix set %q; onemap tiles in %s", tms, webMercatorQuad)
	}
	return nil
}

func (o *OGCTiles) tilesetDoc(base, id string) (map[string]any, error) {
	ls, err := o.t.layers([]string{id})
	if err != nil {
		return nil, NotFound("id", "no collection %q", id)
	}
	s := ls[0].Schema
	tj := NewTileJSON(base, ls)
	self := base + "/collections/" + id + "/tiles/" + webMercatorQuad
	return map[string]any{
		"title":               schemaTitle(s),
		"dataType":            "vector",
		"crs":                 "http://www.opengis.net/def/crs/EPSG/0/3857",
		"tileMatrixSetURI":    "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
		"tileMatrixSetLimits": []any{},
		"boundingBox":         map[string]any{"lowerLeft": tj.Bounds[:2], "upperRight": tj.Bounds[2:], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		"minTileMatrix":       zoomID(s.MinZoom),
		"maxTileMatrix":       zoomID(s.MaxZoom),
		"layers":              []any{map[string]any{"id": id, "dataType": "vector", "geometryDimension": geomDim(string(s.Geometry)), "minTileMatrix": zoomID(s.MinZoom), "maxTileMatrix": zoomID(s.MaxZoom)}},
		"links": []link{
			{Href: self, Rel: "self", Type: mediaJSON},
			{Href: base + "/tileMatrixSets/" + webMercatorQuad, Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", Type: mediaJSON},
			{Href: self + "/{tileMatrix}/{tileRow}/{tileCol}", Rel: "item", Type: mediaMVT, Title: "tiles"},
			{Href: base + "/collections/" + id, Rel: "http://www.opengis.net/def/rel/ogc/1.0/geodata", Type: mediaJSON},
		},
	}, nil
}

func zoomID(n int) string { return strconv.Itoa(n) }

func geomDim(t string) int {
	switch t {
	case "Point", "MultiPoint":
		return 0
	case "LineString", "MultiLineString":
		return 1
	}
	return 2
}

func (o *OGCTiles) tilesets(w http.ResponseWriter, r *http.Request) error {
	doc, err := o.tilesetDoc(BaseURL(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeOGC(w, r, http.StatusOK, mediaJSON, map[string]any{"tilesets": []any{doc},
		"links": []link{{Href: BaseURL(r) + r.URL.Path, Rel: "self", Type: mediaJSON}}})
}

func (o *OGCTiles) tileset(w http.ResponseWriter, r *http.Request) error {
	if err := checkTMS(r); err != nil {
		return err
	}
	doc, err := o.tilesetDoc(BaseURL(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeOGC(w, r, http.StatusOK, mediaJSON, doc)
}

func (o *OGCTiles) tile(w http.ResponseWriter, r *http.Request) error {
	if err := checkTMS(r); err != nil {
		return err
	}
	names, t, err := ParseTileAddress(r.PathValue("id"), r.PathValue("z"), r.PathValue("x"), r.PathValue("y")+".mvt")
	if err != nil {
		return err
	}
	return o.t.serveTile(w, r, r.PathValue("id"), names, t)
}

// webMercatorQuadDoc is the OGC 2D TileMatrixSet WebMercatorQuad
// (OGC 17-083r4 annex D), levels 0 to tiles.MaxZoom.
func webMercatorQuadDoc(base string) map[string]any {
	const origin = 20037508.3427892
	var ms []any
	for z := 0; z <= tiles.MaxZoom; z++ {
		n := 1 << z
		cell := 2 * origin / float64(256*n)
		ms = append(ms, map[string]any{
			"id": zoomID(z), "scaleDenominator": cell / 0.00028, "cellSize": cell,
			"cornerOfOrigin": "topLeft", "pointOfOrigin": []float64{-origin, origin},
			"tileWidth": 256, "tileHeight": 256, "matrixWidth": n, "matrixHeight": n,
		})
	}
	return map[string]any{
		"id": webMercatorQuad, "title": "Google Maps Compatible for the World",
		"uri": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
		"crs": "http://www.opengis.net/def/crs/EPSG/0/3857", "orderedAxes": []string{"X", "Y"},
		"wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
		"boundingBox": map[string]any{"lowerLeft": []float64{-origin, -origin}, "upperRight": []float64{origin, origin},
			"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"},
		"tileMatrices": ms,
		"links":        []link{{Href: base + "/tileMatrixSets/" + webMercatorQuad, Rel: "self", Type: mediaJSON}},
	}
}

func (o *OGCTiles) matrixSets(w http.ResponseWriter, r *http.Request) error {
	base := BaseURL(r)
	return writeOGC(w, r, http.StatusOK, mediaJSON, map[string]any{"tileMatrixSets": []any{map[string]any{
		"id": webMercatorQuad, "title": "Google Maps Compatible for the World",
		"uri":   "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
		"links": []link{{Href: base + "/tileMatrixSets/" + webMercatorQuad, Rel: "self", Type: mediaJSON}},
	}}})
}

func (o *OGCTiles) matrixSet(w http.ResponseWriter, r *http.Request) error {
	if err := checkTMS(r); err != nil {
		return err
	}
	return writeOGC(w, r, http.StatusOK, mediaJSON, webMercatorQuadDoc(BaseURL(r)))
}

// emptyTile is the tile of the named layers with no features: each layer
// present (version 2, extent 4096), so a client decodes a valid tile from
// a non-empty body. It is a few bytes: not gzipped.
func emptyTile(names []string) []byte {
	ls := make(mvt.Layers, len(names))
	for i, n := range names {
		ls[i] = &mvt.Layer{Name: n, Version: 2, Extent: 4096}
	}
	raw, _ := mvt.Marshal(ls) // layers without features cannot fail
	return raw
}
