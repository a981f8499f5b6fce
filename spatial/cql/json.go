package cql

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/paulmach/orb/geojson"
)

// ParseJSON parses a CQL2 JSON filter.
func ParseJSON(b []byte) (Expr, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Pos: -1, Msg: "invalid JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &Error{Pos: -1, Msg: "trailing data after the JSON filter"}
	}
	return jsonExpr(v, 0)
}

func jerr(format string, args ...any) *Error {
	e := errAt(-1, format, args...)
	return e
}

func jsonExpr(v any, depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, jerr("filter nested deeper than %d", maxDepth)
	}
	if b, ok := v.(bool); ok {
		return Bool{Value: b}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, jerr("expected an object with op and args, got %s", jsonKind(v))
	}
	op, _ := m["op"].(string)
	args, ok := m["args"].([]any)
	if op == "" || !ok {
		return nil, jerr("expected an object with op (a string) and args (an array)")
	}
	op = strings.ToLower(op)
	nargs := func(n int) error {
		if len(args) != n {
			return jerr("%s wants %d arguments, got %d", op, n, len(args))
		}
		return nil
	}
	switch op {
	case "and", "or":
		if len(args) < 2 {
			return nil, jerr("%s wants at least 2 arguments, got %d", op, len(args))
		}
		es := make([]Expr, len(args))
		for i, a := range args {
			e, err := jsonExpr(a, depth+1)
			if err != nil {
				return nil, err
			}
			es[i] = e
		}
		if op == "and" {
			return And{Args: es}, nil
		}
		return Or{Args: es}, nil
	case "not":
		if err := nargs(1); err != nil {
			return nil, err
		}
		e, err := jsonExpr(args[0], depth+1)
		if err != nil {
			return nil, err
		}
		return Not{X: e}, nil
	case "=", "<>", "<", "<=", ">", ">=", "like":
		if err := nargs(2); err != nil {
			return nil, err
		}
		l, err := jsonScalar(args[0])
		if err != nil {
			return nil, err
		}
		r, err := jsonScalar(args[1])
		if err != nil {
			return nil, err
		}
		if op == "like" {
			return Like{X: l, Pattern: r}, nil
		}
		return Compare{Op: op, L: l, R: r}, nil
	case "between":
		if err := nargs(3); err != nil {
			return nil, err
		}
		var o [3]Operand
		for i := range o {
			s, err := jsonScalar(args[i])
			if err != nil {
				return nil, err
			}
			o[i] = s
		}
		return Between{X: o[0], Lo: o[1], Hi: o[2]}, nil
	case "in":
		if err := nargs(2); err != nil {
			return nil, err
		}
		x, err := jsonScalar(args[0])
		if err != nil {
			return nil, err
		}
		arr, ok := args[1].([]any)
		if !ok || len(arr) == 0 {
			return nil, jerr("in wants a non-empty array as its second argument")
		}
		list := make([]Operand, len(arr))
		for i, a := range arr {
			if list[i], err = jsonScalar(a); err != nil {
				return nil, err
			}
		}
		return In{X: x, List: list}, nil
	case "isnull":
		if err := nargs(1); err != nil {
			return nil, err
		}
		x, err := jsonScalar(args[0])
		if err != nil {
			return nil, err
		}
		return IsNull{X: x}, nil
	}
	if spatialOps[op] {
		if err := nargs(2); err != nil {
			return nil, err
		}
		var o [2]Operand
		for i := range o {
			g, err := jsonGeom(args[i])
			if err != nil {
				return nil, err
			}
			o[i] = g
		}
		return Spatial{Op: op, L: o[0], R: o[1]}, nil
	}
	return nil, jerr("unsupported operator %q", op)
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case bool:
		return "a boolean"
	}
	return "an object"
}

func jsonScalar(v any) (Operand, error) {
	switch x := v.(type) {
	case string:
		return Literal{Value: x}, nil
	case bool:
		return Literal{Value: x}, nil
	case json.Number:
		f, err := x.Float64()
		if err != nil || f-f != 0 {
			return nil, jerr("%s is not a finite number", x)
		}
		return Literal{Value: f}, nil
	case map[string]any:
		if p, ok := x["property"].(string); ok && len(x) == 1 {
			return Property{Name: p}, nil
		}
	}
	return nil, jerr("expected a property ({\"property\": name}), a string, a number or a boolean, got %s", jsonKind(v))
}

func jsonGeom(v any) (Operand, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, jerr("expected a property, a GeoJSON geometry or a bbox, got %s", jsonKind(v))
	}
	if p, ok := m["property"].(string); ok && len(m) == 1 {
		return Property{Name: p}, nil
	}
	if bb, ok := m["bbox"].([]any); ok && len(m) == 1 {
		nums := make([]float64, len(bb))
		for i, n := range bb {
			num, ok := n.(json.Number)
			if !ok {
				return nil, jerr("bbox wants numbers")
			}
			f, err := num.Float64()
			if err != nil || f-f != 0 {
				return nil, jerr("bbox wants finite numbers")
			}
			nums[i] = f
		}
		g, err := bboxPolygon(nums, -1)
		if err != nil {
			return nil, err
		}
		return Geom{Geometry: g}, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, jerr("geometry: %v", err)
	}
	g, err := geojson.UnmarshalGeometry(b)
	if err != nil || g.Coordinates == nil {
		return nil, jerr("not a GeoJSON geometry: %v", err)
	}
	if err := checkGeom(g.Coordinates); err != nil {
		return nil, err
	}
	return Geom{Geometry: g.Coordinates}, nil
}
