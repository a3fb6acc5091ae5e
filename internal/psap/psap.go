// Package psap is the directory of Public Safety Answering Points (PSAPs)
// that emergency calls are forwarded to, and the rules that choose one for a
// call: a geodetic point inside a PSAP's service polygon, else a civic match
// by country, state and county, else the country's fallback PSAP.
package psap

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"ocmsim/routing"
)

// PSAP is one answering point as configured in a scenario's `psaps:` list.
type PSAP struct {
	// ID names the PSAP; it is unique in a Directory.
	ID string
	// URI is the SIP URI calls are forwarded to (sip: or sips:).
	URI string
	// Country is the ISO 3166-1 alpha-2 code of the country it serves (US).
	Country string
	// Numbers are the emergency numbers it serves ("911", "933"); empty
	// means every emergency number of its country.
	Numbers []string
	// Area is the service area: a ring of at least 3 [lat, lon] points in
	// degrees; it need not be closed. Empty when the PSAP has no polygon.
	Area [][2]float64
	// Civic is the civic match, or nil.
	Civic *CivicMatch
	// Fallback marks the national fallback PSAP of its country, chosen when
	// the location is unknown or matches no other PSAP. At most one per country.
	Fallback bool
}

// CivicMatch is a civic area (RFC 5139 field names). In a PSAP an empty A2
// matches every county of the state A1 and an empty A1 (with an empty A2)
// the whole country; Country defaults to the PSAP's country. In a Query it
// is the caller's address. Comparisons ignore case and surrounding spaces.
type CivicMatch struct {
	Country string
	A1      string // state
	A2      string // county
}

// Point is a geodetic position in degrees (WGS 84).
type Point struct {
	Lat, Lon float64
}

// Query describes the call a PSAP is selected for.
type Query struct {
	// Country is the country of the call; empty: the civic address's
	// country, and with neither only point matches are possible.
	Country string
	// Number is the dialled emergency number; when set only PSAPs serving
	// it are candidates.
	Number string
	// Point is the caller's geodetic position, or nil.
	Point *Point
	// Civic is the caller's civic address, or nil.
	Civic *CivicMatch
}

// Match tells which rule selected a PSAP.
type Match string

// The rules of Select, from the most to the least precise.
const (
	MatchPoint        Match = "point"         // point inside the service polygon
	MatchCivicCounty  Match = "civic-county"  // civic country + state + county
	MatchCivicState   Match = "civic-state"   // civic country + state
	MatchCivicCountry Match = "civic-country" // civic country only
	MatchFallback     Match = "fallback"      // national fallback: location unknown
)

// Error is a validation error of one PSAP; Index is its position in the list
// given to New, so that a loader can add the file and line.
type Error struct {
	Index int
	ID    string
	Msg   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("psap[%d] %q: %s", e.Index, e.ID, e.Msg)
}

type entry struct {
	p        PSAP
	index    int
	poly     orb.Polygon
	bound    orb.Bound
	area     float64
	civic    CivicMatch // normalised; valid when hasCivic
	hasCivic bool
}

// Directory holds validated PSAPs; it is immutable and safe for concurrent use.
type Directory struct {
	all       []PSAP
	byCountry map[string][]*entry
	fallback  map[string]*entry
}

