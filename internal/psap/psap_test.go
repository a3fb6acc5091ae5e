package psap

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// rect is a [lat, lon] rectangle ring.
func rect(lat0, lon0, lat1, lon1 float64) [][2]float64 {
	return [][2]float64{{lat0, lon0}, {lat1, lon0}, {lat1, lon1}, {lat0, lon1}}
}

func testPSAPs() []PSAP {
	return []PSAP{
		{ID: "king", URI: "sip:king@psap.example", Country: "US", Numbers: []string{"911", "933"},
			Area: rect(47, -123, 48, -121)},
		{ID: "seattle", URI: "sip:seattle@psap.example", Country: "US", Numbers: []string{"911"},
			Area: rect(47.5, -122.5, 47.8, -122.2)},
		{ID: "wa-king", URI: "sip:wa-king@psap.example", Country: "US",
			Civic: &CivicMatch{A1: "WA", A2: "King"}},
		{ID: "wa", URI: "sip:wa@psap.example", Country: "US", Numbers: []string{"911"},
			Civic: &CivicMatch{Country: "US", A1: "WA"}},
		{ID: "us-national", URI: "sips:national@psap.example", Country: "US", Numbers: []string{"911", "933"},
			Fallback: true},
		{ID: "ca-on", URI: "sip:on@psap.example", Country: "CA", Numbers: []string{"911"},
			Area: rect(42, -95, 56, -74), Civic: &CivicMatch{A1: "ON"}},
	}
}

