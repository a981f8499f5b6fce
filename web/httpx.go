// Package web is onemap's HTTP layer: it parses and validates requests, calls
// the layers, tiles, spatial and models packages, writes JSON, GeoJSON and
// MVT, and maps errors to status codes in one place (Error below).
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/dispatch"
	"github.com/onemap/onemap/models/field"
	"github.com/onemap/onemap/models/scenario"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/spatial/network"
)

// Error is a client-facing error: an HTTP status, the request field at fault
// (empty when none) and a message. Handlers return it; writeError maps
// every other error to 500.
type Error struct {
	Status  int    `json:"-"`
	Field   string `json:"field,omitempty"`
	Message string `json:"error"`
	Err     error  `json:"-"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// BadRequest is a 400 naming the field at fault.
func BadRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound is a 404 naming what was not found.
func NotFound(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Unprocessable is a 422: well-formed input that the model cannot accept.
func Unprocessable(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Field: field, Message: fmt.Sprintf(format, args...)}
}

// HandlerFunc is an HTTP handler that returns an error instead of writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts h to http.Handler, writing any error it returns with
// writeError. log receives server errors.
func Handle(log *slog.Logger, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(log, w, r, err)
		}
	})
}

// writeError is the one place errors become status codes.
func writeError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	e := clientError(err)
	if e == nil {
		if errors.Is(err, r.Context().Err()) && r.Context().Err() != nil {
			e = &Error{Status: 499, Message: "request cancelled"}
		} else {
			log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			e = &Error{Status: http.StatusInternalServerError, Message: "internal error"}
		}
	}
	if e.Status == http.StatusServiceUnavailable {
		log.Warn("request failed: store unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e.Message, "field": e.Field, "status": e.Status})
}

// clientError is the one place errors become status codes: a handler's
// *Error as it is, a model's *field.Error by its kind, and the packages'
// sentinel errors by what they mean. A store outage is a 503 whatever else
// the error says. nil means a server error.
func clientError(err error) *Error {
	var e *Error
	var fe *field.Error
	switch {
	case errors.Is(err, layers.ErrUnavailable):
		return &Error{Status: http.StatusServiceUnavailable, Message: "the database is unavailable; retry shortly", Err: err}
	case errors.As(err, &e):
		return e
	case errors.As(err, &fe):
		status := map[field.Kind]int{field.Invalid: http.StatusBadRequest, field.Missing: http.StatusNotFound,
			field.Unusable: http.StatusUnprocessableEntity}[fe.Kind]
		return &Error{Status: status, Field: fe.Field, Message: fe.Message, Err: err}
	}
	for _, m := range []struct {
		err    error
		status int
		field  string
	}{
		{network.ErrTooFar, http.StatusUnprocessableEntity, "lon"},
		{spatial.ErrOutside, http.StatusUnprocessableEntity, "lon,lat"},
		{dispatch.ErrUnknownUnit, http.StatusNotFound, "id"},
		{dispatch.ErrUnknownClosure, http.StatusNotFound, "id"},
		{scenario.ErrNotFound, http.StatusNotFound, "id"},
		{scenario.ErrExists, http.StatusConflict, "name"},
		{layers.ErrUnknownLayer, http.StatusNotFound, "layer"},
		{layers.ErrNoFeature, http.StatusNotFound, "id"},
		{layers.ErrNotOwner, http.StatusConflict, "layer"},
		{layers.ErrReadOnly, http.StatusConflict, "layer"},
	} {
		if errors.Is(err, m.err) {
			return &Error{Status: m.status, Field: m.field, Message: err.Error(), Err: err}
		}
	}
	return nil
}

// WriteJSON writes v as JSON with the given content type (application/json
// when empty).
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) error {
	if contentType == "" {
		contentType = "application/json"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// DecodeJSON reads a JSON request body (at most 32 MiB) into v, refusing
// unknown fields, and reports problems as a 400.
func DecodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 32<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return BadRequest(ute.Field, "expected %s, got %s", ute.Type, ute.Value)
		}
		msg := err.Error()
		if strings.HasPrefix(msg, "json: unknown field ") {
			return BadRequest(strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "unknown field")
		}
		return BadRequest("body", "invalid JSON: %v", err)
	}
	return nil
}
