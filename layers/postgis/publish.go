package postgis

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/maptile"
)

// IDKind is how a Source gives its features their ids.
type IDKind int

// The ways of giving ids.
const (
	// IDInteger takes an integer key column as the id.
	IDInteger IDKind = iota
	// IDKeyHash hashes a non-integer or composite key: stable while the key is.
	IDKeyHash
	// IDRowHash hashes the whole row (no key at all): stable while the row
	// is unchanged; an edited row is a delete and an insert.
	IDRowHash
)

// UserOwner is the owner (layers.Schema.Owner) of the layers published
// from the user's own tables and views: their one writer is the Poller.
const UserOwner = "postgis-user"

// idMask keeps ids within the 53 bits a JavaScript number holds exactly.
const idMask = 1<<53 - 1

// Source is one layer published from a relation or query of the user's
// database: what to select and as which layer.
type Source struct {
	// Schema is the layer served: its name, geometry type and fields.
	Schema layers.Schema
	// Origin names the source in messages: schema.table, or "sql" of a layer.
	Origin string
	// From is the SQL FROM item: a quoted relation or "(SELECT …) AS src".
	From string
	// Geometry is the geometry or geography column; Geography tells which.
	Geometry  string
	Geography bool
	// SRID is the column's declared SRID; 0 reads each row's own.
	SRID int
	// ID and IDColumns say how ids are made.
	ID        IDKind
	IDColumns []string
	// Exprs are the SQL expressions of Schema.Fields, in order.
	Exprs []string
	// Rows is the planner's estimate of the row count (-1 unknown).
	Rows int64
	// ZoomSet is true when Schema.MinZoom was chosen (configured, or a
	// role's); otherwise Publish sets it from the feature count.
	ZoomSet bool
	// Configured is true for a layer onemap.toml names: failing to read it
	// stops the start-up, where an automatic layer is only left out.
	Configured bool
}

// geomExpr is the SQL giving the source's geometry as 2D WKB in WGS84,
// reprojected by PostGIS (ST_Transform) when it is in another SRID.
func (s Source) geomExpr() string {
	g := pgx.Identifier{s.Geometry}.Sanitize()
	if s.Geography {
		g += "::geometry"
	}
	switch s.SRID {
	case SRID:
	case 0:
		// An unconstrained column: each row's own SRID; none (0) is taken as WGS84.
		g = fmt.Sprintf("CASE WHEN ST_SRID(%[1]s) IN (0, %[2]d) THEN %[1]s ELSE ST_Transform(%[1]s, %[2]d) END", g, SRID)
	default:
		g = fmt.Sprintf("ST_Transform(%s, %d)", g, SRID)
	}
	return "ST_AsBinary(ST_Force2D(" + g + "))"
}

// idExpr is the SQL of the id column, or "" when ids hash the row.
func (s Source) idExpr() string {
	switch s.ID {
	case IDInteger:
		return pgx.Identifier{s.IDColumns[0]}.Sanitize() + "::bigint"
	case IDKeyHash:
		parts := make([]string, len(s.IDColumns))
		for i, c := range s.IDColumns {
			parts[i] = pgx.Identifier{c}.Sanitize() + "::text"
		}
		return "concat_ws(E'\\x1f', " + strings.Join(parts, ", ") + ")"
	}
	return ""
}

// SelectSQL is the query reading the source: id (or a NULL placeholder),
// geometry, then the fields.
func (s Source) SelectSQL() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if e := s.idExpr(); e != "" {
		b.WriteString(e)
	} else {
		b.WriteString("NULL::text")
	}
	b.WriteString(", ")
	b.WriteString(s.geomExpr())
	for _, e := range s.Exprs {
		b.WriteString(", ")
		b.WriteString(e)
	}
	b.WriteString(" FROM ")
	b.WriteString(s.From)
	b.WriteString(" WHERE ")
	b.WriteString(pgx.Identifier{s.Geometry}.Sanitize())
	b.WriteString(" IS NOT NULL")
	return b.String()
}

