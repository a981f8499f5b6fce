package cql

import (
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// maxDepth bounds the nesting of a filter, so a hostile one cannot run the
// parser deep.
const maxDepth = 64

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tQuoted // "quoted identifier"
	tString
	tNumber
	tPunct // ( ) ,
	tOp    // = <> < <= > >=
)

type token struct {
	kind tokKind
	text string
	num  float64
	pos  int
}

func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			out = append(out, token{kind: tPunct, text: string(c), pos: i})
			i++
		case c == '=':
			out = append(out, token{kind: tOp, text: "=", pos: i})
			i++
		case c == '<' || c == '>':
			op := string(c)
			if i+1 < len(s) && (s[i+1] == '=' || c == '<' && s[i+1] == '>') {
				op += string(s[i+1])
			}
			out = append(out, token{kind: tOp, text: op, pos: i})
			i += len(op)
		case c == '\'' || c == '"':
			start := i
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				if s[i] == c {
					if i+1 < len(s) && s[i+1] == c { // doubled quote
						b.WriteByte(c)
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, errAt(start, "unterminated %c", c)
			}
			k := tString
			if c == '"' {
				k = tQuoted
			}
			out = append(out, token{kind: k, text: b.String(), pos: start})
		case c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+':
			start := i
			i++
			for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
				(s[i] == '-' || s[i] == '+') && (s[i-1] == 'e' || s[i-1] == 'E')) {
				i++
			}
			f, err := strconv.ParseFloat(s[start:i], 64)
			if err != nil || f-f != 0 {
				return nil, errAt(start, "%q is not a number", s[start:i])
			}
			out = append(out, token{kind: tNumber, text: s[start:i], num: f, pos: start})
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			start := i
			for i < len(s) && (s[i] == '_' || s[i] == ':' || s[i] == '.' || s[i] >= 'a' && s[i] <= 'z' ||
				s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || s[i] >= 0x80) {
				i++
			}
			out = append(out, token{kind: tIdent, text: s[start:i], pos: start})
		default:
			return nil, errAt(i, "unexpected character %q", c)
		}
	}
	return append(out, token{kind: tEOF, pos: len(s)}), nil
}

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// keyword reports whether the next token is the (case-insensitive)
// keyword kw, consuming it when it is.
func (p *parser) keyword(kw string) bool {
	t := p.peek()
	if t.kind == tIdent && strings.EqualFold(t.text, kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) punct(c string) error {
	t := p.next()
	if t.kind != tPunct || t.text != c {
		return errAt(t.pos, "expected %q, got %s", c, describe(t))
	}
	return nil
}

func describe(t token) string {
	if t.kind == tEOF {
		return "end of filter"
	}
	return strconv.Quote(t.text)
}

// ParseText parses a CQL2 text filter.
func ParseText(s string) (Expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, errAt(t.pos, "unexpected %s after the filter", describe(t))
	}
	return e, nil
}

func (p *parser) or() (Expr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errAt(p.peek().pos, "filter nested deeper than %d", maxDepth)
	}
	var args []Expr
	for {
		e, err := p.and()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
		if !p.keyword("OR") {
			break
		}
	}
	if len(args) == 1 {
		return args[0], nil
	}
	return Or{Args: args}, nil
}

func (p *parser) and() (Expr, error) {
	var args []Expr
	for {
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
		if !p.keyword("AND") {
			break
		}
	}
	if len(args) == 1 {
		return args[0], nil
	}
	return And{Args: args}, nil
}

func (p *parser) not() (Expr, error) {
	if p.keyword("NOT") {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, errAt(p.peek().pos, "filter nested deeper than %d", maxDepth)
		}
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return Not{X: e}, nil
	}
	return p.primary()
}

var spatialOps = map[string]bool{"s_intersects": true, "s_disjoint": true, "s_within": true, "s_contains": true}

