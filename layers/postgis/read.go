package postgis

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
)

// querier is what reads need of a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Read loads a whole District from onemap's tables: every thematic layer's
// features (in id order, property values typed as the schema says, NULL
// columns absent, geometry of the layer's declared type) and the
// non-spatial tables (each in the order of its primary key). The layer
// tables are read in parallel over the pool.
func Read(ctx context.Context, pool *pgxpool.Pool) (*data.District, error) {
	d := &data.District{}
	if err := readDistrictRow(ctx, pool, d); err != nil {
		return nil, err
	}
	schemas := layers.SourceSchemas(layers.OwnerPostGIS, d.Synthetic)
	type result struct {
		name     string
		features []layers.Feature
		err      error
	}
	// Bounded fan-out: one goroutine per table, at most as many at once as
	// the pool allows, so that Read cannot starve the pool's other users.
	limit := int(pool.Config().MaxConns)
	if limit < 1 {
		limit = 1
	}
	sem := make(chan struct{}, limit)
	results := make(chan result, len(schemas)+1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, s := range schemas {
		go func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results <- result{name: s.Name, err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			fs, err := readLayer(ctx, pool, s, "", nil, nil)
			results <- result{name: s.Name, features: fs, err: err}
		}()
	}
	tablesErr := make(chan error, 1)
	go func() {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			tablesErr <- ctx.Err()
			return
		}
		defer func() { <-sem }()
		tablesErr <- readTables(ctx, pool, d)
	}()
	d.Layers = make(map[string][]layers.Feature, len(schemas))
	var first error
	for range schemas {
		r := <-results
		if r.err != nil && first == nil {
			first = r.err
			cancel()
		}
		d.Layers[r.name] = r.features
	}
	if err := <-tablesErr; err != nil && first == nil {
		first = err
	}
	if first != nil {
		return nil, first
	}
	return d, nil
}

// readDistrictRow fills the district's name, year and synthetic flag; an
// empty database leaves them zero.
func readDistrictRow(ctx context.Context, q querier, d *data.District) error {
	rows, err := q.Query(ctx, "SELECT name, name_en, synthetic, year FROM onemap_district")
	if err != nil {
		return fmt.Errorf("postgis: read onemap_district: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&d.Name, &d.NameEN, &d.Synthetic, &d.Year); err != nil {
			return fmt.Errorf("postgis: read onemap_district: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgis: read onemap_district: %w", err)
	}
	return nil
}

// selectSQL selects a layer's rows as id, WKB geometry, then the schema's
// fields in order.
func selectSQL(s layers.Schema) string {
	var b strings.Builder
	b.WriteString("SELECT id, ST_AsBinary(geom)")
	for _, f := range s.Fields {
		b.WriteString(", ")
		b.WriteString(pgx.Identifier{f.Name}.Sanitize())
	}
	b.WriteString(" FROM ")
	b.WriteString(pgx.Identifier{s.Name}.Sanitize())
	return b.String()
}

// readLayer reads a layer's features in id order; where, if not empty, is
// an SQL condition on the table with args. A row that cannot be a feature
// of the layer is an error, unless bad is given: then bad is told and the
// row skipped.
func readLayer(ctx context.Context, q querier, s layers.Schema, where string, args []any, bad func(id int64, err error)) ([]layers.Feature, error) {
	sql := selectSQL(s)
	if where != "" {
		sql += " WHERE " + where
	}
	sql += " ORDER BY id"
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgis: read %s: %w", s.Name, err)
	}
	fs, err := scanFeatures(rows, s, bad)
	if err != nil {
		return nil, fmt.Errorf("postgis: read %s: %w", s.Name, err)
	}
	return fs, nil
}

// scanFeatures turns rows of selectSQL into features. Scan targets are
// reused from row to row; only the values kept are allocated.
func scanFeatures(rows pgx.Rows, s layers.Schema, bad func(id int64, err error)) ([]layers.Feature, error) {
	defer rows.Close()
	var id int64
	dest := make([]any, 2+len(s.Fields))
	dest[0] = &id
	// dest[1] stays nil: the geometry is decoded from the raw bytes.
	for i, f := range s.Fields {
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
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		g, err := decodeGeometry(rows.RawValues()[1], s.Geometry)
		if err != nil {
			if bad != nil {
				bad(id, err)
				continue
			}
			return nil, fmt.Errorf("id %d: %w", id, err)
		}
		props := make(map[string]any, len(s.Fields))
		for i, f := range s.Fields {
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
	return out, rows.Err()
}

// readTables fills the district's non-spatial tables.
func readTables(ctx context.Context, q querier, d *data.District) error {
	var err error
	if d.Ages, err = collect(ctx, q, "grid_ages", "SELECT grid, age, residents, floating FROM grid_ages ORDER BY grid, age",
		func(r pgx.CollectableRow) (x data.AgeRow, err error) {
			err = r.Scan(&x.Grid, &x.Age, &x.Residents, &x.Floating)
			return
		}); err != nil {
		return err
	}
	if d.Groups, err = collect(ctx, q, "grid_groups", "SELECT grid, aged_60_plus, working_age, dwellings, jobs FROM grid_groups ORDER BY grid",
		func(r pgx.CollectableRow) (x data.GroupRow, err error) {
			err = r.Scan(&x.Grid, &x.Aged60Plus, &x.WorkingAge, &x.Dwellings, &x.Jobs)
			return
		}); err != nil {
		return err
	}
	if d.Births, err = collect(ctx, q, "grid_births", "SELECT grid, year, births FROM grid_births ORDER BY grid, year",
		func(r pgx.CollectableRow) (x data.BirthRow, err error) {
			err = r.Scan(&x.Grid, &x.Year, &x.Births)
			return
		}); err != nil {
		return err
	}
	if d.Catchments, err = collect(ctx, q, "school_catchments", "SELECT code, school_id, level, grids FROM school_catchments ORDER BY code",
		func(r pgx.CollectableRow) (x data.CatchmentRow, err error) {
			err = r.Scan(&x.Code, &x.SchoolID, &x.Level, &x.Grids)
			return
		}); err != nil {
		return err
	}
	if d.Enrolment, err = collect(ctx, q, "school_enrolment", "SELECT school_id, year, grade, pupils FROM school_enrolment ORDER BY school_id, year, grade",
		func(r pgx.CollectableRow) (x data.EnrolmentRow, err error) {
			err = r.Scan(&x.SchoolID, &x.Year, &x.Grade, &x.Pupils)
			return
		}); err != nil {
		return err
	}
	if d.Housing, err = collect(ctx, q, "housing_projects", "SELECT id, name, grid, dwellings, completion_year, ST_X(geom), ST_Y(geom) FROM housing_projects ORDER BY id",
		func(r pgx.CollectableRow) (x data.HousingProject, err error) {
			err = r.Scan(&x.ID, &x.Name, &x.Grid, &x.Dwellings, &x.Completion, &x.Lon, &x.Lat)
			return
		}); err != nil {
		return err
	}
	return nil
}

// collect runs sql and turns each row into a T; no rows give nil.
func collect[T any](ctx context.Context, q querier, table, sql string, scan pgx.RowToFunc[T]) ([]T, error) {
	rows, err := q.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("postgis: read %s: %w", table, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("postgis: read %s: %w", table, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
