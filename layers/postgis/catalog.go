package postgis

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/onemap/onemap/layers"
)

// SystemSchemas are never published: PostgreSQL's own, and those of the
// PostGIS topology and TIGER geocoder extensions.
var systemSchemas = []string{"pg_catalog", "information_schema", "pg_toast", "topology", "tiger", "tiger_data"}

// Table is a relation (table, view, materialized view, foreign or
// partitioned table) with a geometry or geography column that the role
// may read: what Discover finds and Publish serves.
type Table struct {
	OID    uint32
	Schema string
	Name   string
	// Kind is table, view, materialized view, foreign table or partitioned table.
	Kind string
	// Geometry is the first geometry or geography column; Geography tells which.
	Geometry  string
	Geography bool
	// SRID is the column's declared SRID (0 when unconstrained, as in most
	// views: each row's own SRID is used then).
	SRID int
	// GeomType is the column's declared type (layers.Geometry when any).
	GeomType layers.GeomType
	// Columns are every column, the geometry's too, in table order.
	Columns []Column
	// PrimaryKey names the primary key's columns (none for views).
	PrimaryKey []string
	// Rows is the planner's estimate of the row count (-1 when unknown).
	Rows int64
	// Comment is the relation's COMMENT, used as its Chinese title.
	Comment string
}

// Column is one attribute of a Table.
type Column struct {
	Name string
	// Type is the PostgreSQL type name (int4, text, jsonb, _int4 for arrays …).
	Type string
	// SRID and GeomType are declared for geometry and geography columns.
	SRID     int
	GeomType layers.GeomType
}

// Qualified is schema.name, quoted for SQL.
func (t Table) Qualified() string { return pgx.Identifier{t.Schema, t.Name}.Sanitize() }

