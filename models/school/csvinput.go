package school

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CSV input: the tables a district keeps, one CSV file each, recognised by
// their header (column names are case-insensitive; columns not listed are
// ignored):
//
//	enrolment  school,year,grade,pupils             (long: one row per school, year and grade)
//	       or  school,year,K,1,2,3,4,5              (wide: one column per grade; K or 0 is kindergarten)
//	births     area,year,births                     (area: "district", a school, or empty for the district)
//	schools    school,name,level,seats,opens,closes,reassign_to
//	housing    id,name,school,completion_year,type,dwellings
//
// pupils may also be headed headcount, enrolment or enrollment; school may
// be school_id. Each school is its own catchment (coded by the school) over
// one grid of the same code; a school's level defaults to primary. closes
// is the first year the school has no pupils; reassign_to names the school
// (catchment) its pupils and catchment go to. The grade span of each level
// is the grades the enrolment records, unless a policy.json beside the CSV
// files (a Policy) sets policy.grades. District-level births are
// apportioned to catchments by BirthRow's rule: with no population table,
// by the catchments' recent intake. The base year is the last year of
// enrolment. The estimation method is MethodAuto (chosen by a rolling
// backtest) unless policy.json sets one.

// LoadCSV reads a district's CSV tables: the files named, or every *.csv
// file (and policy.json) in a directory named.
func LoadCSV(paths ...string) (*Input, error) {
	var files []string
	var policy string
	name := ""
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		if name == "" {
			name = filepath.Base(filepath.Clean(p))
		}
		es, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			switch {
			case e.IsDir():
			case strings.EqualFold(filepath.Ext(e.Name()), ".csv"):
				files = append(files, filepath.Join(p, e.Name()))
			case e.Name() == "policy.json":
				policy = filepath.Join(p, e.Name())
			}
		}
	}
	if len(files) == 0 {
		return nil, errors.New("school: no CSV files given")
	}
	t := &csvTables{}
	for _, f := range files {
		if err := t.read(f); err != nil {
			return nil, err
		}
	}
	in, err := t.input(name)
	if err != nil {
		return nil, err
	}
	if policy != "" {
		b, err := os.ReadFile(policy)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in.Policy); err != nil {
			return nil, fmt.Errorf("%s: %w", policy, err)
		}
	}
	if in.Policy.Grades == nil {
		in.Policy.Grades = t.spans()
	}
	if in.Policy.Method == "" {
		in.Policy.Method = MethodAuto
	}
	return in, nil
}

type csvEnrol struct {
	school      string
	year, grade int
	pupils      int
	src         string
}

type csvTables struct {
	enrol    []csvEnrol
	births   []BirthRow
	birthSrc []string
	schools  []csvSchool
	housing  []csvHousing
}

type csvSchool struct {
	School
	code, reassign, src string
}

type csvHousing struct {
	id         int64
	name, code string
	year       int
	typ        string
	n          int
	src        string
}

// gradeOf parses a grade label: K, KG, TK? no; 0–13, with an optional
// "grade" or "g" prefix.
func gradeOf(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, p := range []string{"grade_", "grade ", "grade", "gr_", "gr", "g"} {
		if strings.HasPrefix(s, p) && len(s) > len(p) {
			s = s[len(p):]
			break
		}
	}
	if s == "k" || s == "kg" || s == "kindergarten" {
		return 0, true
	}
	g, err := strconv.Atoi(s)
	return g, err == nil && g >= 0 && g <= 13
}

