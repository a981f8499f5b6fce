package postgis

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// nonSpatial lists the tables of data.District other than the layers.
func nonSpatial() []string {
	return []string{"onemap_district", "grid_ages", "grid_groups", "grid_births", "school_catchments", "school_enrolment", "housing_projects"}
}

// Write replaces the whole content of onemap's tables with d, in one
// transaction, using COPY. The tables must exist (Migrate). Every feature
// must have a geometry of its layer's type (a single geometry is promoted
// to the multi type the layer declares) and only the layer's fields as
// properties, of their field's type; anything else is an error naming the
// layer, feature and field, and nothing is written. The per-row change
// notifications are silenced for the load; listeners get one "reload" per
// layer table when it commits.
func Write(ctx context.Context, pool *pgxpool.Pool, d *data.District) error {
	return WriteProgress(ctx, pool, d, nil)
}

// Progress is told, while a table is copied, how many of its rows are in.
type Progress func(table string, rows, total int)

// WriteProgress is Write telling progress (if not nil) how each table's
// COPY advances.
func WriteProgress(ctx context.Context, pool *pgxpool.Pool, d *data.District, progress Progress) error {
	schemas := layers.SourceSchemas(layers.OwnerPostGIS, d.Synthetic)
	known := make(map[string]bool, len(schemas))
	tables := nonSpatial()
	for _, s := range schemas {
		known[s.Name] = true
		tables = append(tables, s.Name)
	}
	var unknown []string
	for name := range d.Layers {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("postgis: write: no table for layers %v", unknown)
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgis: write: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT set_config($1, 'on', true)", BulkSetting); err != nil {
		return fmt.Errorf("postgis: write: %w", err)
	}
	quoted := ""
	for i, t := range tables {
		if i > 0 {
			quoted += ", "
		}
		quoted += pgx.Identifier{t}.Sanitize()
	}
	if _, err := tx.Exec(ctx, "TRUNCATE "+quoted); err != nil {
		return fmt.Errorf("postgis: write: truncate: %w", err)
	}
	for _, s := range schemas {
		if err := copyLayer(ctx, tx, s, d.Layers[s.Name], progress); err != nil {
			return err
		}
	}
	if err := copyTables(ctx, tx, d, progress); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO onemap_district (name, name_en, synthetic, year) VALUES ($1, $2, $3, $4)",
		d.Name, d.NameEN, d.Synthetic, d.Year); err != nil {
		return fmt.Errorf("postgis: write onemap_district: %w", err)
	}
	names := make([]string, len(schemas))
	for i, s := range schemas {
		names[i] = s.Name
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, json_build_object('schema', current_schema(), 'table', t, 'op', 'reload')::text)
		FROM unnest($2::text[]) AS t`, Channel, names); err != nil {
		return fmt.Errorf("postgis: write: notify: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgis: write: commit: %w", err)
	}
	// Fresh statistics so that the planner uses the GiST indexes at once.
	if _, err := pool.Exec(ctx, "ANALYZE "+quoted); err != nil {
		return fmt.Errorf("postgis: write: analyze: %w", err)
	}
	return nil
}

// copyLayer COPYs a layer's features into its table.
func copyLayer(ctx context.Context, tx pgx.Tx, s layers.Schema, fs []layers.Feature, progress Progress) error {
	cols := make([]string, 0, 2+len(s.Fields))
	cols = append(cols, "id", "geom")
	for _, f := range s.Fields {
		cols = append(cols, f.Name)
	}
	row := make([]any, len(cols)) // reused: COPY encodes each row before asking for the next
	src := pgx.CopyFromSlice(len(fs), func(i int) ([]any, error) {
		f := &fs[i]
		if progress != nil && (i%50_000 == 0 || i == len(fs)-1) {
			progress(s.Name, i+1, len(fs))
		}
		if err := rowValues(row, s, f); err != nil {
			return nil, fmt.Errorf("feature %d: %w", f.ID, err)
		}
		return row, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{s.Name}, cols, src); err != nil {
		return fmt.Errorf("postgis: write %s: %w", s.Name, err)
	}
	return nil
}

// rowValues fills row with the column values of f: id, WKB geometry, then
// the fields (nil for an absent property).
func rowValues(row []any, s layers.Schema, f *layers.Feature) error {
	g, err := conform(f.Geometry, s.Geometry)
	if err != nil {
		return err
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		return fmt.Errorf("encode WKB: %w", err)
	}
	row[0], row[1] = f.ID, b
	present := 0
	for i, fd := range s.Fields {
		p, ok := f.Properties[fd.Name]
		if ok {
			present++
		}
		v, err := columnValue(p, fd.Type)
		if err != nil {
			return fmt.Errorf("field %q: %w", fd.Name, err)
		}
		row[2+i] = v
	}
	if present != len(f.Properties) {
		for k := range f.Properties {
			if _, ok := s.Field(k); !ok {
				return fmt.Errorf("property %q is not a field of the layer", k)
			}
		}
	}
	return nil
}

// columnValue converts a property to the value its column stores: int64,
// float64, string or bool, or nil for NULL. Other integer and float kinds
// are accepted where they convert exactly.
func columnValue(v any, t layers.FieldType) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case layers.Int:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		case int8:
			return int64(x), nil
		case uint32:
			return int64(x), nil
		case uint16:
			return int64(x), nil
		case uint8:
			return int64(x), nil
		}
	case layers.Float:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case int:
			return float64(x), nil
		}
	case layers.Bool:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case layers.String:
		if x, ok := v.(string); ok {
			return x, nil
		}
	}
	return nil, fmt.Errorf("value %v (%T) is not of type %s", v, v, t)
}

// copyTables COPYs the district's non-spatial tables.
func copyTables(ctx context.Context, tx pgx.Tx, d *data.District, progress Progress) error {
	type table struct {
		name string
		cols []string
		src  pgx.CopyFromSource
	}
	ts := []table{
		{"grid_ages", []string{"grid", "age", "residents", "floating"}, pgx.CopyFromSlice(len(d.Ages), func(i int) ([]any, error) {
			r := d.Ages[i]
			return []any{r.Grid, r.Age, r.Residents, r.Floating}, nil
		})},
		{"grid_groups", []string{"grid", "aged_60_plus", "working_age", "dwellings", "jobs"}, pgx.CopyFromSlice(len(d.Groups), func(i int) ([]any, error) {
			r := d.Groups[i]
			return []any{r.Grid, r.Aged60Plus, r.WorkingAge, r.Dwellings, r.Jobs}, nil
		})},
		{"grid_births", []string{"grid", "year", "births"}, pgx.CopyFromSlice(len(d.Births), func(i int) ([]any, error) {
			r := d.Births[i]
			return []any{r.Grid, r.Year, r.Births}, nil
		})},
		{"school_catchments", []string{"code", "school_id", "level", "grids"}, pgx.CopyFromSlice(len(d.Catchments), func(i int) ([]any, error) {
			r := d.Catchments[i]
			return []any{r.Code, r.SchoolID, r.Level, r.Grids}, nil
		})},
		{"school_enrolment", []string{"school_id", "year", "grade", "pupils"}, pgx.CopyFromSlice(len(d.Enrolment), func(i int) ([]any, error) {
			r := d.Enrolment[i]
			return []any{r.SchoolID, r.Year, r.Grade, r.Pupils}, nil
		})},
		{"housing_projects", []string{"id", "name", "grid", "dwellings", "completion_year", "geom"}, pgx.CopyFromSlice(len(d.Housing), func(i int) ([]any, error) {
			r := d.Housing[i]
			g, err := wkb.Marshal(orb.Point{r.Lon, r.Lat})
			if err != nil {
				return nil, fmt.Errorf("project %d: encode WKB: %w", r.ID, err)
			}
			return []any{r.ID, r.Name, r.Grid, r.Dwellings, r.Completion, g}, nil
		})},
	}
	for _, t := range ts {
		n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, t.src)
		if err != nil {
			return fmt.Errorf("postgis: write %s: %w", t.name, err)
		}
		if progress != nil {
			progress(t.name, int(n), int(n))
		}
	}
	return nil
}
