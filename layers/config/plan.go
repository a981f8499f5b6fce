package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
)

// Querier is what planning needs of a database connection.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Plan is what a server publishes from the user's database.
type Plan struct {
	// Sources are the layers to read, configured ones first.
	Sources []postgis.Source
	// Configured names the layers onemap.toml names (their one writer is
	// the user's table: onemap's own tables must not also fill them).
	Configured map[string]bool
}

// Build checks f against the database and plans every layer: those f names
// (each checked: the table exists and is readable, has a geometry of the
// role's shape, every column named exists, the role's required fields are
// mapped), then, when f publishes automatically, every other readable
// table and view with a geometry in f's schemas. skip lists relations
// (schema.table) never published automatically (onemap's own tables). A
// mismatch is an *Error; warnings (defaulted fields, tables without a key)
// go to log.
func Build(ctx context.Context, q Querier, f *File, skip map[string]bool, log *slog.Logger) (*Plan, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Plan{Configured: map[string]bool{}}
	used := map[string]bool{}
	for i := range f.Layers {
		l := &f.Layers[i]
		var t postgis.Table
		var err error
		if l.Table != "" {
			t, err = postgis.DescribeTable(ctx, q, l.Table)
		} else {
			t, err = postgis.DescribeQuery(ctx, q, l.Name, l.SQL)
		}
		if err != nil {
			return nil, tableError(l, err)
		}
		if l.Table != "" {
			used[t.Schema+"."+t.Name] = true
		}
		s, err := layerSource(l, t, log)
		if err != nil {
			return nil, err
		}
		s.Configured = true
		p.Sources = append(p.Sources, s)
		p.Configured[s.Schema.Name] = true
	}
	if !f.Auto() {
		return p, nil
	}
	ts, err := postgis.Discover(ctx, q, f.PostGIS.Schemas)
	if err != nil {
		return nil, err
	}
	reserved := map[string]bool{}
	for _, s := range layers.ThematicSchemas(false) {
		reserved[s.Name] = true
	}
	for n := range p.Configured {
		reserved[n] = true
	}
	skipAll := map[string]bool{}
	for k := range skip {
		skipAll[k] = true
	}
	for k := range used {
		skipAll[k] = true
	}
	p.Sources = append(p.Sources, postgis.AutoSources(ts, postgis.AutoOptions{Reserved: reserved, Skip: skipAll}, log)...)
	return p, nil
}

// tableError turns a failure to describe l's table or query into an Error.
func tableError(l *Layer, err error) error {
	e := &Error{Layer: l.Name, Table: l.Table, Msg: err.Error()}
	if l.Table == "" {
		e.Table = "(sql)"
	}
	if !errors.Is(err, postgis.ErrNoTable) && !errors.Is(err, postgis.ErrUnreadable) && !errors.Is(err, postgis.ErrNoGeometry) && l.Table != "" {
		return err // the database failed, not the file
	}
	return e
}