func (t *csvTables) read(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		col[h] = i
	}
	alias := func(names ...string) int {
		for _, n := range names {
			if i, ok := col[n]; ok {
				return i
			}
		}
		return -1
	}
	cSchool := alias("school", "school_id", "school_code")
	cYear := alias("year")
	cGrade := alias("grade")
	cPupils := alias("pupils", "headcount", "enrolment", "enrollment")
	var wide []int // grade by column, −1 when not a grade
	nWide := 0
	if cSchool >= 0 && cYear >= 0 && cGrade < 0 {
		wide = make([]int, len(head))
		for i, h := range head {
			wide[i] = -1
			if i == cSchool || i == cYear {
				continue
			}
			if g, ok := gradeOf(h); ok {
				wide[i] = g
				nWide++
			}
		}
	}
	kind := ""
	switch {
	case cSchool >= 0 && cYear >= 0 && cGrade >= 0 && cPupils >= 0:
		kind = "enrolment"
	case nWide > 0:
		kind = "wide"
	case alias("births") >= 0 && cYear >= 0:
		kind = "births"
	case alias("dwellings") >= 0:
		kind = "housing"
	case cSchool >= 0 && alias("seats") >= 0:
		kind = "schools"
	default:
		return fmt.Errorf("%s: header %q is not an enrolment (school,year,grade,pupils or school,year,K,1,…), births (area,year,births), schools (school,seats,…) or housing (school,completion_year,type,dwellings) table", path, strings.Join(head, ","))
	}
	line := 1
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		line++
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		get := func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		at := func(c string) string { return fmt.Sprintf("%s:%d %s", path, line, c) }
		num := func(i int, c string, def int) (int, error) {
			s := get(i)
			if s == "" {
				return def, nil
			}
			v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
			if err != nil || v != float64(int(v)) {
				return 0, fmt.Errorf("%s: %q is not a whole number", at(c), s)
			}
			return int(v), nil
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		switch kind {
		case "enrolment", "wide":
			school := get(cSchool)
			if school == "" {
				return fmt.Errorf("%s: missing school", at("school"))
			}
			y, err := num(cYear, "year", 0)
			if err != nil {
				return err
			}
			if kind == "enrolment" {
				g, ok := gradeOf(get(cGrade))
				if !ok {
					return fmt.Errorf("%s: %q is not a grade (K or 0–13)", at("grade"), get(cGrade))
				}
				n, err := num(cPupils, "pupils", -1)
				if err != nil {
					return err
				}
				if n >= 0 {
					t.enrol = append(t.enrol, csvEnrol{school, y, g, n, at("pupils")})
				}
				continue
			}
			for i, g := range wide {
				if g < 0 {
					continue
				}
				n, err := num(i, head[i], -1)
				if err != nil {
					return err
				}
				if n >= 0 {
					t.enrol = append(t.enrol, csvEnrol{school, y, g, n, at(head[i])})
				}
			}
		case "births":
			y, err := num(cYear, "year", 0)
			if err != nil {
				return err
			}
			n, err := num(alias("births"), "births", 0)
			if err != nil {
				return err
			}
			area := get(alias("area", "district", "school"))
			if area == "" {
				area = DistrictArea
			}
			t.births = append(t.births, BirthRow{Area: area, Year: y, Births: n})
			t.birthSrc = append(t.birthSrc, at("births"))
		case "schools":
			s := csvSchool{code: get(cSchool), reassign: get(alias("reassign_to")), src: at("school")}
			if s.code == "" {
				return fmt.Errorf("%s: missing school", at("school"))
			}
			s.Name = get(alias("name"))
			s.Level = strings.ToLower(get(alias("level")))
			if s.Level == "" {
				s.Level = Primary
			}
			var err error
			if s.Seats, err = num(alias("seats"), "seats", 0); err != nil {
				return err
			}
			if s.Opens, err = num(alias("opens"), "opens", 0); err != nil {
				return err
			}
			if s.Closes, err = num(alias("closes"), "closes", 0); err != nil {
				return err
			}
			t.schools = append(t.schools, s)
		case "housing":
			h := csvHousing{name: get(alias("name")), code: get(cSchool), typ: get(alias("type")), src: at("dwellings")}
			id, err := num(alias("id"), "id", 0)
			if err != nil {
				return err
			}
			h.id = int64(id)
			if h.year, err = num(alias("completion_year"), "completion_year", 0); err != nil {
				return err
			}
			if h.n, err = num(alias("dwellings"), "dwellings", 0); err != nil {
				return err
			}
			if h.typ == "" {
				h.typ = "commodity"
			}
			if h.code == "" {
				return fmt.Errorf("%s: missing school (the catchment the housing is in)", at("school"))
			}
			t.housing = append(t.housing, h)
		}
	}
}

