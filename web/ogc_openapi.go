package web

import (
	"net/http"
	"sort"
	"strings"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/crs"
)

// ogcRoute is one route of the OGC API: what Register puts on the mux and
// what /api describes.
type ogcRoute struct {
	method, path string
	summary      string
	params       []string // names in ogcParams
	role         Role     // a write's role; "" for reads
	body         bool     // takes a GeoJSON feature
	ctype        string   // the success response's type
	status       string
	handle       HandlerFunc
}

func (a *Features) routes() []ogcRoute {
	items := []string{"collectionId", "limit", "offset", "bbox", "bbox-crs", "crs", "filter", "filter-lang", "filter-crs", "sortby", "properties", "datetime", "f"}
	return []ogcRoute{
		{method: "GET", path: "/api", summary: "this API definition (OpenAPI 3.0)", params: []string{"f"}, ctype: mediaOpenAPI, handle: a.openAPI},
		{method: "GET", path: "/api.html", summary: "the API documentation", ctype: "text/html", handle: a.serviceDoc},
		{method: "GET", path: "/conformance", summary: "the conformance classes implemented", params: []string{"f"}, ctype: mediaJSON, handle: a.conformance},
		{method: "GET", path: "/collections", summary: "the feature collections (every map layer)", params: []string{"f"}, ctype: mediaJSON, handle: a.collections},
		{method: "GET", path: "/collections/{collectionId}", summary: "a collection's description", params: []string{"collectionId", "f"}, ctype: mediaJSON, handle: a.collection},
		{method: "GET", path: "/collections/{collectionId}/queryables", summary: "the properties a filter may name (JSON Schema)", params: []string{"collectionId", "f"}, ctype: mediaSchema, handle: a.queryables},
		{method: "GET", path: "/collections/{collectionId}/items", summary: "a page of a collection's features, filtered and sorted", params: items, ctype: mediaGeoJSON, handle: a.items},
		{method: "GET", path: "/collections/{collectionId}/items/{featureId}", summary: "one feature", params: []string{"collectionId", "featureId", "crs", "f"}, ctype: mediaGeoJSON, handle: a.item},
		{method: "POST", path: "/collections/{collectionId}/items", summary: "add a feature (collections from onemap's PostGIS tables)", params: []string{"collectionId", "Content-Crs"}, role: Planner, body: true, status: "201", ctype: mediaGeoJSON, handle: a.create},
		{method: "PUT", path: "/collections/{collectionId}/items/{featureId}", summary: "replace a feature (If-Match for optimistic locking)", params: []string{"collectionId", "featureId", "If-Match", "Content-Crs"}, role: Planner, body: true, ctype: mediaGeoJSON, handle: a.replace},
		{method: "PATCH", path: "/collections/{collectionId}/items/{featureId}", summary: "change some properties (and the geometry) of a feature", params: []string{"collectionId", "featureId", "If-Match", "Content-Crs"}, role: Planner, body: true, ctype: mediaGeoJSON, handle: a.update},
		{method: "DELETE", path: "/collections/{collectionId}/items/{featureId}", summary: "delete a feature", params: []string{"collectionId", "featureId", "If-Match"}, role: Planner, status: "204", handle: a.remove},
	}
}

// muxPath turns an OpenAPI path into a ServeMux pattern.
func muxPath(p string) string {
	return strings.NewReplacer("{collectionId}", "{id}", "{featureId}", "{fid}").Replace(p)
}

func (a *Features) ogcParams() map[string]map[string]any {
	str := map[string]any{"type": "string"}
	crsEnum := map[string]any{"type": "string", "format": "uri", "enum": crs.URIs(), "default": crs.CRS84.URI}
	names := a.c.Names()
	p := func(name, in, desc string, schema map[string]any, required bool) map[string]any {
		return map[string]any{"name": name, "in": in, "description": desc, "required": required, "schema": schema}
	}
	return map[string]map[string]any{
		"collectionId": p("collectionId", "path", "a collection (map layer) id", map[string]any{"type": "string", "enum": names}, true),
		"featureId":    p("featureId", "path", "a feature id", map[string]any{"type": "integer"}, true),
		"f":            p("f", "query", "the format: json or html", map[string]any{"type": "string", "enum": []string{"json", "html"}}, false),
		"limit":        p("limit", "query", "features per page (at most 10000)", map[string]any{"type": "integer", "minimum": 1, "maximum": a.maxLimit, "default": 10}, false),
		"offset":       p("offset", "query", "features to skip", map[string]any{"type": "integer", "minimum": 0, "default": 0}, false),
		"bbox": merge(p("bbox", "query", "minx,miny,maxx,maxy in bbox-crs", map[string]any{"type": "array", "minItems": 4, "maxItems": 6, "items": map[string]any{"type": "number"}}, false),
			map[string]any{"style": "form", "explode": false}),
		"bbox-crs":    p("bbox-crs", "query", "the CRS of bbox", crsEnum, false),
		"crs":         p("crs", "query", "the CRS of the answer's coordinates", crsEnum, false),
		"filter":      p("filter", "query", "a CQL2 filter over the collection's queryables", str, false),
		"filter-lang": p("filter-lang", "query", "the filter's encoding (cql-text: the draft's name for cql2-text)", map[string]any{"type": "string", "enum": []string{"cql2-text", "cql2-json", "cql-text"}, "default": "cql2-text"}, false),
		"filter-crs":  p("filter-crs", "query", "the CRS of the filter's geometries", crsEnum, false),
		"sortby":      p("sortby", "query", "comma-separated properties, each +name or -name", str, false),
		"properties":  p("properties", "query", "comma-separated properties to return", str, false),
		"datetime":    p("datetime", "query", "onemap's collections have no temporal property: refused with 400", str, false),
		"If-Match":    p("If-Match", "header", "the feature's ETag when read: the write fails with 412 if it has changed", str, false),
		"Content-Crs": p("Content-Crs", "header", "the CRS of the body's geometry, <uri>", str, false),
	}
}