// New validates psaps and builds a Directory. The error joins one *Error per
// problem: an empty id, a duplicate id, a URI that is not sip:/sips:, an
// unknown or invalid country code, a PSAP with neither area nor civic match
// that is not a fallback, a polygon with fewer than 3 points, coordinates out
// of range or zero area, an invalid civic match, or two fallbacks for one country.
func New(psaps []PSAP) (*Directory, error) {
	d := &Directory{byCountry: map[string][]*entry{}, fallback: map[string]*entry{}}
	var errs []error
	seen := map[string]int{}
	for i, p := range psaps {
		bad := func(format string, args ...any) {
			errs = append(errs, &Error{Index: i, ID: p.ID, Msg: fmt.Sprintf(format, args...)})
		}
		n := len(errs)
		switch first, dup := seen[p.ID]; {
		case p.ID == "":
			bad("id is required")
		case dup:
			bad("duplicate id (first at psap[%d])", first)
		default:
			seen[p.ID] = i
		}
		if !strings.HasPrefix(p.URI, "sip:") && !strings.HasPrefix(p.URI, "sips:") {
			bad("uri %q is not a sip: or sips: URI", p.URI)
		}
		if !ValidCountry(p.Country) {
			bad("country %q is not an ISO 3166-1 alpha-2 country code like US", p.Country)
		}
		for _, num := range p.Numbers {
			if strings.TrimSpace(num) == "" {
				bad("empty emergency number")
			}
		}
		if len(p.Area) == 0 && p.Civic == nil && !p.Fallback {
			bad("needs an area, a civic match or fallback: true")
		}
		e := &entry{p: p, index: i}
		if len(p.Area) > 0 {
			if msg := e.setArea(p.Area); msg != "" {
				bad("%s", msg)
			}
		}
		if p.Civic != nil {
			c := norm(*p.Civic)
			if c.Country == "" {
				c.Country = p.Country
			}
			switch {
			case c.Country != p.Country:
				bad("civic country %q differs from the PSAP's country %q", p.Civic.Country, p.Country)
			case c.A2 != "" && c.A1 == "":
				bad("civic county (A2) %q needs a state (A1)", p.Civic.A2)
			}
			e.civic, e.hasCivic = c, true
		}
		if p.Fallback && ValidCountry(p.Country) {
			if f, dup := d.fallback[p.Country]; dup {
				bad("second fallback PSAP for %s (first: psap[%d] %q)", p.Country, f.index, f.p.ID)
			} else {
				d.fallback[p.Country] = e
			}
		}
		if len(errs) == n {
			p.Numbers = slices.Clone(p.Numbers)
			p.Area = slices.Clone(p.Area)
			if p.Civic != nil {
				c := *p.Civic
				p.Civic = &c
			}
			e.p = p
			d.all = append(d.all, p)
			d.byCountry[p.Country] = append(d.byCountry[p.Country], e)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return d, nil
}

// setArea converts a [lat, lon] ring to an orb polygon ({lon, lat} order).
func (e *entry) setArea(area [][2]float64) string {
	if len(area) < 3 {
		return fmt.Sprintf("area has %d points, a polygon needs at least 3", len(area))
	}
	ring := make(orb.Ring, 0, len(area)+1)
	for j, ll := range area {
		lat, lon := ll[0], ll[1]
		if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return fmt.Sprintf("area point %d [%v, %v] is out of range (lat -90..90, lon -180..180)", j, lat, lon)
		}
		ring = append(ring, orb.Point{lon, lat})
	}
	if ring[0] != ring[len(ring)-1] {
		ring = append(ring, ring[0])
	}
	if len(ring) < 4 {
		return "area needs at least 3 distinct points"
	}
	e.area = math.Abs(planar.Area(ring))
	if e.area == 0 {
		return "area has zero size (points are collinear or repeated)"
	}
	e.poly = orb.Polygon{ring}
	e.bound = ring.Bound()
	return ""
}

// PSAPs returns the PSAPs of the directory in the order given to New.
func (d *Directory) PSAPs() []PSAP { return slices.Clone(d.all) }

// Len is the number of PSAPs.
func (d *Directory) Len() int { return len(d.all) }

// Select chooses the PSAP for q: among the PSAPs of the query's country that
// serve its number, one whose polygon contains the point (the smallest
// polygon when several do); else the most specific civic match (county over
// state over country); else the country's fallback PSAP with MatchFallback
// (location unknown). Ties go to the PSAP listed first. ok is false when no
// PSAP qualifies, for instance when none serves the number.
func (d *Directory) Select(q Query) (p PSAP, m Match, ok bool) {
	country := strings.ToUpper(strings.TrimSpace(q.Country))
	var civic CivicMatch
	if q.Civic != nil {
		civic = norm(*q.Civic)
		if country == "" {
			country = civic.Country
		}
		if civic.Country == "" {
			civic.Country = country
		}
	}
	cands := d.byCountry[country]
	if country == "" && q.Point != nil {
		cands = nil
		for _, list := range d.byCountry {
			cands = append(cands, list...)
		}
		slices.SortFunc(cands, func(a, b *entry) int { return a.index - b.index })
	}
	if q.Point != nil && validPoint(*q.Point) {
		pt := orb.Point{q.Point.Lon, q.Point.Lat}
		var best *entry
		for _, e := range cands {
			if e.poly == nil || !e.bound.Contains(pt) || !serves(e, q.Number) {
				continue
			}
			if (best == nil || e.area < best.area) && planar.PolygonContains(e.poly, pt) {
				best = e
			}
		}
		if best != nil {
			return best.p, MatchPoint, true
		}
	}
	if q.Civic != nil && civic.Country == country {
		var best *entry
		bestRank := 0
		for _, e := range cands {
			if !e.hasCivic || !serves(e, q.Number) {
				continue
			}
			if r := civicRank(e.civic, civic); r > bestRank {
				best, bestRank = e, r
			}
		}
		if best != nil {
			return best.p, [...]Match{1: MatchCivicCountry, 2: MatchCivicState, 3: MatchCivicCounty}[bestRank], true
		}
	}
	if f := d.fallback[country]; f != nil && serves(f, q.Number) {
		return f.p, MatchFallback, true
	}
	return PSAP{}, "", false
}

// civicRank is 3 for a county match, 2 for a state match, 1 for a country
// match and 0 for no match of the PSAP's civic area m and the address a.
func civicRank(m, a CivicMatch) int {
	switch {
	case m.Country != a.Country:
		return 0
	case m.A1 == "":
		return 1
	case m.A1 != a.A1:
		return 0
	case m.A2 == "":
		return 2
	case m.A2 == a.A2:
		return 3
	}
	return 0
}

func serves(e *entry, number string) bool {
	return number == "" || len(e.p.Numbers) == 0 || slices.Contains(e.p.Numbers, number)
}

func validPoint(p Point) bool {
	return p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180
}

func norm(c CivicMatch) CivicMatch {
	return CivicMatch{
		Country: strings.ToUpper(strings.TrimSpace(c.Country)),
		A1:      strings.ToUpper(strings.TrimSpace(c.A1)),
		A2:      strings.ToUpper(strings.TrimSpace(c.A2)),
	}
}

// QueryFor is the query for a resolved emergency call: its country and dial
// string, and the location's point and civic area unless it is unknown
// (then only the country's fallback PSAP can match).
func QueryFor(dec routing.EmergencyDecision) Query {
	q := Query{Country: dec.Country, Number: dec.Dial}
	if l := dec.Location; !l.Unknown() {
		if l.Point != nil {
			q.Point = &Point{Lat: l.Point.Lat, Lon: l.Point.Lon}
		}
		if l.Civic != nil {
			q.Civic = &CivicMatch{Country: l.Civic.Country, A1: l.Civic.A1, A2: l.Civic.A2}
		}
	}
	return q
}
