package cql

import (
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
)

// Type is the type of a queryable.
type Type int

// The queryable types.
const (
	String Type = iota + 1
	Number
	Boolean
	Geometry
)

func (t Type) String() string {
	switch t {
	case String:
		return "a string"
	case Number:
		return "a number"
	case Boolean:
		return "a boolean"
	case Geometry:
		return "a geometry"
	}
	return "unknown"
}

// Queryables types each property a filter may name (the geometry under
// its own name, typically "geometry").
type Queryables map[string]Type

// Filter is a parsed and checked filter, ready to evaluate.
type Filter struct {
	e Expr
}

// Compile checks e against q: every property exists, and every comparison
// and predicate has operands of matching types.
func Compile(e Expr, q Queryables) (*Filter, error) {
	if err := check(e, q); err != nil {
		return nil, err
	}
	return &Filter{e: e}, nil
}

// Expr is the filter's expression.
func (f *Filter) Expr() Expr { return f.e }

func typeOf(o Operand, q Queryables) (Type, error) {
	switch x := o.(type) {
	case Property:
		t, ok := q[x.Name]
		if !ok {
			return 0, &Error{Property: x.Name, Pos: -1, Msg: "not a queryable of this collection"}
		}
		return t, nil
	case Literal:
		switch x.Value.(type) {
		case string:
			return String, nil
		case float64:
			return Number, nil
		case bool:
			return Boolean, nil
		}
	case Geom:
		return Geometry, nil
	}
	return 0, jerr("unknown operand %T", o)
}

func propName(os ...Operand) string {
	for _, o := range os {
		if p, ok := o.(Property); ok {
			return p.Name
		}
	}
	return ""
}

func mismatch(a, b Type, os ...Operand) error {
	return &Error{Property: propName(os...), Pos: -1, Msg: fmt.Sprintf("%s compared with %s", a, b)}
}

func check(e Expr, q Queryables) error {
	same := func(os ...Operand) (Type, error) {
		var first Type
		for i, o := range os {
			t, err := typeOf(o, q)
			if err != nil {
				return 0, err
			}
			if t == Geometry {
				return 0, &Error{Property: propName(o), Pos: -1, Msg: "a geometry is compared with S_INTERSECTS and the other spatial predicates only"}
			}
			if i == 0 {
				first = t
			} else if t != first {
				return 0, mismatch(first, t, os...)
			}
		}
		return first, nil
	}
	switch x := e.(type) {
	case And:
		for _, a := range x.Args {
			if err := check(a, q); err != nil {
				return err
			}
		}
	case Or:
		for _, a := range x.Args {
			if err := check(a, q); err != nil {
				return err
			}
		}
	case Not:
		return check(x.X, q)
	case Bool:
	case Compare:
		t, err := same(x.L, x.R)
		if err != nil {
			return err
		}
		if t == Boolean && x.Op != "=" && x.Op != "<>" {
			return &Error{Property: propName(x.L, x.R), Pos: -1, Msg: "booleans compare with = and <> only"}
		}
	case Like:
		t, err := same(x.X, x.Pattern)
		if err != nil {
			return err
		}
		if t != String {
			return &Error{Property: propName(x.X), Pos: -1, Msg: "LIKE compares strings, not " + t.String()}
		}
		if _, ok := x.Pattern.(Literal); !ok {
			return &Error{Property: propName(x.Pattern), Pos: -1, Msg: "the LIKE pattern must be a string literal"}
		}
	case In:
		if _, err := same(append([]Operand{x.X}, x.List...)...); err != nil {
			return err
		}
	case Between:
		t, err := same(x.X, x.Lo, x.Hi)
		if err != nil {
			return err
		}
		if t == Boolean {
			return &Error{Property: propName(x.X), Pos: -1, Msg: "BETWEEN compares numbers or strings"}
		}
	case IsNull:
		if _, err := typeOf(x.X, q); err != nil {
			return err
		}
	case Spatial:
		for _, o := range []Operand{x.L, x.R} {
			t, err := typeOf(o, q)
			if err != nil {
				return err
			}
			if t != Geometry {
				return &Error{Property: propName(o), Pos: -1, Msg: fmt.Sprintf("%s wants geometries, got %s", strings.ToUpper(x.Op), t)}
			}
		}
	default:
		return jerr("unknown expression %T", e)
	}
	return nil
}