func merge(a, b map[string]any) map[string]any {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// fieldSchema is the JSON Schema type of a field.
func fieldSchema(f layers.Field) map[string]any {
	t := map[layers.FieldType]string{layers.Int: "integer", layers.Float: "number", layers.Bool: "boolean"}[f.Type]
	if t == "" {
		t = "string"
	}
	s := map[string]any{"type": t, "nullable": true}
	if title := strings.TrimSpace(f.TitleEN + " " + f.TitleZH); title != "" {
		s["title"] = title
	}
	return s
}

// OpenAPI is the API definition: the paths of a.routes() and, per layer,
// the schema of its features' properties.
func (a *Features) OpenAPI(base string) map[string]any {
	params := a.ogcParams()
	paths := map[string]map[string]any{}
	for _, rt := range a.routes() {
		op := map[string]any{"summary": rt.summary, "operationId": strings.ToLower(rt.method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(rt.path)}
		var ps []any
		for _, n := range rt.params {
			ps = append(ps, map[string]any{"$ref": "#/components/parameters/" + n})
		}
		if ps != nil {
			op["parameters"] = ps
		}
		status := rt.status
		if status == "" {
			status = "200"
		}
		resp := map[string]any{"description": "success"}
		if rt.ctype != "" {
			resp["content"] = map[string]any{rt.ctype: map[string]any{"schema": map[string]any{"type": "object"}}}
		}
		responses := map[string]any{status: resp,
			"400": map[string]any{"$ref": "#/components/responses/error"}, "404": map[string]any{"$ref": "#/components/responses/error"}}
		if rt.role != "" {
			op["security"] = []any{map[string]any{"bearer": []string{}}}
			responses["401"] = map[string]any{"$ref": "#/components/responses/error"}
			responses["403"] = map[string]any{"$ref": "#/components/responses/error"}
			responses["405"] = map[string]any{"$ref": "#/components/responses/error"}
			responses["412"] = map[string]any{"$ref": "#/components/responses/error"}
		}
		op["responses"] = responses
		if rt.body {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				mediaGeoJSON: map[string]any{"schema": map[string]any{"type": "object"}}, mediaJSON: map[string]any{"schema": map[string]any{"type": "object"}}}}
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	paths["/"] = map[string]any{"get": map[string]any{"summary": "the landing page (JSON for f=json or Accept: application/json; the one-map page for browsers)",
		"operationId": "getLandingPage", "parameters": []any{map[string]any{"$ref": "#/components/parameters/f"}},
		"responses": map[string]any{"200": map[string]any{"description": "the landing page", "content": map[string]any{mediaJSON: map[string]any{"schema": map[string]any{"type": "object"}}, "text/html": map[string]any{}}}}}}
	tilePath := "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"
	paths["/collections/{collectionId}/tiles"] = map[string]any{"get": map[string]any{"summary": "the collection's vector tilesets", "operationId": "getTilesets",
		"parameters": []any{map[string]any{"$ref": "#/components/parameters/collectionId"}}, "responses": map[string]any{"200": map[string]any{"description": "tilesets"}}}}
	paths["/collections/{collectionId}/tiles/{tileMatrixSetId}"] = map[string]any{"get": map[string]any{"summary": "a tileset's metadata", "operationId": "getTileset",
		"parameters": []any{map[string]any{"$ref": "#/components/parameters/collectionId"}, map[string]any{"$ref": "#/components/parameters/tileMatrixSetId"}}, "responses": map[string]any{"200": map[string]any{"description": "tileset"}}}}
	paths[tilePath] = map[string]any{"get": map[string]any{"summary": "a Mapbox vector tile (never an empty body)", "operationId": "getTile",
		"parameters": []any{map[string]any{"$ref": "#/components/parameters/collectionId"}, map[string]any{"$ref": "#/components/parameters/tileMatrixSetId"},
			map[string]any{"name": "tileMatrix", "in": "path", "required": true, "schema": map[string]any{"type": "integer"}},
			map[string]any{"name": "tileRow", "in": "path", "required": true, "schema": map[string]any{"type": "integer"}},
			map[string]any{"name": "tileCol", "in": "path", "required": true, "schema": map[string]any{"type": "integer"}}},
		"responses": map[string]any{"200": map[string]any{"description": "the tile", "content": map[string]any{mediaMVT: map[string]any{}}}}}}
	paths["/tileMatrixSets"] = map[string]any{"get": map[string]any{"summary": "the tile matrix sets", "operationId": "getTileMatrixSets", "responses": map[string]any{"200": map[string]any{"description": "tile matrix sets"}}}}
	paths["/tileMatrixSets/{tileMatrixSetId}"] = map[string]any{"get": map[string]any{"summary": "a tile matrix set", "operationId": "getTileMatrixSet",
		"parameters": []any{map[string]any{"$ref": "#/components/parameters/tileMatrixSetId"}}, "responses": map[string]any{"200": map[string]any{"description": "tile matrix set"}}}}
	// Each collection's items path, with a name=value parameter per field
	// (how GDAL learns what it may filter on the server).
	var itemParams []any
	for _, rt := range a.routes() {
		if rt.method == "GET" && rt.path == "/collections/{collectionId}/items" {
			for _, n := range rt.params {
				if n != "collectionId" {
					itemParams = append(itemParams, map[string]any{"$ref": "#/components/parameters/" + n})
				}
			}
		}
	}
	for _, l := range a.c.Layers() {
		ps := append([]any{}, itemParams...)
		for _, f := range l.Schema.Fields {
			ps = append(ps, map[string]any{"name": f.Name, "in": "query", "required": false, "style": "form", "explode": false,
				"description": "features whose " + f.Name + " equals this", "schema": fieldSchema(f)})
		}
		paths["/collections/"+l.Schema.Name+"/items"] = map[string]any{"get": map[string]any{
			"summary": "a page of " + schemaTitle(l.Schema) + ", filtered and sorted", "operationId": "getItems_" + l.Schema.Name,
			"parameters": ps,
			"responses": map[string]any{"200": map[string]any{"description": "features", "content": map[string]any{mediaGeoJSON: map[string]any{
				"schema": map[string]any{"type": "object"}}}}, "400": map[string]any{"$ref": "#/components/responses/error"}}}}
	}
	cp := map[string]any{}
	for k, v := range params {
		cp[k] = v
	}
	cp["tileMatrixSetId"] = map[string]any{"name": "tileMatrixSetId", "in": "path", "required": true, "schema": map[string]any{"type": "string", "enum": []string{"WebMercatorQuad"}}}
	schemas := map[string]any{}
	names := a.c.Names()
	sort.Strings(names)
	for _, n := range names {
		l, _ := a.c.Layer(n)
		props := map[string]any{}
		for _, f := range l.Schema.Fields {
			props[f.Name] = fieldSchema(f)
		}
		schemas[n] = map[string]any{"type": "object", "title": schemaTitle(l.Schema), "description": "the properties of " + n + "'s features (" + string(l.Schema.Geometry) + ")", "properties": props}
	}
	schemas["error"] = map[string]any{"type": "object", "properties": map[string]any{
		"error": map[string]any{"type": "string"}, "field": map[string]any{"type": "string"}, "status": map[string]any{"type": "integer"}}}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": a.cfg.Title, "version": "1.0.0", "description": "OGC API – Features (Parts 1–4) and Tiles over onemap's map layers"},
		"servers": []any{map[string]any{"url": base}},
		"paths":   paths,
		"components": map[string]any{
			"parameters": cp,
			"schemas":    schemas,
			"responses": map[string]any{"error": map[string]any{"description": "an error naming the field at fault",
				"content": map[string]any{mediaJSON: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/error"}}}}},
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

func (a *Features) openAPI(w http.ResponseWriter, r *http.Request) error {
	if html, err := wantsHTML(r); err != nil {
		return err
	} else if html {
		return a.serviceDoc(w, r)
	}
	return writeOGC(w, r, http.StatusOK, mediaOpenAPI, a.OpenAPI(BaseURL(r)))
}

func (a *Features) serviceDoc(w http.ResponseWriter, r *http.Request) error {
	doc := a.OpenAPI(BaseURL(r))
	type op struct{ Method, Path, Summary string }
	var ops []op
	for path, m := range doc["paths"].(map[string]map[string]any) {
		for method, o := range m {
			ops = append(ops, op{strings.ToUpper(method), path, o.(map[string]any)["summary"].(string)})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return writeHTML(w, r, "api", map[string]any{"title": a.cfg.Title, "ops": ops})
}
