// Package scenario holds planners' "what if" scenarios for any model: a
// named baseline (the data as it is) and alternatives, each a list of
// changes applied copy-on-write over the baseline. The package knows nothing
// of any model: a model validates and compares its own changes through the
// Model interface, and a Service keeps scenarios in a Store only after the
// model has accepted them.
package scenario

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/onemap/onemap/models/field"
)

// Baseline is the id (and name) of every model's baseline scenario: the
// data as it is, with no changes. It is never stored.
const Baseline = "baseline"

// MaxChanges bounds the changes of one scenario.
const MaxChanges = 1000

// Errors a Store or Service reports; wrapped with details.
var (
	ErrNotFound = errors.New("scenario not found")
	ErrExists   = errors.New("scenario already exists")
)

// Change is one edit of the baseline: an operation the model defines and
// its parameters, e.g. {"op":"add_housing","params":{"grid":"G1",...}}.
type Change struct {
	Op     string          `json:"op"`
	Params json.RawMessage `json:"params,omitempty"`
}

// Scenario is a named alternative to a model's baseline.
type Scenario struct {
	ID          string    `json:"id"`
	Model       string    `json:"model"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Changes     []Change  `json:"changes"`
	Created     time.Time `json:"created"`
}

// Clone returns a deep copy, so that callers cannot alter a stored scenario.
func (s Scenario) Clone() Scenario {
	c := s
	c.Changes = make([]Change, len(s.Changes))
	for i, ch := range s.Changes {
		c.Changes[i] = Change{Op: ch.Op, Params: append(json.RawMessage(nil), ch.Params...)}
	}
	return c
}

// FieldError is invalid input naming the field at fault (a JSON path such
// as "changes[2].params.seats"). The web layer turns it into a 400.
type FieldError = field.Error

// Invalid returns a *FieldError.
func Invalid(name, format string, args ...any) *FieldError {
	return field.Errorf(name, format, args...)
}

// Prefix returns err with its field prefixed by prefix (err unchanged when it
// is not a *FieldError).
func Prefix(prefix string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		f := prefix
		if fe.Field != "" {
			if strings.HasPrefix(fe.Field, "[") {
				f += fe.Field
			} else {
				f += "." + fe.Field
			}
		}
		return &FieldError{Field: f, Message: fe.Message}
	}
	return err
}

// Value is one keyed figure of a model run: e.g. the demand (Metric) of
// catchment P01 (Key) in 2028 (Year; 0 when the model has no years).
type Value struct {
	Key    string  `json:"key"`
	Year   int     `json:"year,omitempty"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
}

// Delta compares one figure between the baseline and a scenario.
type Delta struct {
	Key      string  `json:"key"`
	Year     int     `json:"year,omitempty"`
	Metric   string  `json:"metric"`
	Baseline float64 `json:"baseline"`
	Scenario float64 `json:"scenario"`
	Diff     float64 `json:"diff"` // Scenario − Baseline
}

// Compare pairs the figures of a baseline and a scenario run by (key, year,
// metric); a figure present on one side only counts as 0 on the other. The
// result is sorted by key, year, metric.
func Compare(base, alt []Value) []Delta {
	type k struct {
		key    string
		year   int
		metric string
	}
	idx := make(map[k]int, len(base))
	out := make([]Delta, 0, len(base))
	for _, v := range base {
		kk := k{v.Key, v.Year, v.Metric}
		if i, ok := idx[kk]; ok {
			out[i].Baseline += v.Value
			continue
		}
		idx[kk] = len(out)
		out = append(out, Delta{Key: v.Key, Year: v.Year, Metric: v.Metric, Baseline: v.Value})
	}
	for _, v := range alt {
		kk := k{v.Key, v.Year, v.Metric}
		i, ok := idx[kk]
		if !ok {
			i = len(out)
			idx[kk] = i
			out = append(out, Delta{Key: v.Key, Year: v.Year, Metric: v.Metric})
		}
		out[i].Scenario += v.Value
	}
	for i := range out {
		out[i].Diff = out[i].Scenario - out[i].Baseline
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		if a.Year != b.Year {
			return a.Year < b.Year
		}
		return a.Metric < b.Metric
	})
	return out
}

// Model is what a model offers scenarios: it checks a list of changes
// against its current baseline, and compares a scenario's run with the
// baseline's.
type Model interface {
	// Validate reports the first invalid change as a *FieldError whose
	// field is relative to the change list (e.g. "[1].params.grid").
	Validate(ctx context.Context, changes []Change) error
	// Compare runs the baseline and the changed baseline.
	Compare(ctx context.Context, changes []Change) ([]Delta, error)
}