func (p *parser) primary() (Expr, error) {
	t := p.peek()
	if t.kind == tPunct && t.text == "(" {
		p.next()
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		return e, p.punct(")")
	}
	if t.kind == tIdent {
		if op := strings.ToLower(t.text); spatialOps[op] {
			p.next()
			if err := p.punct("("); err != nil {
				return nil, err
			}
			l, err := p.geomOperand()
			if err != nil {
				return nil, err
			}
			if err := p.punct(","); err != nil {
				return nil, err
			}
			r, err := p.geomOperand()
			if err != nil {
				return nil, err
			}
			return Spatial{Op: op, L: l, R: r}, p.punct(")")
		}
	}
	x, err := p.scalar()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tOp {
		p.next()
		r, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return Compare{Op: t.text, L: x, R: r}, nil
	}
	if p.keyword("IS") {
		neg := p.keyword("NOT")
		if !p.keyword("NULL") {
			return nil, errAt(p.peek().pos, "expected NULL after IS, got %s", describe(p.peek()))
		}
		return negate(IsNull{X: x}, neg), nil
	}
	neg := p.keyword("NOT")
	switch {
	case p.keyword("LIKE"), p.keyword("ILIKE"):
		fold := strings.EqualFold(p.toks[p.i-1].text, "ILIKE")
		pat, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return negate(Like{X: x, Pattern: pat, Fold: fold}, neg), nil
	case p.keyword("BETWEEN"):
		lo, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if !p.keyword("AND") {
			return nil, errAt(p.peek().pos, "expected AND in BETWEEN, got %s", describe(p.peek()))
		}
		hi, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return negate(Between{X: x, Lo: lo, Hi: hi}, neg), nil
	case p.keyword("IN"):
		if err := p.punct("("); err != nil {
			return nil, err
		}
		var list []Operand
		for {
			v, err := p.scalar()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			if t := p.peek(); t.kind == tPunct && t.text == "," {
				p.next()
				continue
			}
			break
		}
		return negate(In{X: x, List: list}, neg), p.punct(")")
	}
	if lit, ok := x.(Literal); ok && !neg {
		if b, ok := lit.Value.(bool); ok {
			return Bool{Value: b}, nil
		}
	}
	t = p.peek()
	return nil, errAt(t.pos, "expected a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL), got %s", describe(t))
}

func negate(e Expr, neg bool) Expr {
	if neg {
		return Not{X: e}
	}
	return e
}

// scalar is a property, a string, a number or a boolean.
func (p *parser) scalar() (Operand, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return Literal{Value: t.text}, nil
	case tNumber:
		return Literal{Value: t.num}, nil
	case tQuoted:
		return Property{Name: t.text}, nil
	case tIdent:
		switch strings.ToUpper(t.text) {
		case "TRUE":
			return Literal{Value: true}, nil
		case "FALSE":
			return Literal{Value: false}, nil
		case "AND", "OR", "NOT", "LIKE", "ILIKE", "BETWEEN", "IN", "IS", "NULL":
			return nil, errAt(t.pos, "expected a property or a value, got the keyword %s", t.text)
		}
		if n := p.peek(); n.kind == tPunct && n.text == "(" {
			return nil, errAt(t.pos, "unsupported function %s", t.text)
		}
		return Property{Name: t.text}, nil
	}
	return nil, errAt(t.pos, "expected a property or a value, got %s", describe(t))
}

// geomOperand is a property or a geometry literal.
func (p *parser) geomOperand() (Operand, error) {
	t := p.peek()
	if t.kind == tIdent {
		if n := p.toks[min(p.i+1, len(p.toks)-1)]; n.kind == tPunct && n.text == "(" || isGeomKeyword(t.text) {
			p.next()
			g, err := p.geometry(strings.ToUpper(t.text), t.pos)
			if err != nil {
				return nil, err
			}
			return Geom{Geometry: g}, nil
		}
	}
	if t.kind == tIdent || t.kind == tQuoted {
		p.next()
		return Property{Name: t.text}, nil
	}
	return nil, errAt(t.pos, "expected a property or a geometry (WKT or BBOX), got %s", describe(t))
}

func isGeomKeyword(s string) bool {
	switch strings.ToUpper(s) {
	case "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION", "BBOX":
		return true
	}
	return false
}