// input assembles the tables into an Input.
func (t *csvTables) input(name string) (*Input, error) {
	if len(t.enrol) == 0 {
		return nil, errors.New("school: the CSV files hold no enrolment table (school,year,grade,pupils)")
	}
	if len(t.schools) == 0 {
		return nil, errors.New("school: the CSV files hold no schools table (school,name,level,seats,opens,closes,reassign_to)")
	}
	in := &Input{District: name}
	ids := map[string]int64{}
	numeric := true
	for _, s := range t.schools {
		if _, err := strconv.ParseInt(s.code, 10, 64); err != nil {
			numeric = false
		}
	}
	for i, s := range t.schools {
		if _, dup := ids[s.code]; dup {
			return nil, fmt.Errorf("%s: school %s listed twice", s.src, s.code)
		}
		id := int64(i + 1)
		if numeric {
			id, _ = strconv.ParseInt(s.code, 10, 64)
		}
		ids[s.code] = id
	}
	for _, s := range t.schools {
		sc := s.School
		sc.ID = ids[s.code]
		sc.Catchment, sc.Grid = s.code, s.code
		if s.reassign != "" {
			if _, ok := ids[s.reassign]; !ok {
				return nil, fmt.Errorf("%s: reassign_to %q is not a school of the schools table", s.src, s.reassign)
			}
			sc.ReassignTo = s.reassign
		}
		in.Schools = append(in.Schools, sc)
		in.Grids = append(in.Grids, Grid{Code: s.code, Street: DistrictArea})
		in.Catchments = append(in.Catchments, Catchment{Code: s.code, Name: s.Name, Level: sc.Level, Grids: []string{s.code}})
	}
	for _, e := range t.enrol {
		id, ok := ids[e.school]
		if !ok {
			return nil, fmt.Errorf("%s: school %q is not in the schools table", e.src, e.school)
		}
		in.Year = max(in.Year, e.year)
		in.Enrolment = append(in.Enrolment, EnrolmentRow{School: id, Year: e.year, Grade: e.grade, Pupils: e.pupils})
	}
	in.Births = t.births
	byID := map[int64]int{}
	for _, h := range t.housing {
		if _, ok := ids[h.code]; !ok {
			return nil, fmt.Errorf("%s: school %q is not in the schools table", h.src, h.code)
		}
		i, ok := byID[h.id]
		if !ok || h.id == 0 {
			i = len(in.Housing)
			byID[h.id] = i
			in.Housing = append(in.Housing, Housing{ID: h.id, Name: h.name, Grid: h.code, Dwellings: map[string]int{}, Completion: h.year})
		}
		in.Housing[i].Dwellings[h.typ] += h.n
	}
	return in, nil
}

// spans are the grade spans the enrolment records, per level.
func (t *csvTables) spans() map[string][2]int {
	level := map[string]string{}
	for _, s := range t.schools {
		level[s.code] = s.Level
		if level[s.code] == "" {
			level[s.code] = Primary
		}
	}
	out := map[string][2]int{}
	for _, e := range t.enrol {
		lv := level[e.school]
		s, ok := out[lv]
		if !ok {
			s = [2]int{e.grade, e.grade}
		}
		out[lv] = [2]int{min(s[0], e.grade), max(s[1], e.grade)}
	}
	return out
}

// IsCSVInput reports whether an --input value names CSV tables: a
// directory, a .csv file, or a comma-separated list of them.
func IsCSVInput(path string) bool {
	if strings.Contains(path, ",") || strings.EqualFold(filepath.Ext(path), ".csv") {
		return true
	}
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
