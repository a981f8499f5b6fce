package pgtest

import (
	"context"
	"testing"
)

func TestSchemaHasPostGIS(t *testing.T) {
	db := New(t)
	var v string
	if err := db.Pool.QueryRow(context.Background(), "SELECT postgis_version()").Scan(&v); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := db.Pool.QueryRow(context.Background(), "SELECT current_schema()").Scan(&s); err != nil || s != db.Schema {
		t.Fatalf("schema %q err %v", s, err)
	}
}