func (p *parser) geometry(kind string, pos int) (orb.Geometry, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errAt(pos, "geometry nested deeper than %d", maxDepth)
	}
	switch kind {
	case "POINT":
		if err := p.punct("("); err != nil {
			return nil, err
		}
		pt, err := p.coord()
		if err != nil {
			return nil, err
		}
		return pt, p.punct(")")
	case "LINESTRING":
		ls, err := p.coords(2)
		return orb.LineString(ls), err
	case "POLYGON":
		return p.polygon()
	case "MULTIPOINT":
		if err := p.punct("("); err != nil {
			return nil, err
		}
		var mp orb.MultiPoint
		for {
			paren := false
			if t := p.peek(); t.kind == tPunct && t.text == "(" {
				p.next()
				paren = true
			}
			pt, err := p.coord()
			if err != nil {
				return nil, err
			}
			if paren {
				if err := p.punct(")"); err != nil {
					return nil, err
				}
			}
			mp = append(mp, pt)
			if !p.comma() {
				break
			}
		}
		return mp, p.punct(")")
	case "MULTILINESTRING":
		if err := p.punct("("); err != nil {
			return nil, err
		}
		var ml orb.MultiLineString
		for {
			ls, err := p.coords(2)
			if err != nil {
				return nil, err
			}
			ml = append(ml, ls)
			if !p.comma() {
				break
			}
		}
		return ml, p.punct(")")
	case "MULTIPOLYGON":
		if err := p.punct("("); err != nil {
			return nil, err
		}
		var mp orb.MultiPolygon
		for {
			pg, err := p.polygon()
			if err != nil {
				return nil, err
			}
			mp = append(mp, pg)
			if !p.comma() {
				break
			}
		}
		return mp, p.punct(")")
	case "GEOMETRYCOLLECTION":
		if err := p.punct("("); err != nil {
			return nil, err
		}
		var gc orb.Collection
		for {
			t := p.next()
			if t.kind != tIdent || !isGeomKeyword(t.text) || strings.EqualFold(t.text, "BBOX") {
				return nil, errAt(t.pos, "expected a WKT geometry, got %s", describe(t))
			}
			g, err := p.geometry(strings.ToUpper(t.text), t.pos)
			if err != nil {
				return nil, err
			}
			gc = append(gc, g)
			if !p.comma() {
				break
			}
		}
		return gc, p.punct(")")
	case "BBOX":
		if err := p.punct("("); err != nil {
			return nil, err
		}
		var v []float64
		for {
			t := p.next()
			if t.kind != tNumber {
				return nil, errAt(t.pos, "expected a number in BBOX, got %s", describe(t))
			}
			v = append(v, t.num)
			if !p.comma() {
				break
			}
		}
		if err := p.punct(")"); err != nil {
			return nil, err
		}
		return bboxPolygon(v, pos)
	}
	return nil, errAt(pos, "unsupported geometry %s", kind)
}

// bboxPolygon is the polygon of a 4- or 6-number bbox.
func bboxPolygon(v []float64, pos int) (orb.Geometry, error) {
	switch len(v) {
	case 4:
	case 6:
		v = []float64{v[0], v[1], v[3], v[4]}
	default:
		return nil, errAt(pos, "BBOX wants 4 or 6 numbers, got %d", len(v))
	}
	if v[0] > v[2] || v[1] > v[3] {
		return nil, errAt(pos, "BBOX min is greater than max")
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}.ToPolygon(), nil
}

func (p *parser) comma() bool {
	if t := p.peek(); t.kind == tPunct && t.text == "," {
		p.next()
		return true
	}
	return false
}

// coord reads "x y" (a third number, z, is read and dropped).
func (p *parser) coord() (orb.Point, error) {
	var v [3]float64
	n := 0
	for n < 3 && p.peek().kind == tNumber {
		v[n] = p.next().num
		n++
	}
	if n < 2 {
		return orb.Point{}, errAt(p.peek().pos, "expected a coordinate (x y), got %s", describe(p.peek()))
	}
	return orb.Point{v[0], v[1]}, nil
}

// coords reads "(x y, x y, …)" with at least min points.
func (p *parser) coords(min int) ([]orb.Point, error) {
	pos := p.peek().pos
	if err := p.punct("("); err != nil {
		return nil, err
	}
	var out []orb.Point
	for {
		pt, err := p.coord()
		if err != nil {
			return nil, err
		}
		out = append(out, pt)
		if !p.comma() {
			break
		}
	}
	if len(out) < min {
		return nil, errAt(pos, "want at least %d points, got %d", min, len(out))
	}
	return out, p.punct(")")
}

func (p *parser) polygon() (orb.Polygon, error) {
	if err := p.punct("("); err != nil {
		return nil, err
	}
	var pg orb.Polygon
	for {
		pos := p.peek().pos
		r, err := p.coords(3)
		if err != nil {
			return nil, err
		}
		ring, err := closeRing(r, pos)
		if err != nil {
			return nil, err
		}
		pg = append(pg, ring)
		if !p.comma() {
			break
		}
	}
	return pg, p.punct(")")
}

// closeRing closes an open ring and refuses one with fewer than 3
// distinct corners.
func closeRing(r []orb.Point, pos int) (orb.Ring, error) {
	if r[0] != r[len(r)-1] {
		r = append(r, r[0])
	}
	if len(r) < 4 {
		return nil, errAt(pos, "a polygon ring needs at least 3 corners")
	}
	return orb.Ring(r), nil
}