// ReadStats tells what a read of a source left out.
type ReadStats struct {
	// Skipped rows had a geometry the layer cannot hold (or none readable).
	Skipped int
	// FirstSkip is why the first skipped row was.
	FirstSkip error
	// Collisions counts hashed ids that collided and were moved on.
	Collisions int
}

// ReadSource reads every feature of the source. Rows stream from the server
// (pgx reads the binary result row by row; nothing but the features is
// held), so a table of millions of rows needs memory for its features only.
func ReadSource(ctx context.Context, q querier, s Source) ([]layers.Feature, ReadStats, error) {
	var st ReadStats
	rows, err := q.Query(ctx, s.SelectSQL())
	if err != nil {
		return nil, st, fmt.Errorf("postgis: read %s: %w", s.Origin, err)
	}
	defer rows.Close()
	var intID pgtype.Int8
	var keyID pgtype.Text
	dest := make([]any, 2+len(s.Schema.Fields))
	if s.ID == IDInteger {
		dest[0] = &intID
	} else {
		dest[0] = &keyID
	}
	for i, f := range s.Schema.Fields {
		switch f.Type {
		case layers.Int:
			dest[2+i] = new(pgtype.Int8)
		case layers.Float:
			dest[2+i] = new(pgtype.Float8)
		case layers.Bool:
			dest[2+i] = new(pgtype.Bool)
		default:
			dest[2+i] = new(pgtype.Text)
		}
	}
	var out []layers.Feature
	seen := map[int64]struct{}{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, st, fmt.Errorf("postgis: read %s: %w", s.Origin, err)
		}
		raw := rows.RawValues()
		g, err := decodeAny(raw[1], s.Schema.Geometry)
		if err != nil {
			st.Skipped++
			if st.FirstSkip == nil {
				st.FirstSkip = err
			}
			continue
		}
		var id int64
		switch s.ID {
		case IDInteger:
			if !intID.Valid {
				st.Skipped++
				if st.FirstSkip == nil {
					st.FirstSkip = fmt.Errorf("id column %s is NULL", s.IDColumns[0])
				}
				continue
			}
			id = intID.Int64
		case IDKeyHash:
			id = hashID([]byte(keyID.String))
		default:
			id = hashID(raw[1:]...)
		}
		if s.ID != IDInteger {
			for {
				if _, dup := seen[id]; !dup {
					break
				}
				st.Collisions++
				id = (id + 1) & idMask
			}
			seen[id] = struct{}{}
		}
		props := make(map[string]any, len(s.Schema.Fields))
		for i, f := range s.Schema.Fields {
			switch v := dest[2+i].(type) {
			case *pgtype.Int8:
				if v.Valid {
					props[f.Name] = v.Int64
				}
			case *pgtype.Float8:
				if v.Valid {
					props[f.Name] = v.Float64
				}
			case *pgtype.Bool:
				if v.Valid {
					props[f.Name] = v.Bool
				}
			case *pgtype.Text:
				if v.Valid {
					props[f.Name] = v.String
				}
			}
		}
		out = append(out, layers.Feature{ID: id, Geometry: g, Properties: props})
	}
	if err := rows.Err(); err != nil {
		return nil, st, fmt.Errorf("postgis: read %s: %w", s.Origin, err)
	}
	return out, st, nil
}

// bounds is the bounding box of features.
func bounds(fs []layers.Feature) orb.Bound {
	if len(fs) == 0 {
		return orb.Bound{}
	}
	b := fs[0].Geometry.Bound()
	for i := 1; i < len(fs); i++ {
		b = b.Union(fs[i].Geometry.Bound())
	}
	return b
}

// hashID is a stable id from bytes: FNV-1a, within idMask.
func hashID(parts ...[]byte) int64 {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write(p)
		_, _ = h.Write([]byte{0x1f})
	}
	return int64(h.Sum64() & idMask)
}

// decodeAny parses WKB as the layer's type, or as whatever it is for a
// mixed layer (collections are not served: tiles have no such type).
func decodeAny(b []byte, t layers.GeomType) (orb.Geometry, error) {
	if t != layers.Geometry {
		return decodeGeometry(b, t)
	}
	if b == nil {
		return nil, errors.New("no geometry")
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode WKB: %w", err)
	}
	if _, ok := g.(orb.Collection); ok {
		return nil, errors.New("a GeometryCollection cannot be served")
	}
	return g, nil
}