// Store keeps scenarios. Implementations must make a failed write change
// nothing.
type Store interface {
	// Create stores s; ErrExists when its id, or its name within its model,
	// is taken.
	Create(ctx context.Context, s Scenario) error
	// Get returns the scenario with the id, or ErrNotFound.
	Get(ctx context.Context, id string) (Scenario, error)
	// List returns the scenarios of a model ("" for all) oldest first.
	List(ctx context.Context, model string) ([]Scenario, error)
	// Delete removes the scenario, or reports ErrNotFound.
	Delete(ctx context.Context, id string) error
}

// Service validates scenarios with their model before storing them.
type Service struct {
	Store  Store
	Models map[string]Model
	// Now and NewID default to time.Now and random ids.
	Now   func() time.Time
	NewID func() string
}

// NewService returns a service over store for the given models.
func NewService(store Store, models map[string]Model) *Service {
	return &Service{Store: store, Models: models}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().UTC()
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "sc_" + hex.EncodeToString(b[:])
}

// Create validates sc (its model, name and every change) and only then
// stores it with a fresh id and creation time; the stored copy is returned.
func (s *Service) Create(ctx context.Context, sc Scenario) (Scenario, error) {
	m, ok := s.Models[sc.Model]
	if !ok {
		return Scenario{}, Invalid("model", "unknown model %q (known: %s)", sc.Model, strings.Join(s.ModelNames(), ", "))
	}
	name := strings.TrimSpace(sc.Name)
	switch {
	case name == "":
		return Scenario{}, Invalid("name", "a scenario needs a name")
	case len(name) > 200:
		return Scenario{}, Invalid("name", "name longer than 200 characters")
	case strings.EqualFold(name, Baseline):
		return Scenario{}, Invalid("name", "%q is reserved for the baseline", Baseline)
	case len(sc.Changes) == 0:
		return Scenario{}, Invalid("changes", "a scenario needs at least one change")
	case len(sc.Changes) > MaxChanges:
		return Scenario{}, Invalid("changes", "at most %d changes", MaxChanges)
	}
	for i, ch := range sc.Changes {
		if strings.TrimSpace(ch.Op) == "" {
			return Scenario{}, Invalid(fmt.Sprintf("changes[%d].op", i), "missing op")
		}
	}
	if err := m.Validate(ctx, sc.Changes); err != nil {
		return Scenario{}, Prefix("changes", err)
	}
	out := sc.Clone()
	out.Name = name
	out.ID = s.newID()
	out.Created = s.now()
	if err := s.Store.Create(ctx, out); err != nil {
		return Scenario{}, err
	}
	return out, nil
}

// Get returns a stored scenario, or the model's baseline for id Baseline.
func (s *Service) Get(ctx context.Context, model, id string) (Scenario, error) {
	if id == Baseline || id == "" {
		return Scenario{ID: Baseline, Model: model, Name: Baseline, Changes: []Change{}}, nil
	}
	sc, err := s.Store.Get(ctx, id)
	if err != nil {
		return Scenario{}, err
	}
	if model != "" && sc.Model != model {
		return Scenario{}, fmt.Errorf("%w: %s is a %s scenario, not %s", ErrNotFound, id, sc.Model, model)
	}
	return sc, nil
}

// List returns the stored scenarios of a model ("" for all).
func (s *Service) List(ctx context.Context, model string) ([]Scenario, error) {
	if model != "" {
		if _, ok := s.Models[model]; !ok {
			return nil, Invalid("model", "unknown model %q (known: %s)", model, strings.Join(s.ModelNames(), ", "))
		}
	}
	return s.Store.List(ctx, model)
}

// Delete removes a stored scenario; the baseline cannot be deleted.
func (s *Service) Delete(ctx context.Context, id string) error {
	if id == Baseline {
		return Invalid("id", "the baseline cannot be deleted")
	}
	return s.Store.Delete(ctx, id)
}

// Compare runs the scenario with the id against its model's baseline.
func (s *Service) Compare(ctx context.Context, id string) (Scenario, []Delta, error) {
	if id == Baseline || id == "" {
		return Scenario{}, nil, Invalid("id", "compare a stored scenario with the baseline, not the baseline itself")
	}
	sc, err := s.Store.Get(ctx, id)
	if err != nil {
		return Scenario{}, nil, err
	}
	m, ok := s.Models[sc.Model]
	if !ok {
		return Scenario{}, nil, fmt.Errorf("scenario %s: model %q is not served here", id, sc.Model)
	}
	d, err := m.Compare(ctx, sc.Changes)
	return sc, d, err
}

// ModelNames lists the known models in order.
func (s *Service) ModelNames() []string {
	out := make([]string, 0, len(s.Models))
	for n := range s.Models {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