func TestSelect(t *testing.T) {
	d, err := New(testPSAPs())
	if err != nil {
		t.Fatal(err)
	}
	pt := func(lat, lon float64) *Point { return &Point{lat, lon} }
	tests := []struct {
		name  string
		q     Query
		want  string // "" when no PSAP is expected
		match Match
	}{
		{"point inside one polygon", Query{Country: "US", Number: "911", Point: pt(47.2, -121.5)}, "king", MatchPoint},
		{"point inside two nested polygons: smaller wins", Query{Country: "US", Number: "911", Point: pt(47.6, -122.3)}, "seattle", MatchPoint},
		{"nested, smaller does not serve the number", Query{Country: "US", Number: "933", Point: pt(47.6, -122.3)}, "king", MatchPoint},
		{"point on the boundary is inside", Query{Country: "US", Point: pt(47, -122)}, "king", MatchPoint},
		{"lat/lon order is not swapped", Query{Country: "US", Point: pt(-122.3, 47.6)}, "us-national", MatchFallback},
		{"point without country", Query{Point: pt(47.6, -122.3)}, "seattle", MatchPoint},
		{"point in another country's polygon is ignored", Query{Country: "US", Point: pt(45, -80)}, "us-national", MatchFallback},
		{"outside all polygons: civic", Query{Country: "US", Number: "911", Point: pt(40, -100),
			Civic: &CivicMatch{Country: "US", A1: "WA", A2: "King"}}, "wa-king", MatchCivicCounty},
		{"civic county beats state", Query{Country: "US", Civic: &CivicMatch{A1: "wa", A2: " king "}}, "wa-king", MatchCivicCounty},
		{"civic state only", Query{Country: "US", Civic: &CivicMatch{A1: "WA", A2: "Pierce"}}, "wa", MatchCivicState},
		{"civic county PSAP filtered by number", Query{Country: "US", Number: "911", Civic: &CivicMatch{A1: "WA", A2: "King"}}, "wa-king", MatchCivicCounty},
		{"civic state PSAP does not serve 933", Query{Country: "US", Number: "933", Civic: &CivicMatch{A1: "WA", A2: "Pierce"}}, "us-national", MatchFallback},
		{"civic country from address", Query{Civic: &CivicMatch{Country: "CA", A1: "ON", A2: "York"}}, "ca-on", MatchCivicState},
		{"civic other state: fallback", Query{Country: "US", Civic: &CivicMatch{A1: "OR"}}, "us-national", MatchFallback},
		{"civic of another country than the call", Query{Country: "US", Civic: &CivicMatch{Country: "CA", A1: "ON"}}, "us-national", MatchFallback},
		{"nothing known: fallback", Query{Country: "US", Number: "911"}, "us-national", MatchFallback},
		{"out-of-range point: fallback", Query{Country: "US", Point: pt(147, -122)}, "us-national", MatchFallback},
		{"number not served by any", Query{Country: "US", Number: "112", Point: pt(47.6, -122.3)}, "", ""},
		{"country without fallback, nothing matches", Query{Country: "CA", Point: pt(60, -100)}, "", ""},
		{"unknown country", Query{Country: "FR", Number: "112"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, m, ok := d.Select(tt.q)
			if ok != (tt.want != "") || p.ID != tt.want || m != tt.match {
				t.Errorf("Select(%+v) = %q, %q, %v; want %q, %q", tt.q, p.ID, m, ok, tt.want, tt.match)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	ok := PSAP{ID: "a", URI: "sip:a@p", Country: "US", Area: rect(1, 1, 2, 2)}
	with := func(f func(p *PSAP)) PSAP { p := ok; f(&p); return p }
	tests := []struct {
		name  string
		psaps []PSAP
		want  []string // substrings of the error
	}{
		{"empty id", []PSAP{with(func(p *PSAP) { p.ID = "" })}, []string{`psap[0] "": id is required`}},
		{"duplicate id", []PSAP{ok, ok}, []string{`psap[1] "a": duplicate id (first at psap[0])`}},
		{"invalid country code", []PSAP{with(func(p *PSAP) { p.Country = "USA" })}, []string{`psap[0] "a": country "USA" is not`}},
		{"unknown country code", []PSAP{with(func(p *PSAP) { p.Country = "UK" })}, []string{`country "UK"`}},
		{"lower-case country", []PSAP{with(func(p *PSAP) { p.Country = "us" })}, []string{`country "us"`}},
		{"bad uri", []PSAP{with(func(p *PSAP) { p.URI = "tel:911" })}, []string{`uri "tel:911" is not`}},
		{"neither area nor civic nor fallback", []PSAP{with(func(p *PSAP) { p.Area = nil })}, []string{"needs an area, a civic match or fallback"}},
		{"polygon with 2 points", []PSAP{with(func(p *PSAP) { p.Area = p.Area[:2] })}, []string{"area has 2 points"}},
		{"closed triangle of 3 points is 2 distinct", []PSAP{with(func(p *PSAP) { p.Area = [][2]float64{{1, 1}, {2, 2}, {1, 1}} })}, []string{"at least 3 distinct"}},
		{"collinear polygon", []PSAP{with(func(p *PSAP) { p.Area = [][2]float64{{1, 1}, {2, 2}, {3, 3}} })}, []string{"zero size"}},
		{"latitude out of range", []PSAP{with(func(p *PSAP) { p.Area = rect(80, 1, 91, 2) })}, []string{"area point 1 [91, 1] is out of range"}},
		{"longitude out of range", []PSAP{with(func(p *PSAP) { p.Area = rect(1, 170, 2, 181) })}, []string{"area point 2 [2, 181] is out of range"}},
		{"civic county without state", []PSAP{with(func(p *PSAP) { p.Civic = &CivicMatch{A2: "King"} })}, []string{`civic county (A2) "King" needs a state`}},
		{"civic of another country", []PSAP{with(func(p *PSAP) { p.Civic = &CivicMatch{Country: "CA", A1: "ON"} })}, []string{`civic country "CA" differs`}},
		{"two fallbacks for one country", []PSAP{
			{ID: "f1", URI: "sip:f1@p", Country: "US", Fallback: true},
			{ID: "f2", URI: "sip:f2@p", Country: "US", Fallback: true},
		}, []string{`psap[1] "f2": second fallback PSAP for US (first: psap[0] "f1")`}},
		{"several errors are all reported", []PSAP{
			with(func(p *PSAP) { p.Country = "XX" }),
			with(func(p *PSAP) { p.ID = "b"; p.Area = p.Area[:1] }),
		}, []string{`psap[0] "a": country "XX"`, `psap[1] "b": area has 1 points`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.psaps)
			if err == nil {
				t.Fatalf("New: no error, want %q", tt.want)
			}
			if d != nil {
				t.Error("New returned a directory with an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var e *Error
			if !errors.As(err, &e) || e.Index < 0 {
				t.Errorf("error %v is not a *Error", err)
			}
		})
	}
}

func TestNewValid(t *testing.T) {
	in := testPSAPs()
	d, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	// The directory keeps its own copies.
	in[0].Numbers[0] = "000"
	in[0].Area[0] = [2]float64{0, 0}
	p, _, ok := d.Select(Query{Country: "US", Number: "911", Point: &Point{47.2, -121.5}})
	if !ok || p.ID != "king" || p.Numbers[0] != "911" || p.Area[0] != [2]float64{47, -123} {
		t.Errorf("directory changed with its input: %+v", p)
	}
	if d.Len() != len(in) || len(d.PSAPs()) != len(in) {
		t.Errorf("Len %d, PSAPs %d; want %d", d.Len(), len(d.PSAPs()), len(in))
	}
	if n := len(countries); n != 249 {
		t.Errorf("%d ISO 3166-1 codes, want 249", n)
	}
}

func TestSelectConcurrent(t *testing.T) {
	d, err := New(testPSAPs())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for range 8 {
		go func() {
			for range 200 {
				if p, _, _ := d.Select(Query{Country: "US", Point: &Point{47.6, -122.3}}); p.ID != "seattle" {
					t.Errorf("got %q", p.ID)
				}
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
}

// benchPSAPs is n PSAPs: a grid of small squares over the US with a county
// civic match each, and a national fallback.
func benchPSAPs(n int) []PSAP {
	ps := make([]PSAP, 0, n)
	for i := range n - 1 {
		lat, lon := 25+float64(i/40)*0.5, -125+float64(i%40)*1.5
		ps = append(ps, PSAP{ID: fmt.Sprintf("p%d", i), URI: fmt.Sprintf("sip:p%d@psap.example", i), Country: "US",
			Numbers: []string{"911", "933"}, Area: rect(lat, lon, lat+0.5, lon+1.5),
			Civic: &CivicMatch{A1: fmt.Sprintf("S%d", i%50), A2: fmt.Sprintf("C%d", i)}})
	}
	return append(ps, PSAP{ID: "national", URI: "sip:national@psap.example", Country: "US", Fallback: true})
}

func BenchmarkSelect1000(b *testing.B) {
	d, err := New(benchPSAPs(1000))
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	qs := make([]Query, 1024)
	for i := range qs {
		qs[i] = Query{Country: "US", Number: "911", Point: &Point{25 + r.Float64()*12, -125 + r.Float64()*60}}
	}
	civic := Query{Country: "US", Number: "911", Civic: &CivicMatch{A1: "S7", A2: "C507"}}
	b.Run("point", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, m, _ := d.Select(qs[i%len(qs)]); m != MatchPoint {
				b.Fatal(m)
			}
		}
	})
	b.Run("civic", func(b *testing.B) {
		for b.Loop() {
			if _, m, _ := d.Select(civic); m != MatchCivicCounty {
				b.Fatal(m)
			}
		}
	})
	b.Run("fallback", func(b *testing.B) {
		q := Query{Country: "US", Number: "911", Point: &Point{60, 0}}
		for b.Loop() {
			if _, m, _ := d.Select(q); m != MatchFallback {
				b.Fatal(m)
			}
		}
	})
}