// ColumnField is how a column of PostgreSQL type typ is published: the SQL
// expression reading it, its field type, and false for types that are not
// published (binary data, other geometries, rasters, text-search vectors).
// Numbers stay numbers, booleans booleans; dates, times and timestamps are
// ISO 8601 text, JSON and arrays their JSON text.
func ColumnField(name, typ string) (expr string, t layers.FieldType, ok bool) {
	c := pgx.Identifier{name}.Sanitize()
	switch typ {
	case "int2", "int4", "int8", "oid":
		return c + "::bigint", layers.Int, true
	case "float4", "float8", "numeric":
		return c + "::float8", layers.Float, true
	case "bool":
		return c, layers.Bool, true
	case "text", "varchar", "bpchar", "name", "char", "citext", "uuid":
		return c + "::text", layers.String, true
	case "bytea", "geometry", "geography", "raster", "tsvector", "tsquery", "box2d", "box3d":
		return "", "", false
	}
	if strings.HasPrefix(typ, "_") {
		return "to_json(" + c + ")::text", layers.String, true
	}
	// Dates, timestamps, intervals, json/jsonb, enums, hstore …: JSON's text
	// form (ISO 8601 for times), unquoted for scalars.
	return "to_json(" + c + ")#>>'{}'", layers.String, true
}

// MaxPerTile is the most features DefaultMinZoom lets a tile hold on
// average at a layer's first zoom.
const MaxPerTile = 5000

// DefaultMinZoom is the first zoom a layer of n features over bound is
// drawn at when its configuration does not say: the lowest zoom (0–16) at
// which the tiles covering bound hold at most MaxPerTile features on
// average, so that a big table's low-zoom tiles (and the start-up warm-up
// of them) stay light.
func DefaultMinZoom(n int, bound orb.Bound) int {
	for z := 0; z < 16; z++ {
		lo := maptile.At(orb.Point{bound.Min[0], bound.Max[1]}, maptile.Zoom(z))
		hi := maptile.At(orb.Point{bound.Max[0], bound.Min[1]}, maptile.Zoom(z))
		tiles := (int(hi.X) - int(lo.X) + 1) * (int(hi.Y) - int(lo.Y) + 1)
		if n <= MaxPerTile*tiles {
			return z
		}
	}
	return 16
}

// AutoOptions are the choices of automatic publication.
type AutoOptions struct {
	// Reserved names may not be taken by a table's bare name (onemap's
	// thematic layers, layers configured elsewhere): such tables are
	// published as schema.table.
	Reserved map[string]bool
	// Skip lists relations (schema.table) not to publish automatically.
	Skip map[string]bool
	// IDColumns names the id column of some relations (schema.table → column).
	IDColumns map[string]string
}

// AutoSources plans the publication of every table in ts as a layer of its
// own, with every column as a typed field. A table is named by its bare
// name unless two tables share it or it is reserved: then schema.table.
// Tables without a usable key are published with row-hash ids and a
// warning on log.
func AutoSources(ts []Table, opts AutoOptions, log *slog.Logger) []Source {
	count := map[string]int{}
	for _, t := range ts {
		count[t.Name]++
	}
	var out []Source
	for _, t := range ts {
		q := t.Schema + "." + t.Name
		if opts.Skip[q] {
			continue
		}
		name := t.Name
		if count[t.Name] > 1 || opts.Reserved[t.Name] {
			name = q
		}
		s := TableSource(t, name, opts.IDColumns[q], nil)
		if s.ID == IDRowHash {
			log.Warn("postgis: no primary key (or id column configured): features get ids hashed from the whole row, which change when the row is edited",
				"table", q, "layer", name)
		}
		out = append(out, s)
	}
	return out
}

