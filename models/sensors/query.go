package sensors

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/onemap/onemap/models/field"
)

// Query is the system query options of a request ($top, $skip, $count,
// $orderby, $filter, $expand), parsed.
type Query struct {
	Top, Skip int
	TopSet    bool
	Count     bool
	OrderBy   []Order
	Where     []Cond
	Expand    []Expand
}

// Expand is one $expand item: a navigation property, its options and the
// items expanded inside it ("Datastreams/Observations($top=1)" is
// Datastreams expanding Observations).
type Expand struct {
	Name  string
	Query Query
}

// ParseQuery reads the options from their values (as url.Values.Get gives
// them). name prefixes field names in errors ("$expand/Observations.").
func ParseQuery(get func(string) string, prefix string) (Query, error) {
	var q Query
	if s := get("$top"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, field.Errorf(prefix+"$top", "want a non-negative integer, got %q", s)
		}
		q.Top, q.TopSet = n, true
	}
	if s := get("$skip"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, field.Errorf(prefix+"$skip", "want a non-negative integer, got %q", s)
		}
		q.Skip = n
	}
	switch s := get("$count"); s {
	case "", "false":
	case "true":
		q.Count = true
	default:
		return q, field.Errorf(prefix+"$count", "want true or false, got %q", s)
	}
	if s := get("$orderby"); s != "" {
		for _, part := range strings.Split(s, ",") {
			f := strings.Fields(part)
			if len(f) == 0 || len(f) > 2 || (len(f) == 2 && f[1] != "asc" && f[1] != "desc") {
				return q, field.Errorf(prefix+"$orderby", "want property [asc|desc], got %q", part)
			}
			q.OrderBy = append(q.OrderBy, Order{Field: f[0], Desc: len(f) == 2 && f[1] == "desc"})
		}
	}
	if s := get("$filter"); s != "" {
		w, err := ParseFilter(s)
		if err != nil {
			return q, field.Errorf(prefix+"$filter", "%v", err)
		}
		q.Where = w
	}
	if s := get("$expand"); s != "" {
		e, err := ParseExpand(s, prefix)
		if err != nil {
			return q, err
		}
		q.Expand = e
	}
	return q, nil
}

// ParseExpand reads an $expand value: comma-separated items, each a path
// of navigation properties separated by "/" with options in parentheses
// separated by ";".
func ParseExpand(s, prefix string) ([]Expand, error) {
	var out []Expand
	for _, item := range splitTop(s, ',') {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, field.Errorf(prefix+"$expand", "empty item in %q", s)
		}
		path, opts := item, ""
		if i := strings.IndexByte(item, '('); i >= 0 {
			if !strings.HasSuffix(item, ")") {
				return nil, field.Errorf(prefix+"$expand", "unbalanced parentheses in %q", item)
			}
			path, opts = item[:i], item[i+1:len(item)-1]
		}
		names := strings.Split(path, "/")
		vals := map[string]string{}
		for _, o := range splitTop(opts, ';') {
			if o = strings.TrimSpace(o); o == "" {
				continue
			}
			k, v, ok := strings.Cut(o, "=")
			if !ok {
				return nil, field.Errorf(prefix+"$expand", "want $option=value, got %q", o)
			}
			vals[k] = v
		}
		inner, err := ParseQuery(func(k string) string { return vals[k] }, prefix+"$expand/"+names[len(names)-1]+".")
		if err != nil {
			return nil, err
		}
		// Build the chain from the innermost item out.
		e := Expand{Name: names[len(names)-1], Query: inner}
		for i := len(names) - 2; i >= 0; i-- {
			e = Expand{Name: names[i], Query: Query{Expand: []Expand{e}}}
		}
		out = mergeExpand(out, e)
	}
	return out, nil
}

func mergeExpand(list []Expand, e Expand) []Expand {
	for i := range list {
		if list[i].Name == e.Name {
			for _, sub := range e.Query.Expand {
				list[i].Query.Expand = mergeExpand(list[i].Query.Expand, sub)
			}
			return list
		}
	}
	return append(list, e)
}

// splitTop splits s on sep outside parentheses and quotes.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, quote, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quote = !quote
		case quote:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// ParseFilter reads the $filter subset onemap answers: comparisons
// "property op literal" (op eq, ne, gt, ge, lt, le) joined by "and", the
// literal a number, a 'string', true, false or an ISO 8601 time.
func ParseFilter(s string) ([]Cond, error) {
	toks, err := tokens(s)
	if err != nil {
		return nil, err
	}
	var out []Cond
	for i := 0; ; {
		if i+3 > len(toks) {
			return nil, errf("want property op value, got %q", strings.Join(toks[i:], " "))
		}
		prop, op, lit := toks[i], toks[i+1], toks[i+2]
		if _, ok := sqlOp[op]; !ok {
			return nil, errf("unknown operator %q (eq, ne, gt, ge, lt, le)", op)
		}
		v, err := literal(lit)
		if err != nil {
			return nil, err
		}
		out = append(out, Cond{Field: prop, Op: op, Value: v})
		i += 3
		if i == len(toks) {
			return out, nil
		}
		if toks[i] != "and" {
			return nil, errf("only 'and' joins comparisons, got %q", toks[i])
		}
		i++
	}
}

type filterError string

func (e filterError) Error() string { return string(e) }

func errf(format string, args ...any) error {
	return filterError(strings.TrimSpace(sprintf(format, args...)))
}

func tokens(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ':
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errf("unterminated string in %q", s)
			}
			out = append(out, s[i:i+j+2])
			i += j + 2
		case c == '(' || c == ')':
			return nil, errf("parentheses and functions are not supported in $filter")
		default:
			j := strings.IndexByte(s[i:], ' ')
			if j < 0 {
				j = len(s) - i
			}
			out = append(out, s[i:i+j])
			i += j
		}
	}
	return out, nil
}

func literal(s string) (any, error) {
	switch {
	case strings.HasPrefix(s, "'"):
		return strings.Trim(s, "'"), nil
	case s == "true":
		return true, nil
	case s == "false":
		return false, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return nil, errf("%q is not a number, 'string', boolean or ISO 8601 time", s)
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