// layerSource plans one configured layer over its described table.
func layerSource(l *Layer, t postgis.Table, log *slog.Logger) (postgis.Source, error) {
	origin := l.Table
	if origin == "" {
		origin = "(sql)"
	} else {
		origin = t.Schema + "." + t.Name
	}
	bad := func(col, format string, args ...any) error {
		return &Error{Layer: l.Name, Table: origin, Column: col, Msg: fmt.Sprintf(format, args...)}
	}
	if l.Geometry != "" {
		c, ok := t.Column(l.Geometry)
		if !ok {
			return postgis.Source{}, bad(l.Geometry, "no such column (geometry)")
		}
		if c.Type != "geometry" && c.Type != "geography" {
			return postgis.Source{}, bad(l.Geometry, "is %s, not a geometry or geography", c.Type)
		}
		t.Geometry, t.Geography, t.SRID, t.GeomType = c.Name, c.Type == "geography", c.SRID, c.GeomType
	}
	for _, c := range l.Columns {
		if _, ok := t.Column(c); !ok {
			return postgis.Source{}, bad(c, "no such column (columns)")
		}
	}
	for c := range l.Rename {
		if _, ok := t.Column(c); !ok {
			return postgis.Source{}, bad(c, "no such column (rename)")
		}
	}
	if l.ID != "" {
		c, ok := t.Column(l.ID)
		if !ok {
			return postgis.Source{}, bad(l.ID, "no such column (id)")
		}
		if _, _, ok := postgis.ColumnField(c.Name, c.Type); !ok {
			return postgis.Source{}, bad(l.ID, "is %s, which cannot be an id", c.Type)
		}
	}
	from := t.Qualified()
	if l.SQL != "" {
		from = "(" + l.SQL + ") AS src"
	}
	var s postgis.Source
	if l.Role == "" {
		s = postgis.TableSource(t, l.Name, l.ID, l.Columns)
		for i := range s.Schema.Fields {
			if to, ok := l.Rename[s.Schema.Fields[i].Name]; ok {
				s.Schema.Fields[i].Name, s.Schema.Fields[i].TitleEN = to, to
			}
		}
	} else {
		var err error
		if s, err = roleSource(l, t, origin, log); err != nil {
			return s, err
		}
	}
	if l.SQL != "" && l.ID == "" {
		s.ID, s.IDColumns = postgis.IDRowHash, nil
		log.Warn("onemap.toml: a layer from sql without an id column: features get ids hashed from the whole row", "layer", l.Name)
	} else if s.ID == postgis.IDRowHash {
		log.Warn("onemap.toml: no primary key and no id column: features get ids hashed from the whole row, which change when the row is edited",
			"layer", l.Name, "table", origin)
	}
	s.From, s.Origin = from, origin
	if l.SQL != "" {
		s.Schema.Source = "postgis:sql"
	}
	if l.TitleZH != "" {
		s.Schema.TitleZH = l.TitleZH
	}
	if l.TitleEN != "" {
		s.Schema.TitleEN = l.TitleEN
	}
	if l.MinZoom != nil {
		s.Schema.MinZoom = *l.MinZoom
		s.ZoomSet = true
	}
	if l.MaxZoom != nil {
		s.Schema.MaxZoom = *l.MaxZoom
	}
	return s, nil
}

// roleSource maps t's columns onto the role's thematic fields, then
// publishes the other columns as they are.
func roleSource(l *Layer, t postgis.Table, origin string, log *slog.Logger) (postgis.Source, error) {
	r := Roles[l.Role]
	th := thematic(r.Layer)
	bad := func(col, format string, args ...any) error {
		return &Error{Layer: l.Name, Table: origin, Column: col, Msg: fmt.Sprintf(format, args...)}
	}
	// The layer keeps the thematic type, but holds the multi form when the
	// source does (a road of several parts stays one feature).
	geom := th.Geometry
	shape, known := shapeOf(t.GeomType)
	if known && shape != r.Shape {
		return postgis.Source{}, bad(t.Geometry, "is %s, but role %s needs %s", t.GeomType, l.Role, r.Shape)
	}
	if strings.HasPrefix(string(t.GeomType), "Multi") && !strings.HasPrefix(string(geom), "Multi") {
		geom = t.GeomType
	}
	if !known && r.Shape == Areas {
		geom = layers.MultiPolygon
	}
	for field := range l.Fields {
		if _, ok := th.Field(field); !ok {
			names := make([]string, len(th.Fields))
			for i, f := range th.Fields {
				names[i] = f.Name
			}
			return postgis.Source{}, &Error{Layer: l.Name, Msg: fmt.Sprintf("role %s has no field %q (it has %s)", l.Role, field, strings.Join(names, ", "))}
		}
	}
	s := postgis.TableSource(t, l.Name, l.ID, []string{})
	s.Schema.Geometry = geom
	s.Schema.Fields = nil
	s.Schema.MinZoom, s.Schema.MaxZoom = th.MinZoom, th.MaxZoom
	s.Schema.TitleZH, s.Schema.TitleEN = th.TitleZH, th.TitleEN
	s.Schema.Labels, s.Schema.LabelMinZoom = th.Labels, th.LabelMinZoom
	s.ZoomSet = true
	mapped := map[string]bool{}
	var defaulted []string
	for _, f := range th.Fields {
		col, ok := l.Fields[f.Name]
		if !ok {
			if _, same := t.Column(f.Name); same {
				col, ok = f.Name, true
			}
		}
		var expr string
		switch {
		case ok:
			c, found := t.Column(col)
			if !found {
				return postgis.Source{}, bad(col, "no such column (fields.%s)", f.Name)
			}
			e, err := castTo(c, f.Type)
			if err != nil {
				return postgis.Source{}, bad(col, "fields.%s: %v", f.Name, err)
			}
			expr = e
			mapped[col] = true
		case l.Defaults[f.Name] != nil:
			e, err := literal(l.Defaults[f.Name], f.Type)
			if err != nil {
				return postgis.Source{}, &Error{Layer: l.Name, Msg: fmt.Sprintf("defaults.%s: %v", f.Name, err)}
			}
			expr = e
		case r.Defaults[f.Name] != nil:
			expr, _ = literal(r.Defaults[f.Name], f.Type)
			defaulted = append(defaulted, fmt.Sprintf("%s=%v", f.Name, r.Defaults[f.Name]))
		default:
			for _, req := range r.Required {
				if req == f.Name {
					return postgis.Source{}, bad(f.Name, "role %s needs field %s: name its column in [layers.fields] (%s = \"…\")", l.Role, f.Name, f.Name)
				}
			}
			defaulted = append(defaulted, f.Name+"=(none)")
			expr = "NULL::" + postgis.ColumnType(f.Type)
		}
		s.Schema.Fields = append(s.Schema.Fields, f)
		s.Exprs = append(s.Exprs, expr)
	}
	if len(defaulted) > 0 {
		sort.Strings(defaulted)
		log.Warn("onemap.toml: fields of the role no column holds take defaults", "layer", l.Name, "role", l.Role, "table", origin,
			"defaults", strings.Join(defaulted, ", "))
	}
	// The user's other columns are published beside the role's fields.
	want := map[string]bool{}
	for _, c := range l.Columns {
		want[c] = true
	}
	for _, c := range t.Columns {
		if mapped[c.Name] || len(l.Columns) > 0 && !want[c.Name] {
			continue
		}
		name := c.Name
		if to, ok := l.Rename[c.Name]; ok {
			name = to
		}
		if _, clash := th.Field(name); clash {
			continue
		}
		expr, ft, ok := postgis.ColumnField(c.Name, c.Type)
		if !ok {
			continue
		}
		s.Schema.Fields = append(s.Schema.Fields, layers.Field{Name: name, Type: ft, TitleEN: name})
		s.Exprs = append(s.Exprs, expr)
	}
	return s, nil
}