// Column returns the named column.
func (t Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Discover lists the relations with a geometry or geography column that the
// role can read, in schema then name order. schemas limits the search: nil
// or empty means the schemas of the search path; "*" means every schema
// but the system ones. It only reads the system catalogs.
func Discover(ctx context.Context, q querier, schemas []string) ([]Table, error) {
	all := false
	for _, s := range schemas {
		if s == "*" {
			all = true
		}
	}
	var filter any // NULL: the search path
	if len(schemas) > 0 && !all {
		filter = schemas
	}
	return discover(ctx, q, `n.nspname <> ALL($1) AND n.nspname NOT LIKE 'pg\_%'
		  AND CASE WHEN $2::text[] IS NOT NULL THEN n.nspname = ANY($2)
		           WHEN $3 THEN true
		           ELSE n.nspname = ANY(current_schemas(false)) END`, systemSchemas, filter, all)
}

// DescribeTable finds the relation name (schema-qualified or on the search
// path) and describes it as Discover would, or says why it cannot be
// served: it does not exist, the role may not read it, it has no geometry.
func DescribeTable(ctx context.Context, q querier, name string) (Table, error) {
	var oid *uint32
	var readable bool
	rows, err := q.Query(ctx, `SELECT to_regclass($1)::oid, coalesce(has_table_privilege(to_regclass($1), 'SELECT'), false)`, name)
	if err != nil {
		return Table{}, fmt.Errorf("postgis: describe %s: %w", name, err)
	}
	for rows.Next() {
		if err := rows.Scan(&oid, &readable); err != nil {
			rows.Close()
			return Table{}, fmt.Errorf("postgis: describe %s: %w", name, err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		// A malformed name (unbalanced quotes …) is the caller's mistake.
		return Table{}, fmt.Errorf("%w: %v", ErrNoTable, err)
	}
	if oid == nil {
		return Table{}, fmt.Errorf("%w: no table or view %s on the search path", ErrNoTable, name)
	}
	if !readable {
		return Table{}, fmt.Errorf("%w: the role may not read %s (GRANT SELECT ON %s TO the role)", ErrUnreadable, name, name)
	}
	ts, err := discover(ctx, q, "c.oid = $1", *oid)
	if err != nil {
		return Table{}, err
	}
	if len(ts) == 0 {
		return Table{}, fmt.Errorf("%w: %s has no geometry or geography column", ErrNoGeometry, name)
	}
	return ts[0], nil
}

// The reasons DescribeTable refuses a relation.
var (
	ErrNoTable    = errors.New("no such table")
	ErrUnreadable = errors.New("table not readable")
	ErrNoGeometry = errors.New("no geometry column")
)

// discover describes the readable relations with a geometry column that
// meet cond (SQL on pg_namespace n and pg_class c, with args).
func discover(ctx context.Context, q querier, cond string, args ...any) ([]Table, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT ON (c.oid) c.oid, n.nspname, c.relname, c.relkind::text, a.attname, t.typname = 'geography',
		coalesce(postgis_typmod_srid(a.atttypmod), 0), coalesce(postgis_typmod_type(a.atttypmod), 'Geometry'),
		c.reltuples::bigint, coalesce(obj_description(c.oid, 'pg_class'), '')
		FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_type t ON t.oid = a.atttypid
		WHERE t.typname IN ('geometry', 'geography') AND a.attnum > 0 AND NOT a.attisdropped
		  AND c.relkind IN ('r', 'v', 'm', 'p', 'f') AND NOT c.relispartition
		  AND `+cond+`
		  AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
		ORDER BY c.oid, a.attnum`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgis: discover tables: %w", err)
	}
	var out []Table
	byOID := map[uint32]int{}
	for rows.Next() {
		var t Table
		var kind, gtype string
		if err := rows.Scan(&t.OID, &t.Schema, &t.Name, &kind, &t.Geometry, &t.Geography, &t.SRID, &gtype, &t.Rows, &t.Comment); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgis: discover tables: %w", err)
		}
		t.Kind = relKind(kind)
		t.GeomType = geomType(gtype)
		if t.Geography && t.SRID == 0 {
			t.SRID = SRID
		}
		if t.Kind == "view" {
			t.Rows = -1
		}
		byOID[t.OID] = len(out)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgis: discover tables: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	for i, t := range out {
		byOID[t.OID] = i
	}
	if len(out) == 0 {
		return nil, nil
	}
	oids := make([]uint32, 0, len(out))
	for _, t := range out {
		oids = append(oids, t.OID)
	}
	rows, err = q.Query(ctx, `SELECT a.attrelid, a.attname, CASE WHEN t.typcategory = 'A' THEN '_' ELSE '' END || coalesce(et.typname, t.typname),
		CASE WHEN t.typname IN ('geometry', 'geography') THEN coalesce(postgis_typmod_srid(a.atttypmod), 0) ELSE 0 END,
		CASE WHEN t.typname IN ('geometry', 'geography') THEN coalesce(postgis_typmod_type(a.atttypmod), 'Geometry') ELSE '' END
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
		WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum`, oids)
	if err != nil {
		return nil, fmt.Errorf("postgis: discover columns: %w", err)
	}
	for rows.Next() {
		var oid uint32
		var c Column
		var gtype string
		if err := rows.Scan(&oid, &c.Name, &c.Type, &c.SRID, &gtype); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgis: discover columns: %w", err)
		}
		if gtype != "" {
			c.GeomType = geomType(gtype)
			if c.Type == "geography" && c.SRID == 0 {
				c.SRID = SRID
			}
		}
		t := &out[byOID[oid]]
		t.Columns = append(t.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgis: discover columns: %w", err)
	}
	rows, err = q.Query(ctx, `SELECT i.indrelid, array_agg(a.attname ORDER BY k.ord)
		FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indisprimary AND i.indrelid = ANY($1) GROUP BY i.indrelid`, oids)
	if err != nil {
		return nil, fmt.Errorf("postgis: discover primary keys: %w", err)
	}
	for rows.Next() {
		var oid uint32
		var cols []string
		if err := rows.Scan(&oid, &cols); err != nil {
			rows.Close()
			return nil, fmt.Errorf("postgis: discover primary keys: %w", err)
		}
		out[byOID[oid]].PrimaryKey = cols
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgis: discover primary keys: %w", err)
	}
	return out, nil
}

// DescribeQuery describes the result of an SQL query as a Table named
// name: its columns and their types (from the server's description of the
// result, without running the query through), its first geometry column.
func DescribeQuery(ctx context.Context, q querier, name, sql string) (Table, error) {
	rows, err := q.Query(ctx, "SELECT * FROM ("+sql+") AS src LIMIT 0")
	if err != nil {
		return Table{}, fmt.Errorf("postgis: describe the sql of %s: %w", name, err)
	}
	fds := rows.FieldDescriptions()
	type col struct {
		name   string
		oid    uint32
		typmod int32
	}
	cols := make([]col, len(fds))
	oids := make([]uint32, len(fds))
	for i, fd := range fds {
		cols[i] = col{fd.Name, fd.DataTypeOID, fd.TypeModifier}
		oids[i] = fd.DataTypeOID
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Table{}, fmt.Errorf("postgis: describe the sql of %s: %w", name, err)
	}
	rows, err = q.Query(ctx, `SELECT t.oid, CASE WHEN t.typcategory = 'A' THEN '_' ELSE '' END || coalesce(et.typname, t.typname)
		FROM pg_type t LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A' WHERE t.oid = ANY($1)`, oids)
	if err != nil {
		return Table{}, fmt.Errorf("postgis: describe the sql of %s: %w", name, err)
	}
	names := map[uint32]string{}
	for rows.Next() {
		var oid uint32
		var n string
		if err := rows.Scan(&oid, &n); err != nil {
			rows.Close()
			return Table{}, fmt.Errorf("postgis: describe the sql of %s: %w", name, err)
		}
		names[oid] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Table{}, fmt.Errorf("postgis: describe the sql of %s: %w", name, err)
	}
	t := Table{Name: name, Kind: "query", Rows: -1}
	for _, c := range cols {
		typ := names[c.oid]
		t.Columns = append(t.Columns, Column{Name: c.name, Type: typ})
		if t.Geometry == "" && (typ == "geometry" || typ == "geography") {
			t.Geometry, t.Geography = c.name, typ == "geography"
			t.SRID, t.GeomType = typmodSRID(c.typmod), typmodType(c.typmod)
			if t.Geography && t.SRID == 0 {
				t.SRID = SRID
			}
		}
	}
	if t.Geometry == "" {
		return t, fmt.Errorf("%w: the sql of %s selects no geometry or geography column", ErrNoGeometry, name)
	}
	return t, nil
}

// typmodSRID and typmodType decode a PostGIS geometry type modifier (as
// liblwgeom's TYPMOD_GET_SRID and TYPMOD_GET_TYPE do); -1 is unconstrained.
func typmodSRID(m int32) int {
	if m < 0 {
		return 0
	}
	return int(((m & 0x0FFFFF00) - (m & 0x10000000)) >> 8)
}

func typmodType(m int32) layers.GeomType {
	if m < 0 {
		return layers.Geometry
	}
	switch (m & 0x000000FC) >> 2 {
	case 1:
		return layers.Point
	case 2:
		return layers.LineString
	case 3:
		return layers.Polygon
	case 4:
		return layers.MultiPoint
	case 5:
		return layers.MultiLineString
	case 6:
		return layers.MultiPolygon
	}
	return layers.Geometry
}

func relKind(k string) string {
	switch k {
	case "v":
		return "view"
	case "m":
		return "materialized view"
	case "p":
		return "partitioned table"
	case "f":
		return "foreign table"
	}
	return "table"
}

// geomType maps a PostGIS typmod type name (Point, MultiPolygonZ, Geometry …)
// to a layer geometry type; anything else is layers.Geometry.
func geomType(s string) layers.GeomType {
	s = strings.ToUpper(s)
	for _, suffix := range []string{"ZM", "Z", "M"} {
		if t, ok := strings.CutSuffix(s, suffix); ok && t != "" {
			s = t
			break
		}
	}
	for _, t := range []layers.GeomType{layers.Point, layers.LineString, layers.Polygon,
		layers.MultiPoint, layers.MultiLineString, layers.MultiPolygon} {
		if strings.ToUpper(string(t)) == s {
			return t
		}
	}
	return layers.Geometry
}
