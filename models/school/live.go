package school

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/field"
	"github.com/onemap/onemap/models/scenario"
)

// inputLayers are the catalog layers the model's input is built from.
var inputLayers = []string{layers.Grids, layers.Communities, layers.Catchments, layers.Schools}

// Live is the school model over a live catalog: its input is rebuilt from
// the catalog's grids, communities, catchments and schools (and the
// district's tables) whenever one of them has changed, so an edit of a
// school's seats is in the next projection; and it owns the derived
// school_pressure layer, recomputed when an input changes.
type Live struct {
	cat   *layers.Catalog
	input func(context.Context) (*Input, error)
	svc   *scenario.Service
	log   *slog.Logger

	mu    sync.Mutex
	shown struct {
		scenario string
		year     int
	} // what the school_pressure layer shows
	follow *layers.Follower
}

// NewLive starts the model over input (CatalogInput for a served
// district), with scenarios from svc (the school model is added to
// svc.Models). It puts the school_pressure layer into cat three years
// ahead of the data — the horizon of Futian's warnings — and recomputes it
// whenever cat's grids, communities, catchments or schools change, until
// ctx ends. log (nil: none) hears of failed recomputations.
func NewLive(ctx context.Context, cat *layers.Catalog, input func(context.Context) (*Input, error), svc *scenario.Service, log *slog.Logger) (*Live, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Live{cat: cat, input: input, svc: svc, log: log}
	if svc.Models == nil {
		svc.Models = map[string]scenario.Model{}
	}
	if _, ok := svc.Models[Name]; !ok {
		svc.Models[Name] = Scenarios{Baseline: l.Input}
	}
	in, err := l.Input(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := l.PutLayer(ctx, "", in.Year+3); err != nil {
		return nil, fmt.Errorf("school_pressure layer: %w", err)
	}
	l.follow = cat.Follow(inputLayers, func([]layers.Event) { l.refresh(ctx) })
	context.AfterFunc(ctx, l.follow.Stop)
	return l, nil
}

// Wait blocks until the model has followed the catalog up to version v.
func (l *Live) Wait(ctx context.Context, v uint64) error { return l.follow.Wait(ctx, v) }

// refresh recomputes the school_pressure layer after an input changed.
func (l *Live) refresh(ctx context.Context) {
	l.mu.Lock()
	id, year := l.shown.scenario, l.shown.year
	l.mu.Unlock()
	_, _, err := l.PutLayer(ctx, id, year)
	if err != nil && id != "" && ctx.Err() == nil {
		l.log.Warn("school: the shown scenario no longer applies; showing the baseline", "scenario", id, "err", err)
		_, _, err = l.PutLayer(ctx, "", year)
	}
	if err != nil && ctx.Err() == nil {
		l.log.Error("school: recomputing school_pressure (it keeps its last content)", "err", err)
	}
}

// Input is the model's current input.
func (l *Live) Input(ctx context.Context) (*Input, error) { return l.input(ctx) }

// CatalogInput returns the model's input for the district d (its tables;
// its layers are not used) over cat's live layers: FromDistrict with
// policy pol, rebuilt when a layer it reads has changed since the last
// call, so an edit of a school's seats is in the next projection.
func CatalogInput(cat *layers.Catalog, d *data.District, pol Policy) func(context.Context) (*Input, error) {
	var mu sync.Mutex
	var versions []uint64 // of inputLayers, for in
	var in *Input
	return func(ctx context.Context) (*Input, error) {
		vs := make([]uint64, len(inputLayers))
		for i, name := range inputLayers {
			if ly, ok := cat.Layer(name); ok {
				vs[i] = ly.Snapshot().Version()
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if in != nil && slices.Equal(vs, versions) {
			return in, nil
		}
		dd := *d
		dd.Layers = make(map[string][]layers.Feature, len(inputLayers))
		for _, name := range inputLayers {
			dd.Layers[name] = cat.Features(name)
		}
		next, err := FromDistrict(&dd, pol)
		if err != nil {
			return nil, err
		}
		in, versions = next, vs
		return in, ctx.Err()
	}
}

// Run projects years ahead under the scenario id (the baseline when empty
// or "baseline").
func (l *Live) Run(ctx context.Context, id string, years int) (*Result, error) {
	return l.RunWith(ctx, id, Options{Years: years})
}

// RunWith is Run with options (opt.Scenario is set from the scenario).
func (l *Live) RunWith(ctx context.Context, id string, opt Options) (*Result, error) {
	base, err := l.Input(ctx)
	if err != nil {
		return nil, err
	}
	if id == "" || id == scenario.Baseline {
		opt.Scenario = scenario.Baseline
		return Project(base, opt)
	}
	sc, err := l.svc.Get(ctx, Name, id)
	if errors.Is(err, scenario.ErrNotFound) {
		return nil, field.Missingf("scenario", "%v", err)
	}
	if err != nil {
		return nil, err
	}
	in, err := Apply(base, sc.Changes)
	if err != nil {
		// Stored scenarios were valid when stored; the baseline has changed since.
		var fe *scenario.FieldError
		if errors.As(err, &fe) {
			return nil, field.Unusablef("scenario", "scenario %s no longer applies to the current data: %s", id, fe.Error())
		}
		return nil, err
	}
	opt.Scenario = sc.Name
	return Project(in, opt)
}

// PutLayer puts the school_pressure layer of a scenario ("" or "baseline"
// for the baseline) and projected year into the catalog, and keeps it so
// as the inputs change. It returns the features put and the scenario's
// name.
func (l *Live) PutLayer(ctx context.Context, id string, year int) (int, string, error) {
	base, err := l.Input(ctx)
	if err != nil {
		return 0, "", err
	}
	h := year - base.Year
	if h < 1 || h > MaxYears {
		return 0, "", field.Errorf("year", "%d is not a projected year (%d–%d)", year, base.Year+1, base.Year+MaxYears)
	}
	res, err := l.Run(ctx, id, h)
	if err != nil {
		return 0, "", err
	}
	n, err := PutLayer(l.cat, res, year)
	if err != nil {
		return 0, "", err
	}
	l.mu.Lock()
	l.shown.scenario, l.shown.year = id, year
	l.mu.Unlock()
	return n, res.Scenario, nil
}