// Bound is a box every matching feature's geometry intersects, when the
// filter implies one (an S_INTERSECTS, S_WITHIN or S_CONTAINS with a
// geometry literal, possibly inside an AND): the candidates to search an
// R-tree for.
func (f *Filter) Bound() (orb.Bound, bool) { return bound(f.e) }

func bound(e Expr) (orb.Bound, bool) {
	switch x := e.(type) {
	case Spatial:
		if x.Op == "s_disjoint" {
			return orb.Bound{}, false
		}
		_, lp := x.L.(Property)
		_, rp := x.R.(Property)
		if lp && !rp {
			return x.R.(Geom).Geometry.Bound(), true
		}
		if rp && !lp {
			return x.L.(Geom).Geometry.Bound(), true
		}
	case And:
		var b orb.Bound
		ok := false
		for _, a := range x.Args {
			if ab, has := bound(a); has {
				if !ok {
					b, ok = ab, true
				} else if b.Intersects(ab) {
					b = orb.Bound{Min: orb.Point{math.Max(b.Min[0], ab.Min[0]), math.Max(b.Min[1], ab.Min[1])},
						Max: orb.Point{math.Min(b.Max[0], ab.Max[0]), math.Min(b.Max[1], ab.Max[1])}}
				} else {
					return orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{-1, -1}}, true // nothing matches
				}
			}
		}
		return b, ok
	case Or:
		var b orb.Bound
		for i, a := range x.Args {
			ab, has := bound(a)
			if !has {
				return orb.Bound{}, false
			}
			if i == 0 {
				b = ab
			} else {
				b = b.Union(ab)
			}
		}
		return b, len(x.Args) > 0
	}
	return orb.Bound{}, false
}

// tri is SQL's three-valued logic.
type tri int8

const (
	fls tri = iota
	tru
	unknown
)

func triOf(b bool) tri {
	if b {
		return tru
	}
	return fls
}

// Match reports whether a feature with props and geometry g satisfies the
// filter (true, not unknown).
func (f *Filter) Match(props map[string]any, g orb.Geometry) bool {
	return eval(f.e, props, g) == tru
}

func eval(e Expr, props map[string]any, g orb.Geometry) tri {
	switch x := e.(type) {
	case And:
		out := tru
		for _, a := range x.Args {
			switch eval(a, props, g) {
			case fls:
				return fls
			case unknown:
				out = unknown
			}
		}
		return out
	case Or:
		out := fls
		for _, a := range x.Args {
			switch eval(a, props, g) {
			case tru:
				return tru
			case unknown:
				out = unknown
			}
		}
		return out
	case Not:
		switch eval(x.X, props, g) {
		case tru:
			return fls
		case fls:
			return tru
		}
		return unknown
	case Bool:
		return triOf(x.Value)
	case Compare:
		return compare(x.Op, value(x.L, props), value(x.R, props))
	case Like:
		s, ok1 := value(x.X, props).(string)
		pat, ok2 := value(x.Pattern, props).(string)
		if !ok1 || !ok2 {
			return unknown
		}
		if x.Fold {
			s, pat = strings.ToLower(s), strings.ToLower(pat)
		}
		return triOf(like(s, pat))
	case In:
		v := value(x.X, props)
		out := fls
		for _, o := range x.List {
			switch compare("=", v, value(o, props)) {
			case tru:
				return tru
			case unknown:
				out = unknown
			}
		}
		return out
	case Between:
		v := value(x.X, props)
		lo, hi := compare(">=", v, value(x.Lo, props)), compare("<=", v, value(x.Hi, props))
		switch {
		case lo == fls || hi == fls:
			return fls
		case lo == unknown || hi == unknown:
			return unknown
		}
		return tru
	case IsNull:
		return triOf(value(x.X, props) == nil)
	case Spatial:
		a, b := geomOf(x.L, g), geomOf(x.R, g)
		if a == nil || b == nil {
			return unknown
		}
		switch x.Op {
		case "s_intersects":
			return triOf(Intersects(a, b))
		case "s_disjoint":
			return triOf(!Intersects(a, b))
		case "s_within":
			return triOf(Within(a, b))
		case "s_contains":
			return triOf(Within(b, a))
		}
	}
	return unknown
}

