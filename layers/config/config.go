// Package config reads onemap.toml: which of the user's PostGIS tables,
// views or queries are served, under which names, zooms and titles, and
// the role each plays for onemap's features (the grid hierarchy, roads,
// fire stations …), mapping the user's columns onto the fields of
// onemap's thematic layers (layers.ThematicSchemas) so that locate, stats,
// dispatch and the models work on the user's data. Plan checks the file
// against the database's catalog and turns it into postgis.Sources.
package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// File is onemap.toml.
type File struct {
	// PostGIS says what is published automatically and how edits are followed.
	PostGIS PostGIS `toml:"postgis"`
	// Layers are the layers configured one by one.
	Layers []Layer `toml:"layers"`
}

// PostGIS is the [postgis] table.
type PostGIS struct {
	// Schemas to publish from: empty is the search path, ["*"] every
	// schema the role can use except the system ones.
	Schemas []string `toml:"schemas"`
	// AutoPublish publishes every readable table and view with a geometry
	// column that no layer names (true when absent).
	AutoPublish *bool `toml:"auto_publish"`
	// Poll is how often the user's tables are re-read for edits
	// ("500ms" when absent; "0" turns following off).
	Poll string `toml:"poll"`
	// PollMaxRows is the largest table polling re-reads (200000 when 0);
	// bigger ones are served as they were at start-up.
	PollMaxRows int64 `toml:"poll_max_rows"`
}

// Layer is one [[layers]] entry.
type Layer struct {
	// Name is the layer's name; a role's layer name when a role is given.
	Name string `toml:"name"`
	// Table is a table or view, schema-qualified or on the search path.
	Table string `toml:"table"`
	// SQL is a query instead of a table (it must select the geometry).
	SQL string `toml:"sql"`
	// Geometry is the geometry or geography column (the first when empty).
	Geometry string `toml:"geometry"`
	// ID is the integer or text column giving features their ids (the
	// primary key when empty; a hash of the row when there is none).
	ID string `toml:"id"`
	// Columns are the columns published (every one when empty).
	Columns []string `toml:"columns"`
	// Rename maps a column to the field name it is published as.
	Rename map[string]string `toml:"rename"`
	// MinZoom and MaxZoom bound where the layer is in tiles (nil: defaults).
	MinZoom *int `toml:"minzoom"`
	MaxZoom *int `toml:"maxzoom"`
	// TitleZH and TitleEN are the layer's titles in the layers panel.
	TitleZH string `toml:"title_zh"`
	TitleEN string `toml:"title_en"`
	// Role is what the layer is to onemap (see Roles); empty for a layer
	// that is only shown.
	Role string `toml:"role"`
	// Fields maps the role's fields (onemap's names) to the user's columns.
	Fields map[string]string `toml:"fields"`
	// Defaults gives a role's fields a constant where no column holds them.
	Defaults map[string]any `toml:"defaults"`
}

// Error is a mistake in onemap.toml or a mismatch with the database: the
// command that reads it exits with status 2.
type Error struct {
	// Layer is the [[layers]] entry's name (or table) at fault; empty for the whole file.
	Layer string
	// Table and Column name what is missing or wrong, where they apply.
	Table, Column string
	Msg           string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("onemap.toml")
	if e.Layer != "" {
		fmt.Fprintf(&b, ": layer %q", e.Layer)
	}
	if e.Table != "" {
		fmt.Fprintf(&b, ": table %s", e.Table)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %q", e.Column)
	}
	return b.String() + ": " + e.Msg
}

// Load reads and checks the file at path.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	return Parse(string(b))
}

// Parse reads onemap.toml's text and checks what can be checked without a
// database: unknown keys, a source per layer, known roles, durations.
func Parse(text string) (*File, error) {
	var f File
	md, err := toml.Decode(text, &f)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, &Error{Msg: "unknown keys: " + strings.Join(keys, ", ")}
	}
	if _, err := f.PollInterval(); err != nil {
		return nil, &Error{Msg: "postgis.poll: " + err.Error()}
	}
	names := map[string]bool{}
	for i := range f.Layers {
		l := &f.Layers[i]
		if (l.Table == "") == (l.SQL == "") {
			return nil, &Error{Layer: l.label(i), Msg: "give exactly one of table or sql"}
		}
		if l.Role != "" {
			r, ok := Roles[l.Role]
			if !ok {
				return nil, &Error{Layer: l.label(i), Msg: fmt.Sprintf("unknown role %q (want one of %s)", l.Role, strings.Join(RoleNames(), ", "))}
			}
			if l.Name == "" {
				l.Name = r.Layer
			}
		} else if len(l.Fields) > 0 || len(l.Defaults) > 0 {
			return nil, &Error{Layer: l.label(i), Msg: "fields and defaults need a role"}
		}
		if l.Name == "" && l.Table != "" {
			l.Name = l.Table
			if _, t, ok := strings.Cut(l.Table, "."); ok {
				l.Name = t
			}
		}
		if l.Name == "" {
			return nil, &Error{Layer: l.label(i), Msg: "a layer from sql needs a name"}
		}
		if names[l.Name] {
			return nil, &Error{Layer: l.Name, Msg: "two layers have this name"}
		}
		names[l.Name] = true
		if l.MinZoom != nil && (*l.MinZoom < 0 || *l.MinZoom > 22) || l.MaxZoom != nil && (*l.MaxZoom < 0 || *l.MaxZoom > 22) {
			return nil, &Error{Layer: l.Name, Msg: "minzoom and maxzoom must be 0–22"}
		}
		if l.MinZoom != nil && l.MaxZoom != nil && *l.MinZoom > *l.MaxZoom {
			return nil, &Error{Layer: l.Name, Msg: "minzoom is above maxzoom"}
		}
	}
	return &f, nil
}

func (l *Layer) label(i int) string {
	switch {
	case l.Name != "":
		return l.Name
	case l.Table != "":
		return l.Table
	}
	return fmt.Sprintf("#%d", i+1)
}

// Auto reports whether the tables no layer names are published too.
func (f *File) Auto() bool { return f.PostGIS.AutoPublish == nil || *f.PostGIS.AutoPublish }

// PollInterval is how often user tables are polled for edits (0: never).
func (f *File) PollInterval() (time.Duration, error) {
	if f.PostGIS.Poll == "" {
		return 500 * time.Millisecond, nil
	}
	if f.PostGIS.Poll == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(f.PostGIS.Poll)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, errors.New("negative interval")
	}
	return d, nil
}

// PollRows is the largest table re-read by polling.
func (f *File) PollRows() int64 {
	if f.PostGIS.PollMaxRows > 0 {
		return f.PostGIS.PollMaxRows
	}
	return 200_000
}
