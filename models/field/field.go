// Package field is the one error type the models use for bad input: a
// message naming the field at fault. The web layer maps it to a 400 (see
// web.writeError) unless a handler says better.
package field

import "fmt"

// Error is an input problem naming the field at fault (a JSON path such as
// "changes[2].params.seats" or "costs[3][1]").
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }

// Errorf returns an *Error for field.
func Errorf(field, format string, args ...any) *Error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...)}
}
