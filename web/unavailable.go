package web

import (
	"log/slog"
	"net/http"
)

// Unavailable answers routes whose capability the data does not support
// (dispatch without roads) with 503 and a JSON body saying why, instead of
// the server refusing to start or the route being unknown.
type Unavailable struct {
	// Reason is the message every route answers with.
	Reason string
	// Routes are the mux patterns ("GET /api/dispatch/nearest") answered.
	Routes []string
}

// Register implements Registrar.
func (u Unavailable) Register(mux *http.ServeMux, log *slog.Logger, _ Tokens) {
	for _, r := range u.Routes {
		mux.Handle(r, Handle(log, func(w http.ResponseWriter, r *http.Request) error {
			return &Error{Status: http.StatusServiceUnavailable, Message: u.Reason}
		}))
	}
}
