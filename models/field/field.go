// Package field is the one error type the models use for bad input: a
// message naming the field at fault, and what kind of fault it is. The web
// layer maps the kinds to status codes in one place (web.writeError).
package field

import "fmt"

// Kind is what is wrong with a field's value.
type Kind int

// The kinds of input problem.
const (
	// Invalid: malformed or out of range (HTTP 400).
	Invalid Kind = iota
	// Missing: it names something that does not exist (HTTP 404).
	Missing
	// Unusable: well formed, but the model cannot work with it, such as an
	// empty layer or a stored scenario that no longer applies (HTTP 422).
	Unusable
)

// Error is an input problem naming the field at fault (a JSON path such as
// "changes[2].params.seats" or "costs[3][1]").
type Error struct {
	Field   string
	Message string
	Kind    Kind
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }

// Errorf returns an Invalid *Error for field.
func Errorf(field, format string, args ...any) *Error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Missingf returns a Missing *Error for field.
func Missingf(field, format string, args ...any) *Error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...), Kind: Missing}
}

// Unusablef returns an Unusable *Error for field.
func Unusablef(field, format string, args ...any) *Error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...), Kind: Unusable}
}
