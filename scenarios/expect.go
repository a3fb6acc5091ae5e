package scenarios

import (
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

var (
	expectKeys = []string{"ringing", "notRinging", "within", "answeredBy", "cancelled", "missedCall", "finalCode",
		"reason", "media", "psap", "location", "callback", "path"}
	cancelledKeys = []string{"devices", "reason"}
	mediaKeys     = []string{"bothWays", "maxLoss"}
	locationKeys  = []string{"method", "near", "radius", "civic"}
	outputKeys    = []string{"contains", "equals", "matches"}
	methods       = []string{"Manual", "Cell", "GPS", "DHCP", "Unknown"}
)

// Expect is a step's `expect:`: what must have happened. Unset fields are
// not checked.
type Expect struct {
	Pos
	Ringing    []string // exactly these devices ring (when HasRinging)
	HasRinging bool     // `ringing:` given (an empty list means nothing rings)
	NotRinging []string
	Within     time.Duration // ringing within this of the call's start; 0 unchecked
	AnsweredBy string
	Cancelled  *CancelledExpect
	MissedCall []string // devices that record a missed call
	FinalCode  int      // final SIP status the caller gets
	Reason     string   // substring of the Reason/Warning of the final response
	Media      *MediaExpect
	PSAP       string
	Location   *LocationExpect
	Callback   string // E.164 callback number presented to the PSAP
	Path       string // emergency path: "teams" or "operator"
}

// CancelledExpect lists devices whose branch must get CANCEL, with a Reason text.
type CancelledExpect struct {
	Devices []string
	Reason  string // "" unchecked
}

// MediaExpect is what RTP must show.
type MediaExpect struct {
	BothWays *bool
	MaxLoss  *float64 // fraction 0..1
}

// LocationExpect is the location the PSAP must receive.
type LocationExpect struct {
	Method string // Manual | Cell | GPS | DHCP | Unknown
	Near   *GPS   // within Radius metres of this point
	Radius float64
	Civic  *routing.Civic // fields given must match
}

// OutputExpect checks the output of a ps: step.
type OutputExpect struct {
	Contains []string
	Equals   *string
	Matches  *regexp.Regexp
}

func (sp *stepParser) expect(n *yaml.Node) *Expect {
	d := sp.d
	e := &Expect{Pos: posOf(n)}
	f, ok := d.fields(n, "expect", expectKeys)
	if !ok {
		return e
	}
	devs := func(k string) []string {
		list := f.strs(k)
		for _, id := range list {
			sp.deviceRef(f.v(k), id, k)
		}
		return list
	}
	if f.has("ringing") {
		e.HasRinging = true
		e.Ringing = devs("ringing")
		if e.Ringing == nil {
			e.Ringing = []string{}
		}
	}
	e.NotRinging = devs("notRinging")
	for _, id := range e.NotRinging {
		if contains(e.Ringing, id) {
			d.errorf(f.v("notRinging"), "notRinging: %q is also under ringing", id)
		}
	}
	e.Within, _ = f.duration("within")
	e.AnsweredBy = f.str("answeredBy")
	if e.AnsweredBy != "voicemail" && (sp.ix == nil || !sp.ix.psaps[e.AnsweredBy]) { // services answer too
		sp.deviceRef(f.v("answeredBy"), e.AnsweredBy, "answeredBy")
	}
	if f.has("cancelled") {
		e.Cancelled = sp.cancelled(f.v("cancelled"))
	}
	e.MissedCall = devs("missedCall")
	if code, ok := f.integer("finalCode"); ok {
		if code < 200 || code > 699 {
			d.codef(f.v("finalCode"), routing.CodeInvalid, "finalCode: %d is not a final SIP status (200-699)", code)
		}
		e.FinalCode = code
	}
	e.Reason = f.str("reason")
	if f.has("media") {
		if mf, ok := d.fields(f.v("media"), "media", mediaKeys); ok {
			e.Media = &MediaExpect{}
			if b, ok := mf.boolean("bothWays"); ok {
				e.Media.BothWays = &b
			}
			if l, ok := mf.float("maxLoss"); ok {
				if l < 0 || l > 1 {
					d.codef(mf.v("maxLoss"), routing.CodeInvalid, "maxLoss: %v is not a fraction between 0 and 1", l)
				}
				e.Media.MaxLoss = &l
			}
		}
	}
	e.PSAP = f.str("psap")
	if e.PSAP != "" && sp.ix != nil && !sp.ix.psaps[e.PSAP] {
		d.codef(f.v("psap"), routing.CodeNotFound, "psap: unknown PSAP %q%s", e.PSAP, didYouMean(e.PSAP, sp.ix.psapIDs))
	}
	if f.has("location") {
		e.Location = sp.location(f.v("location"))
	}
	e.Callback = f.number("callback")
	e.Path = f.strIn("path", "teams", "operator")
	return e
}

func (sp *stepParser) cancelled(n *yaml.Node) *CancelledExpect {
	c := &CancelledExpect{}
	if n.Kind == yaml.SequenceNode || n.Kind == yaml.ScalarNode {
		c.Devices = sp.d.strs(n, "cancelled")
	} else if f, ok := sp.d.fields(n, "cancelled", cancelledKeys); ok {
		c.Devices, c.Reason = f.strs("devices"), f.str("reason")
	}
	for _, id := range c.Devices {
		sp.deviceRef(n, id, "cancelled")
	}
	return c
}

func (sp *stepParser) location(n *yaml.Node) *LocationExpect {
	d := sp.d
	l := &LocationExpect{}
	f, ok := d.fields(n, "location", locationKeys)
	if !ok {
		return l
	}
	l.Method = f.strIn("method", methods...)
	if f.has("near") {
		if lat, lon, ok := d.parseLatLon(f.v("near"), "near"); ok {
			l.Near = &GPS{Lat: lat, Lon: lon}
		}
	}
	l.Radius, _ = f.float("radius")
	if l.Radius < 0 {
		d.codef(f.v("radius"), routing.CodeInvalid, "radius: must be positive (metres)")
	}
	if f.has("civic") {
		c := d.parseCivic(f.v("civic"), "civic", false)
		l.Civic = &c
	}
	return l
}

func (d *decoder) parseOutput(n *yaml.Node) *OutputExpect {
	o := &OutputExpect{}
	f, ok := d.fields(n, "expectOutput", outputKeys)
	if !ok {
		return o
	}
	o.Contains = f.strs("contains")
	if f.has("equals") {
		s := strings.TrimRight(f.str("equals"), "\n")
		o.Equals = &s
	}
	if s := f.str("matches"); s != "" {
		re, err := regexp.Compile(s)
		if err != nil {
			d.errorf(f.v("matches"), "matches: bad regular expression: %v", err)
		} else {
			o.Matches = re
		}
	}
	return o
}

// Check reports whether out satisfies the expectation, and if not why.
func (o *OutputExpect) Check(out string) (ok bool, why string) {
	for _, c := range o.Contains {
		if !strings.Contains(out, c) {
			return false, "output does not contain " + quote(c)
		}
	}
	if o.Equals != nil && strings.TrimRight(out, "\n") != *o.Equals {
		return false, "output is not " + quote(*o.Equals)
	}
	if o.Matches != nil && !o.Matches.MatchString(out) {
		return false, "output does not match /" + o.Matches.String() + "/"
	}
	return true, ""
}

func quote(s string) string { return `"` + s + `"` }