func geomOf(o Operand, g orb.Geometry) orb.Geometry {
	switch x := o.(type) {
	case Geom:
		return x.Geometry
	case Property:
		return g
	}
	return nil
}

// value is an operand's value, numbers as float64, nil when missing.
func value(o Operand, props map[string]any) any {
	switch x := o.(type) {
	case Literal:
		return x.Value
	case Property:
		return normalize(props[x.Name])
	}
	return nil
}

func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int8:
		return float64(x)
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case uint:
		return float64(x)
	case uint8:
		return float64(x)
	case uint16:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case float64, string, bool:
		return x
	}
	return nil
}

func compare(op string, a, b any) tri {
	if a == nil || b == nil {
		return unknown
	}
	var c int
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		if !ok {
			return unknown
		}
		switch {
		case x < y:
			c = -1
		case x > y:
			c = 1
		}
	case string:
		y, ok := b.(string)
		if !ok {
			return unknown
		}
		c = strings.Compare(x, y)
	case bool:
		y, ok := b.(bool)
		if !ok {
			return unknown
		}
		switch {
		case x == y:
		case !x:
			c = -1
		default:
			c = 1
		}
	default:
		return unknown
	}
	switch op {
	case "=":
		return triOf(c == 0)
	case "<>":
		return triOf(c != 0)
	case "<":
		return triOf(c < 0)
	case "<=":
		return triOf(c <= 0)
	case ">":
		return triOf(c > 0)
	case ">=":
		return triOf(c >= 0)
	}
	return unknown
}

// like matches s against a CQL2 pattern: % any run of characters, _ one
// character, \ escapes the next.
func like(s, pat string) bool {
	str, p := []rune(s), []rune(pat)
	// Iterative matching with one backtrack point for the last %.
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(str) {
		if pi < len(p) {
			switch {
			case p[pi] == '%':
				star, mark = pi, si
				pi++
				continue
			case p[pi] == '\\' && pi+1 < len(p):
				if p[pi+1] == str[si] {
					pi, si = pi+2, si+1
					continue
				}
			case p[pi] == '_' || p[pi] == str[si]:
				pi, si = pi+1, si+1
				continue
			}
		}
		if star < 0 {
			return false
		}
		pi, mark = star+1, mark+1
		si = mark
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

// MapGeometries returns e with every geometry literal replaced by fn of
// it (to bring a filter-crs to lon/lat).
func MapGeometries(e Expr, fn func(orb.Geometry) orb.Geometry) Expr {
	op := func(o Operand) Operand {
		if g, ok := o.(Geom); ok {
			return Geom{Geometry: fn(g.Geometry)}
		}
		return o
	}
	switch x := e.(type) {
	case And:
		args := make([]Expr, len(x.Args))
		for i, a := range x.Args {
			args[i] = MapGeometries(a, fn)
		}
		return And{Args: args}
	case Or:
		args := make([]Expr, len(x.Args))
		for i, a := range x.Args {
			args[i] = MapGeometries(a, fn)
		}
		return Or{Args: args}
	case Not:
		return Not{X: MapGeometries(x.X, fn)}
	case Spatial:
		return Spatial{Op: x.Op, L: op(x.L), R: op(x.R)}
	}
	return e
}
