// Package cql parses OGC CQL2 filters (the text and JSON encodings of
// OGC 21-065r2: basic CQL2, advanced comparison operators LIKE, IN and
// BETWEEN, and the spatial predicates S_INTERSECTS, S_DISJOINT, S_WITHIN
// and S_CONTAINS with WKT, GeoJSON and BBOX literals) and evaluates them on
// a feature's properties and geometry with SQL's three-valued logic, as
// PostgreSQL would: a comparison with a missing value is unknown, and
// only true selects a feature.
package cql

import (
	"fmt"

	"github.com/paulmach/orb"
)

// Expr is a boolean expression of the filter.
type Expr interface{ expr() }

// Operand is a value an expression compares: a property, a literal or a
// geometry.
type Operand interface{ operand() }

// Property names a feature property (or the geometry).
type Property struct{ Name string }

// Literal is a string, float64 or bool constant.
type Literal struct{ Value any }

// Geom is a geometry literal (WKT, GeoJSON or BBOX) in lon/lat.
type Geom struct{ Geometry orb.Geometry }

func (Property) operand() {}
func (Literal) operand()  {}
func (Geom) operand()     {}

// And holds when every argument does.
type And struct{ Args []Expr }

// Or holds when any argument does.
type Or struct{ Args []Expr }

// Not negates its argument (unknown stays unknown).
type Not struct{ X Expr }

// Bool is the literal TRUE or FALSE as a predicate.
type Bool struct{ Value bool }

// Compare is a binary comparison: = <> < <= > >=.
type Compare struct {
	Op   string
	L, R Operand
}

// Like matches a string against a pattern with % (any run) and _ (one
// character); a backslash escapes either. Fold is set for ILIKE (a
// case-insensitive match, which GDAL sends for OGR SQL's LIKE).
type Like struct {
	X       Operand
	Pattern Operand
	Fold    bool
}

// In holds when X equals one of List.
type In struct {
	X    Operand
	List []Operand
}

// Between holds when Lo <= X <= Hi.
type Between struct{ X, Lo, Hi Operand }

// IsNull holds when X has no value.
type IsNull struct{ X Operand }

// Spatial is a spatial predicate: s_intersects, s_disjoint, s_within or
// s_contains.
type Spatial struct {
	Op   string
	L, R Operand
}

func (And) expr()     {}
func (Or) expr()      {}
func (Not) expr()     {}
func (Bool) expr()    {}
func (Compare) expr() {}
func (Like) expr()    {}
func (In) expr()      {}
func (Between) expr() {}
func (IsNull) expr()  {}
func (Spatial) expr() {}

// Error is a malformed or unusable filter: Property names the property at
// fault when there is one, Pos the byte offset in a text filter (-1 when
// not known).
type Error struct {
	Property string
	Pos      int
	Msg      string
}

func (e *Error) Error() string {
	switch {
	case e.Property != "":
		return fmt.Sprintf("property %q: %s", e.Property, e.Msg)
	case e.Pos >= 0:
		return fmt.Sprintf("at offset %d: %s", e.Pos, e.Msg)
	}
	return e.Msg
}

func errAt(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
