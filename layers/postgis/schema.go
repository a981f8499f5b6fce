package postgis

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/onemap/onemap/layers"
)

// schemaSQL is the hand-written part of the schema: the non-spatial tables,
// the district row and the trigger functions.
//
//go:embed schema.sql
var schemaSQL string

// SRID is the spatial reference of every geometry column: WGS84 lon/lat.
const SRID = 4326

// Channel is the NOTIFY channel on which the layer tables' triggers report
// every inserted, updated or deleted row.
const Channel = "onemap_changes"

// BulkSetting is the configuration parameter that, set to 'on' for a
// transaction, silences the per-row change notifications (bulk loads send
// one "reload" per table instead).
const BulkSetting = "onemap.bulk"

// SchemaSQL returns the whole DDL of onemap's tables: schema.sql followed by
// the table of every thematic layer (LayerSQL). Running it again changes
// nothing, and adds the columns of fields added to a layer since.
func SchemaSQL() string {
	var b strings.Builder
	b.WriteString(schemaSQL)
	for _, s := range layers.SourceSchemas(layers.OwnerPostGIS, false) {
		b.WriteString("\n")
		b.WriteString(LayerSQL(s))
	}
	return b.String()
}

// LayerSQL returns the idempotent DDL of one layer's table, named as the
// layer: id bigint primary key, geom of the layer's type in SRID 4326, one
// column per field (ColumnType), updated_at; a GiST index on geom; a
// trigger keeping updated_at current and one notifying Channel of every row
// change. It expects the functions of schema.sql.
func LayerSQL(s layers.Schema) string {
	t := quoteIdent(s.Name)
	reg := quoteLiteral(t)
	var b strings.Builder
	fmt.Fprintf(&b, "-- Layer %s (%s).\nCREATE TABLE IF NOT EXISTS %s (\n    id bigint PRIMARY KEY,\n    geom %s NOT NULL,\n", s.Name, s.TitleEN, t, GeometryType(s.Geometry))
	for _, f := range s.Fields {
		fmt.Fprintf(&b, "    %s %s,\n", quoteIdent(f.Name), ColumnType(f.Type))
	}
	b.WriteString("    updated_at timestamptz NOT NULL DEFAULT now()\n);\n")
	// Fields added to the schema after the table was made; checked first so
	// that a migration of an up-to-date table takes no lock.
	if len(s.Fields) > 0 {
		b.WriteString("DO $do$ BEGIN\n")
		for _, f := range s.Fields {
			fmt.Fprintf(&b, "    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s AND NOT attisdropped) THEN\n        ALTER TABLE %s ADD COLUMN %s %s;\n    END IF;\n",
				reg, quoteLiteral(f.Name), t, quoteIdent(f.Name), ColumnType(f.Type))
		}
		b.WriteString("END $do$;\n")
	}
	fmt.Fprintf(&b, "CREATE INDEX IF NOT EXISTS %s ON %s USING gist (geom);\n", quoteIdent(s.Name+"_geom_idx"), t)
	fmt.Fprintf(&b, `DO $do$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = %[1]s::regclass AND tgname = 'onemap_touch') THEN
        CREATE TRIGGER onemap_touch BEFORE UPDATE ON %[2]s FOR EACH ROW EXECUTE FUNCTION onemap_touch();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = %[1]s::regclass AND tgname = 'onemap_notify') THEN
        CREATE TRIGGER onemap_notify AFTER INSERT OR UPDATE OR DELETE ON %[2]s FOR EACH ROW
            WHEN (coalesce(current_setting('%[3]s', true), '') <> 'on')
            EXECUTE FUNCTION onemap_notify();
    END IF;
END $do$;
`, reg, t, BulkSetting)
	return b.String()
}

// ColumnType is the PostgreSQL type of the column holding a field of type t.
func ColumnType(t layers.FieldType) string {
	switch t {
	case layers.Int:
		return "bigint"
	case layers.Float:
		return "double precision"
	case layers.Bool:
		return "boolean"
	default:
		return "text"
	}
}

// GeometryType is the PostGIS column type of a layer geometry, such as
// geometry(MultiPolygon,4326).
func GeometryType(g layers.GeomType) string {
	return fmt.Sprintf("geometry(%s,%d)", g, SRID)
}

// quoteIdent quotes a table or column name for SQL.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