// TableSource is the source publishing table t as layer name: its id from
// idColumn, else its primary key, else a hash of the row; its fields the
// columns named in columns (every publishable one when nil), in table order.
func TableSource(t Table, name, idColumn string, columns []string) Source {
	s := Source{
		Schema: layers.Schema{Name: name, TitleEN: t.Name, TitleZH: t.Comment, Geometry: t.GeomType, MaxZoom: 18,
			Description: fmt.Sprintf("%s %s", t.Kind, t.Schema+"."+t.Name), Source: "postgis:" + t.Schema + "." + t.Name, Owner: UserOwner},
		Origin: t.Schema + "." + t.Name, From: t.Qualified(), Geometry: t.Geometry, Geography: t.Geography,
		SRID: t.SRID, Rows: t.Rows,
	}
	key := t.PrimaryKey
	if idColumn != "" {
		key = []string{idColumn}
	}
	s.ID, s.IDColumns = IDRowHash, nil
	if len(key) > 0 {
		s.ID, s.IDColumns = IDKeyHash, key
		if len(key) == 1 {
			if c, ok := t.Column(key[0]); ok && (c.Type == "int2" || c.Type == "int4" || c.Type == "int8") {
				s.ID = IDInteger
			}
		}
	}
	want := map[string]bool{}
	for _, c := range columns {
		want[c] = true
	}
	for _, c := range t.Columns {
		if columns != nil && !want[c.Name] {
			continue
		}
		expr, ft, ok := ColumnField(c.Name, c.Type)
		if !ok {
			continue
		}
		s.Schema.Fields = append(s.Schema.Fields, layers.Field{Name: c.Name, Type: ft, TitleEN: c.Name})
		s.Exprs = append(s.Exprs, expr)
	}
	return s
}

// Publish reads every source, a few at once over the pool, and puts each
// into c as a layer. A configured source that cannot be read, or whose
// every row is refused (a geometry of the wrong type), is an error; an
// automatic one is logged and left out. It returns the sources published,
// with their schemas as put.
func Publish(ctx context.Context, pool *pgxpool.Pool, c *layers.Catalog, srcs []Source, log *slog.Logger) ([]Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	type result struct {
		i   int
		fs  []layers.Feature
		st  ReadStats
		err error
		ms  int64
	}
	results := make(chan result, len(srcs))
	sem := make(chan struct{}, max(1, int(pool.Config().MaxConns)/2))
	for i, s := range srcs {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			fs, st, err := ReadSource(ctx, pool, s)
			results <- result{i, fs, st, err, time.Since(start).Milliseconds()}
		}()
	}
	got := make([]result, len(srcs))
	for range srcs {
		r := <-results
		got[r.i] = r
	}
	var out []Source
	for i, s := range srcs {
		r := got[i]
		if r.err == nil && len(r.fs) == 0 && r.st.Skipped > 0 && s.Configured {
			r.err = fmt.Errorf("postgis: %s: none of its %d rows can be a %s feature: %w", s.Origin, r.st.Skipped, s.Schema.Geometry, r.st.FirstSkip)
		}
		if r.err != nil {
			if s.Configured {
				return nil, r.err
			}
			log.Warn("postgis: table left out", "table", s.Origin, "err", r.err)
			continue
		}
		if r.st.Skipped > 0 {
			log.Warn("postgis: rows left out", "layer", s.Schema.Name, "table", s.Origin, "rows", r.st.Skipped, "first", r.st.FirstSkip)
		}
		if s.Schema.Name == layers.Roads && len(r.fs) == 0 {
			// An empty road network cannot route: the layer is left out so
			// that dispatch says it has no roads instead of failing.
			log.Warn("postgis: the roads table is empty: dispatch is unavailable", "table", s.Origin)
			continue
		}
		if !s.ZoomSet {
			s.Schema.MinZoom = DefaultMinZoom(len(r.fs), bounds(r.fs))
			s.ZoomSet = true
		}
		if _, err := c.Put(s.Schema, r.fs); err != nil {
			return nil, fmt.Errorf("postgis: publish %s: %w", s.Origin, err)
		}
		log.Info("postgis: layer published", "layer", s.Schema.Name, "table", s.Origin, "features", len(r.fs),
			"geometry", s.Schema.Geometry, "srid", s.SRID, "fields", len(s.Schema.Fields), "ms", r.ms)
		out = append(out, s)
	}
	return out, nil
}
