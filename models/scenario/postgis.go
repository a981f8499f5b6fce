package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/layers/postgis"
)

// schemaSQL is the table a PostGIS store keeps scenarios in, created by the
// store itself. Names are unique within a model.
const schemaSQL = `CREATE TABLE IF NOT EXISTS scenarios (
	id          text PRIMARY KEY,
	model       text NOT NULL,
	name        text NOT NULL,
	description text NOT NULL DEFAULT '',
	changes     jsonb NOT NULL,
	created     timestamptz NOT NULL DEFAULT now(),
	UNIQUE (model, name)
)`

// PostGIS is a Store in the scenarios table of a PostGIS database.
type PostGIS struct {
	pool *pgxpool.Pool
}

// NewPostGIS creates the scenarios table when it is missing and returns a
// store over pool.
func NewPostGIS(ctx context.Context, pool *pgxpool.Pool) (*PostGIS, error) {
	if _, err := pool.Exec(ctx, schemaSQL); err != nil {
		return nil, postgis.Outage(fmt.Errorf("scenario: create table: %w", err))
	}
	return &PostGIS{pool: pool}, nil
}

// Create implements Store with one INSERT, so a failure stores nothing.
func (p *PostGIS) Create(ctx context.Context, s Scenario) error {
	changes := s.Changes
	if changes == nil {
		changes = []Change{}
	}
	js, err := json.Marshal(changes)
	if err != nil {
		return fmt.Errorf("scenario: encode changes: %w", err)
	}
	_, err = p.pool.Exec(ctx,
		`INSERT INTO scenarios (id, model, name, description, changes, created) VALUES ($1,$2,$3,$4,$5,$6)`,
		s.ID, s.Model, s.Name, s.Description, js, s.Created)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w: %s scenario %q (%s)", ErrExists, s.Model, s.Name, pe.ConstraintName)
	}
	if err != nil {
		return postgis.Outage(fmt.Errorf("scenario: insert: %w", err))
	}
	return nil
}

const selectSQL = `SELECT id, model, name, description, changes, created FROM scenarios`

func scan(row pgx.Row) (Scenario, error) {
	var s Scenario
	var js []byte
	if err := row.Scan(&s.ID, &s.Model, &s.Name, &s.Description, &js, &s.Created); err != nil {
		return Scenario{}, err
	}
	if err := json.Unmarshal(js, &s.Changes); err != nil {
		return Scenario{}, fmt.Errorf("scenario %s: decode changes: %w", s.ID, err)
	}
	s.Created = s.Created.UTC()
	return s, nil
}

// Get implements Store.
func (p *PostGIS) Get(ctx context.Context, id string) (Scenario, error) {
	s, err := scan(p.pool.QueryRow(ctx, selectSQL+` WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Scenario{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Scenario{}, postgis.Outage(fmt.Errorf("scenario: get %s: %w", id, err))
	}
	return s, nil
}

// List implements Store.
func (p *PostGIS) List(ctx context.Context, model string) ([]Scenario, error) {
	rows, err := p.pool.Query(ctx, selectSQL+` WHERE $1 = '' OR model = $1 ORDER BY created, id`, model)
	if err != nil {
		return nil, postgis.Outage(fmt.Errorf("scenario: list: %w", err))
	}
	defer rows.Close()
	out := []Scenario{}
	for rows.Next() {
		s, err := scan(rows)
		if err != nil {
			return nil, postgis.Outage(fmt.Errorf("scenario: list: %w", err))
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, postgis.Outage(fmt.Errorf("scenario: list: %w", err))
	}
	return out, nil
}

// Delete implements Store.
func (p *PostGIS) Delete(ctx context.Context, id string) error {
	tag, err := p.pool.Exec(ctx, `DELETE FROM scenarios WHERE id = $1`, id)
	if err != nil {
		return postgis.Outage(fmt.Errorf("scenario: delete %s: %w", id, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return nil
}
