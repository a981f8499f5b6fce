package network

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers/osm"
)

// FromOSM builds a graph from an OSM extract's highways, honouring its
// via-node turn restrictions.
func FromOSM(x *osm.Extract) (*Graph, error) {
	ways := make([]Way, 0, len(x.Highways))
	for _, h := range x.Highways {
		ways = append(ways, Way{ID: h.ID, Coords: h.Coords, Keys: h.Nodes, Forward: h.Forward, Backward: h.Backward, SpeedKmh: h.SpeedKmh})
	}
	rs := make([]Restriction, 0, len(x.Restrictions))
	for _, r := range x.Restrictions {
		rs = append(rs, Restriction{From: r.From, To: r.To, Via: r.Via, Only: r.Only})
	}
	return Build(ways, rs)
}

// LoadOSM reads an extract for `onemap serve --osm FILE`: the district
// (roads and POI layers) and its road graph. progress may be nil.
func LoadOSM(ctx context.Context, path string, progress io.Writer) (*data.District, *Graph, error) {
	x, err := osm.Read(ctx, path, osm.Options{Progress: progress})
	if err != nil {
		return nil, nil, err
	}
	g, err := FromOSM(x)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if progress != nil {
		fmt.Fprintf(progress, "network: %d nodes, %d edges, %d turn restrictions, main component %d nodes, %.1f MB\n",
			g.Nodes(), g.Edges(), g.Restrictions(), g.MainComponent(), float64(g.MemoryBytes())/1e6)
	}
	name := strings.TrimSuffix(filepath.Base(path), ".osm.pbf")
	return x.District(name), g, nil
}