// castTo is the SQL reading column c as a field of type ft. Text becomes a
// number where it holds one (else NULL) and a boolean from yes/true/1/是.
func castTo(c postgis.Column, ft layers.FieldType) (string, error) {
	id := pgx.Identifier{c.Name}.Sanitize()
	num := c.Type == "int2" || c.Type == "int4" || c.Type == "int8" || c.Type == "float4" || c.Type == "float8" || c.Type == "numeric"
	text := c.Type == "text" || c.Type == "varchar" || c.Type == "bpchar" || c.Type == "name" || c.Type == "citext"
	const number = `'^\s*[-+]?[0-9]+(\.[0-9]*)?\s*$'`
	switch ft {
	case layers.Int:
		switch {
		case num:
			return "round(" + id + "::numeric)::bigint", nil
		case text:
			return "CASE WHEN " + id + " ~ " + number + " THEN round(" + id + "::numeric)::bigint END", nil
		}
	case layers.Float:
		switch {
		case num:
			return id + "::float8", nil
		case text:
			return "CASE WHEN " + id + " ~ " + number + " THEN " + id + "::float8 END", nil
		}
	case layers.Bool:
		switch {
		case c.Type == "bool":
			return id, nil
		case num:
			return "(" + id + " <> 0)", nil
		case text:
			return "CASE WHEN " + id + " IS NOT NULL THEN lower(trim(" + id + ")) IN ('yes', 'true', 't', 'y', '1', '是') END", nil
		}
	default:
		if e, _, ok := postgis.ColumnField(c.Name, c.Type); ok {
			return e, nil
		}
	}
	return "", fmt.Errorf("a %s column cannot be a %s field", c.Type, ft)
}

// literal is the SQL constant of a default value of type ft.
func literal(v any, ft layers.FieldType) (string, error) {
	switch ft {
	case layers.Int:
		switch x := v.(type) {
		case int64:
			return fmt.Sprintf("%d::bigint", x), nil
		case float64:
			return fmt.Sprintf("%d::bigint", int64(x)), nil
		}
	case layers.Float:
		switch x := v.(type) {
		case int64:
			return fmt.Sprintf("%d::float8", x), nil
		case float64:
			return fmt.Sprintf("%g::float8", x), nil
		}
	case layers.Bool:
		if x, ok := v.(bool); ok {
			return fmt.Sprintf("%t", x), nil
		}
	default:
		if x, ok := v.(string); ok {
			return "'" + strings.ReplaceAll(x, "'", "''") + "'::text", nil
		}
	}
	return "", fmt.Errorf("%v is not a %s", v, ft)
}
