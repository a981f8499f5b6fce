package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// Editor is the layers.Editor of a catalog served from onemap's tables:
// each edit is one transaction on the layer's table, and once it commits
// the Sync (the layers' one writer) re-reads the rows at once, so the
// change is in the catalog when the edit returns — and reaches every other
// server on the database through the tables' notifications.
type Editor struct {
	pool *pgxpool.Pool
	cat  *layers.Catalog
	sync *Sync
}

// NewEditor edits the tables of the layers s follows into cat.
func NewEditor(pool *pgxpool.Pool, cat *layers.Catalog, s *Sync) *Editor {
	return &Editor{pool: pool, cat: cat, sync: s}
}

// schema is the followed layer's schema, or an error saying it is not
// written here.
func (e *Editor) schema(layer string) (layers.Schema, error) {
	l, ok := e.cat.Layer(layer)
	if !ok {
		return layers.Schema{}, fmt.Errorf("%w %q", layers.ErrUnknownLayer, layer)
	}
	if _, followed := e.sync.schemas[layer]; !followed || l.Schema.Owner != layers.OwnerPostGIS {
		return layers.Schema{}, fmt.Errorf("%w: %s is not one of onemap's tables", layers.ErrReadOnly, layer)
	}
	return l.Schema, nil
}

// columns turns props into column names and values of s, sorted by name.
func columns(s layers.Schema, props map[string]any) ([]string, []any, error) {
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	vals := make([]any, len(names))
	for i, k := range names {
		f, ok := s.Field(k)
		if !ok {
			return nil, nil, fmt.Errorf("postgis: layer %s has no field %q", s.Name, k)
		}
		v, err := columnValue(props[k], f.Type)
		if err != nil {
			return nil, nil, fmt.Errorf("postgis: %s.%s: %w", s.Name, k, err)
		}
		vals[i] = v
	}
	return names, vals, nil
}

// Insert adds a row with the next free id, in a transaction that locks the
// table against concurrent inserts.
func (e *Editor) Insert(ctx context.Context, layer string, g orb.Geometry, props map[string]any) (int64, uint64, error) {
	s, err := e.schema(layer)
	if err != nil {
		return 0, 0, err
	}
	if g, err = conform(g, s.Geometry); err != nil {
		return 0, 0, fmt.Errorf("postgis: %s: %w", layer, err)
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		return 0, 0, fmt.Errorf("postgis: %s: %w", layer, err)
	}
	names, vals, err := columns(s, props)
	if err != nil {
		return 0, 0, err
	}
	t := pgx.Identifier{layer}.Sanitize()
	var cols, params strings.Builder
	for i, n := range names {
		fmt.Fprintf(&cols, ", %s", pgx.Identifier{n}.Sanitize())
		fmt.Fprintf(&params, ", $%d", i+2)
	}
	var id int64
	err = pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "LOCK TABLE "+t+" IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return err
		}
		return tx.QueryRow(ctx, fmt.Sprintf("INSERT INTO %s (id, geom%s) SELECT coalesce(max(id), 0) + 1, ST_GeomFromWKB($1, %d)%s FROM %s RETURNING id",
			t, cols.String(), SRID, params.String(), t), append([]any{b}, vals...)...).Scan(&id)
	})
	if err != nil {
		return 0, 0, Outage(fmt.Errorf("postgis: insert into %s: %w", layer, err))
	}
	v, err := e.sync.Refresh(ctx, layer, id)
	return id, v, err
}

// Update sets columns of row id.
func (e *Editor) Update(ctx context.Context, layer string, id int64, props map[string]any) (uint64, error) {
	s, err := e.schema(layer)
	if err != nil {
		return 0, err
	}
	names, vals, err := columns(s, props)
	if err != nil {
		return 0, err
	}
	if len(names) == 0 {
		return e.cat.Version(), nil
	}
	var set strings.Builder
	for i, n := range names {
		if i > 0 {
			set.WriteString(", ")
		}
		fmt.Fprintf(&set, "%s = $%d", pgx.Identifier{n}.Sanitize(), i+2)
	}
	tag, err := e.pool.Exec(ctx, fmt.Sprintf("UPDATE %s SET %s WHERE id = $1", pgx.Identifier{layer}.Sanitize(), set.String()),
		append([]any{id}, vals...)...)
	if err != nil {
		return 0, Outage(fmt.Errorf("postgis: update %s %d: %w", layer, id, err))
	}
	if tag.RowsAffected() == 0 {
		return 0, fmt.Errorf("%w: %s %d", layers.ErrNoFeature, layer, id)
	}
	return e.sync.Refresh(ctx, layer, id)
}

// Delete removes row id.
func (e *Editor) Delete(ctx context.Context, layer string, id int64) (uint64, error) {
	if _, err := e.schema(layer); err != nil {
		return 0, err
	}
	tag, err := e.pool.Exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE id = $1", pgx.Identifier{layer}.Sanitize()), id)
	if err != nil {
		return 0, Outage(fmt.Errorf("postgis: delete from %s %d: %w", layer, id, err))
	}
	if tag.RowsAffected() == 0 {
		return 0, fmt.Errorf("%w: %s %d", layers.ErrNoFeature, layer, id)
	}
	return e.sync.Refresh(ctx, layer, id)
}

// Outage marks err as the database being unreachable (wrapping
// layers.ErrUnavailable) when it is one: a failed or lost connection, a
// server shutting down or not yet accepting connections, a timeout. An
// SQL error the server reported, or a cancelled request, is returned as it
// is.
func Outage(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, layers.ErrUnavailable) {
		return err
	}
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &pe):
		// Class 08: connection exception; 57P01–57P03: shutdown, crash
		// shutdown, cannot connect now.
		if !strings.HasPrefix(pe.Code, "08") && !strings.HasPrefix(pe.Code, "57P") {
			return err
		}
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err), pgconn.SafeToRetry(err):
	default:
		if !strings.Contains(err.Error(), "conn closed") && !strings.Contains(err.Error(), "closed pool") {
			return err
		}
	}
	return fmt.Errorf("%w: %w", layers.ErrUnavailable, err)
}
