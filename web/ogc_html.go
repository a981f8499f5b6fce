package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/paulmach/orb/geojson"
)

// ogcHTML renders the OGC API's small server-side pages for browsers.
var ogcHTML = template.Must(template.New("ogc").Funcs(template.FuncMap{
	"prop": func(props any, name string) string {
		var m map[string]any
		switch p := props.(type) {
		case map[string]any:
			m = p
		case geojson.Properties:
			m = p
		}
		if v, ok := m[name]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	},
}).Parse(`
{{define "head"}}<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.}} · onemap OGC API</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:1.5em auto;max-width:70em;padding:0 1em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
nav a{margin-right:1em}code{background:#f3f3f3;padding:0 .2em}</style></head><body>
<nav><a href="/?f=html">landing</a><a href="/collections?f=html">collections</a><a href="/api.html">API</a><a href="/conformance?f=html">conformance</a><a href="/">map</a></nav>{{end}}
{{define "landing"}}{{template "head" .title}}<h1>{{.title}}</h1><p>{{.description}}</p>
<ul>{{range .links}}<li><a href="{{.Href}}">{{.Title}}</a> <code>{{.Rel}}</code> {{.Type}}</li>{{end}}</ul></body></html>{{end}}
{{define "conformance"}}{{template "head" "conformance"}}<h1>Conformance classes</h1><ul>{{range .conformsTo}}<li><code>{{.}}</code></li>{{end}}</ul></body></html>{{end}}
{{define "collections"}}{{template "head" "collections"}}<h1>Collections</h1><table><tr><th>id</th><th>title</th><th>geometry</th><th>features</th></tr>
{{range .collections}}<tr><td><a href="/collections/{{.id}}?f=html">{{.id}}</a></td><td>{{.title}}</td><td>{{.schema.Geometry}}</td><td><a href="/collections/{{.id}}/items?f=html">items</a></td></tr>{{end}}</table></body></html>{{end}}
{{define "collection"}}{{template "head" .id}}<h1>{{.title}}</h1><p>{{.description}}</p><p>id <code>{{.id}}</code>, {{.schema.Geometry}}{{if .writable}}, writable by planners{{end}}</p>
<p><a href="/collections/{{.id}}/items?f=html">items</a> · <a href="/collections/{{.id}}/queryables?f=html">queryables</a> · <a href="/collections/{{.id}}/items">GeoJSON</a> · <a href="/collections/{{.id}}/tiles">tilesets</a></p>
<table><tr><th>property</th><th>type</th><th>title</th></tr>{{range .schema.Fields}}<tr><td>{{.Name}}</td><td>{{.Type}}</td><td>{{.TitleZH}} {{.TitleEN}}</td></tr>{{end}}</table></body></html>{{end}}
{{define "queryables"}}{{template "head" "queryables"}}<h1>Queryables of {{.title}}</h1><table><tr><th>name</th><th>schema</th></tr>{{range $k, $v := .properties}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>{{end}}</table></body></html>{{end}}
{{define "items"}}{{template "head" .collection.id}}<h1>{{.collection.title}}</h1>
<p>{{.features.ExtraMembers.numberReturned}} of {{.features.ExtraMembers.numberMatched}} features{{range .features.ExtraMembers.links}}{{if eq .Rel "next" "prev"}} · <a href="{{.Href}}">{{.Rel}}</a>{{end}}{{end}}</p>
<table><tr><th>id</th>{{range .fields}}<th>{{.Name}}</th>{{end}}<th>geometry</th></tr>
{{$fields := .fields}}{{$c := .collection.id}}{{range .features.Features}}<tr><td><a href="/collections/{{$c}}/items/{{.ID}}?f=html">{{.ID}}</a></td>{{$p := .Properties}}{{range $fields}}<td>{{prop $p .Name}}</td>{{end}}<td>{{.Geometry.GeoJSONType}}</td></tr>{{end}}</table></body></html>{{end}}
{{define "item"}}{{template "head" .collection.id}}<h1>{{.collection.title}} · {{.feature.id}}</h1>
<table>{{$p := .feature.properties}}{{range .fields}}<tr><th>{{.Name}}</th><td>{{prop $p .Name}}</td></tr>{{end}}</table>
<p><a href="/collections/{{.collection.id}}/items/{{.feature.id}}">GeoJSON</a></p></body></html>{{end}}
{{define "api"}}{{template "head" "API"}}<h1>{{.title}} API</h1><p>The definition: <a href="/api">OpenAPI 3.0 JSON</a>.</p>
<table><tr><th>method</th><th>path</th><th>what</th></tr>{{range .ops}}<tr><td>{{.Method}}</td><td><code>{{.Path}}</code></td><td>{{.Summary}}</td></tr>{{end}}</table></body></html>{{end}}
`))

// writeHTML renders page with v.
func writeHTML(w http.ResponseWriter, r *http.Request, page string, v any) error {
	var buf bytes.Buffer
	if err := ogcHTML.ExecuteTemplate(&buf, page, v); err != nil {
		return fmt.Errorf("html %s: %w", page, err)
	}
	return writeBody(w, r, http.StatusOK, mediaHTML, buf.Bytes())
}
