package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The media types OGC API clients negotiate.
const (
	mediaGeoJSON  = "application/geo+json"
	mediaJSON     = "application/json"
	mediaOpenAPI  = "application/vnd.oai.openapi+json;version=3.0"
	mediaSchema   = "application/schema+json"
	mediaHTML     = "text/html; charset=utf-8"
	mediaMVT      = "application/vnd.mapbox-vector-tile"
	mediaTileJSON = "application/vnd.mapbox.tile+json"
)

// conformsTo lists the conformance classes onemap implements; each has
// tests in ogc_test.go (and GDAL's in ogc_gdal_test.go).
var conformsTo = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
	"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
	"http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
}

// wantsHTML decides an OGC resource's format: f=json|html when given
// (anything else is a 400), otherwise the Accept header, where text/html
// wins only when preferred to every JSON type (browsers); a client that
// names no type gets JSON.
func wantsHTML(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("f"); f {
	case "":
	case "json", "geojson", "application/json", "application/geo+json":
		return false, nil
	case "html", "text/html":
		return true, nil
	default:
		return false, BadRequest("f", "unsupported format %q; want json or html", f)
	}
	html, js := acceptQ(r.Header.Get("Accept"))
	return html > 0 && html > js, nil
}

// acceptQ is the quality the Accept header gives HTML and JSON (the best
// of application/json, application/geo+json and other +json types).
func acceptQ(accept string) (html, js float64) {
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch {
		case mt == "text/html" || mt == "application/xhtml+xml":
			html = max(html, q)
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
			js = max(js, q)
		}
	}
	return html, js
}

// WantsLanding reports whether a request of / asks for the OGC API landing
// page as JSON (f=json, or an Accept that prefers JSON to HTML) rather
// than the one-map page.
func WantsLanding(r *http.Request) bool {
	if f := r.URL.Query().Get("f"); f != "" {
		return f == "json" || f == "application/json"
	}
	html, js := acceptQ(r.Header.Get("Accept"))
	return js > 0 && js > html
}

// writeOGC writes v as JSON of type ctype, gzipped when the client accepts
// it and the body is over 1 KiB.
func writeOGC(w http.ResponseWriter, r *http.Request, status int, ctype string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return writeBody(w, r, status, ctype, buf.Bytes())
}

// writeBody writes b, gzipped when accepted and worth it.
func writeBody(w http.ResponseWriter, r *http.Request, status int, ctype string, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Add("Vary", "Accept-Encoding")
	if len(b) > 1024 && acceptsGzip(r) {
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
		_, _ = zw.Write(b)
		if err := zw.Close(); err != nil {
			return err
		}
		h.Set("Content-Encoding", "gzip")
		b = gz.Bytes()
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
	return nil
}

// CORS is the cross-origin policy of the OGC API routes: Origins lists
// the allowed origins ("*" for any; none disables CORS).
type CORS struct{ Origins []string }

// wrap adds the CORS headers to h's answers for an allowed Origin.
func (c CORS) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.headers(w, r)
		h.ServeHTTP(w, r)
	})
}

func (c CORS) headers(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	h := w.Header()
	h.Add("Vary", "Origin")
	if origin == "" {
		return false
	}
	switch {
	case slices.Contains(c.Origins, "*"):
		h.Set("Access-Control-Allow-Origin", "*")
	case slices.Contains(c.Origins, origin):
		h.Set("Access-Control-Allow-Origin", origin)
	default:
		return false
	}
	h.Set("Access-Control-Expose-Headers", "ETag, Content-Crs, Location, Content-Encoding")
	return true
}

// preflight answers an OPTIONS request.
func (c CORS) preflight(w http.ResponseWriter, r *http.Request) {
	if c.headers(w, r) {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Crs, If-Match, If-None-Match, Accept, Accept-Encoding")
		h.Set("Access-Control-Max-Age", "600")
	}
	w.Header().Set("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
	w.WriteHeader(http.StatusNoContent)
}
