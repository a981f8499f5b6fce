package demand

import (
	"fmt"
	"math"
)

// Resource names a resource planned by standard.
type Resource string

// The resources.
const (
	ElderlyCare  Resource = "elderly_care"  // elderly-care beds
	HospitalBeds Resource = "hospital_beds" // hospital (medical institution) beds
	Parking      Resource = "parking"       // residential parking spaces
	Jobs         Resource = "jobs"          // jobs for resident workers
)

// Resources lists the resources in display order.
func Resources() []Resource { return []Resource{ElderlyCare, HospitalBeds, Parking, Jobs} }

// ParseResource checks a resource name.
func ParseResource(s string) (Resource, error) {
	for _, r := range Resources() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown resource %q (elderly_care, hospital_beds, parking, jobs)", s)
}

// Standards are the planning ratios that turn population into demand.
// They are configuration: every field may be overridden per run or per
// scenario. The defaults and their sources:
//
//   - ElderlyBedsPer1000Aged60 = 35 beds per 1,000 residents aged 60+. The
//     national 13th Five-Year civil-affairs plan (民政事业发展第十三个五年规划,
//     2016) set 35–40 elderly-care beds per 1,000 older people; the
//     14th Five-Year plan for ageing and elderly services (“十四五”国家老龄事业
//     发展和养老服务体系规划, 国发〔2021〕35号) stresses the share of nursing
//     beds (55% of institutional beds) rather than a per-capita figure, so
//     the lower end of the earlier range is used. These figures are quoted
//     as the plans are commonly cited, not checked against their full
//     text here; use the figure your city adopts.
//   - HospitalBedsPer1000 = 7.4 beds per 1,000 residents: the order of the
//     2025 target for beds in all medical and health institutions (医疗卫生
//     机构床位) in the National Health Commission's guiding principles for
//     medical-institution planning 2021–2025 (医疗机构设置规划指导原则, about
//     7.4–7.5 per 1,000). It counts all institutions, primary care
//     included, while the supply here is the hospitals layer's beds, so the
//     gap is conservative (it overstates the shortage) where community
//     health centres hold beds.
//   - ParkingPerDwelling = 1.0 space per dwelling: Shenzhen's planning
//     standard (深圳市城市规划标准与准则, 深标) sets residential parking per
//     dwelling by floor area and zone, roughly 0.8–1.2 for ordinary
//     commodity housing and less near metro stations and for affordable
//     housing; 1.0 is a middle value, not a quotation.
//   - JobsPerWorkingAge = 0.75 jobs per resident aged 15–59: a labour-force
//     participation of about three quarters (the order of China's reported
//     participation for working ages), i.e. the jobs the district needs for
//     its resident workers to balance jobs and housing (职住平衡). This is a
//     modelling assumption, not a standard.
//
// HospitalIncludesFloating adds the floating population to the hospital
// base: Chinese planning ratios are per 1,000 常住人口 (people living in
// the place for six months or more), which includes most of a Shenzhen
// district's floating residents. Default true.
type Standards struct {
	ElderlyBedsPer1000Aged60 float64 `json:"elderly_beds_per_1000_aged_60"`
	HospitalBedsPer1000      float64 `json:"hospital_beds_per_1000"`
	ParkingPerDwelling       float64 `json:"parking_per_dwelling"`
	JobsPerWorkingAge        float64 `json:"jobs_per_working_age"`
	HospitalIncludesFloating bool    `json:"hospital_includes_floating"`
}

// DefaultStandards returns the documented defaults (see Standards).
func DefaultStandards() Standards {
	return Standards{
		ElderlyBedsPer1000Aged60: 35,
		HospitalBedsPer1000:      7.4,
		ParkingPerDwelling:       1.0,
		JobsPerWorkingAge:        0.75,
		HospitalIncludesFloating: true,
	}
}

// Ratio returns the resource's demand per unit of its population base.
func (s Standards) Ratio(r Resource) float64 {
	switch r {
	case ElderlyCare:
		return s.ElderlyBedsPer1000Aged60 / 1000
	case HospitalBeds:
		return s.HospitalBedsPer1000 / 1000
	case Parking:
		return s.ParkingPerDwelling
	case Jobs:
		return s.JobsPerWorkingAge
	}
	return 0
}

// SetRatio changes the resource's ratio, given in its documented unit
// (per 1,000 for beds, per dwelling, per working-age resident).
func (s *Standards) SetRatio(r Resource, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return fmt.Errorf("ratio %v must be finite and ≥ 0", v)
	}
	switch r {
	case ElderlyCare:
		s.ElderlyBedsPer1000Aged60 = v
	case HospitalBeds:
		s.HospitalBedsPer1000 = v
	case Parking:
		s.ParkingPerDwelling = v
	case Jobs:
		s.JobsPerWorkingAge = v
	default:
		return fmt.Errorf("unknown resource %q", r)
	}
	return nil
}

// Check reports a negative or non-finite ratio.
func (s Standards) Check() error {
	for _, r := range Resources() {
		v := s.Ratio(r)
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%s ratio %v must be finite and ≥ 0", r, v)
		}
	}
	return nil
}

// Base names the population group a resource's ratio applies to.
func Base(r Resource) string {
	switch r {
	case ElderlyCare:
		return "aged_60_plus"
	case HospitalBeds:
		return "residents"
	case Parking:
		return "dwellings"
	case Jobs:
		return "working_age"
	}
	return ""
}
