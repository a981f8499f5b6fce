package web

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// Role is what a token may do. Roles are ordered: admin may do everything.
type Role string

// The roles onemap knows.
const (
	Viewer     Role = "viewer"
	Planner    Role = "planner"
	Dispatcher Role = "dispatcher"
	Admin      Role = "admin"
)

// Tokens maps bearer tokens to roles.
type Tokens map[string]Role

// ParseTokens reads "token:role,token:role" (the ONEMAP_TOKENS format).
func ParseTokens(s string) (Tokens, error) {
	t := Tokens{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tok, role, ok := strings.Cut(part, ":")
		if !ok || tok == "" {
			return nil, fmt.Errorf("token %q: want token:role", part)
		}
		switch r := Role(role); r {
		case Viewer, Planner, Dispatcher, Admin, SensorRole:
			t[tok] = r
		default:
			return nil, fmt.Errorf("token %q: unknown role %q (viewer, planner, dispatcher, sensor, admin)", tok, role)
		}
	}
	return t, nil
}

// role returns the role of the request's bearer token.
func (t Tokens) role(r *http.Request) (Role, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return "", false
	}
	for k, role := range t {
		if subtle.ConstantTimeCompare([]byte(k), []byte(tok)) == 1 {
			return role, true
		}
	}
	return "", false
}

// Require wraps h so that it runs only for a token with role want (or
// admin); others get 401 (no or unknown token) or 403 (wrong role).
func (t Tokens) Require(want Role, h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		got, ok := t.role(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="onemap"`)
			return &Error{Status: http.StatusUnauthorized, Field: "Authorization", Message: "a bearer token is required for this write"}
		}
		if got != want && got != Admin {
			return &Error{Status: http.StatusForbidden, Field: "Authorization", Message: fmt.Sprintf("role %s may not do this; it needs %s", got, want)}
		}
		return h(w, r)
	}
}

// SensorRole may post SensorThings entities and observations (a gauge
// gateway).
const SensorRole Role = "sensor"
