package pidf

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxDocSize is the largest document Parse accepts.
const MaxDocSize = 1 << 20

type xPresence struct {
	XMLName xml.Name
	Entity  string    `xml:"entity,attr"`
	Tuples  []xHolder `xml:"urn:ietf:params:xml:ns:pidf tuple"`
	Devices []xHolder `xml:"urn:ietf:params:xml:ns:pidf:data-model device"`
	Persons []xHolder `xml:"urn:ietf:params:xml:ns:pidf:data-model person"`
}

// xHolder covers tuple, dm:device and dm:person.
type xHolder struct {
	Status      []xGeopriv `xml:"status>geopriv"` // namespace checked in Parse
	Geopriv     []xGeopriv `xml:"urn:ietf:params:xml:ns:pidf:geopriv10 geopriv"`
	DeviceID    string     `xml:"urn:ietf:params:xml:ns:pidf:data-model deviceID"`
	Timestamp   string     `xml:"urn:ietf:params:xml:ns:pidf timestamp"`
	DMTimestamp string     `xml:"urn:ietf:params:xml:ns:pidf:data-model timestamp"`
}

type xGeopriv struct {
	XMLName      xml.Name
	LocationInfo []xLocInfo `xml:"urn:ietf:params:xml:ns:pidf:geopriv10 location-info"`
	UsageRules   []xUsage   `xml:"urn:ietf:params:xml:ns:pidf:geopriv10 usage-rules"`
	Method       string     `xml:"urn:ietf:params:xml:ns:pidf:geopriv10 method"`
	ProvidedBy   xAny       `xml:"urn:ietf:params:xml:ns:pidf:geopriv10 provided-by"`
}

type xUsage struct {
	// No namespace: RFC 4119 puts these in geopriv10, later documents in basicPolicy.
	RetransmissionAllowed string `xml:"retransmission-allowed"`
	RetentionExpiry       string `xml:"retention-expiry"`
}

type xLocInfo struct {
	Civic    []xCivic `xml:"urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr civicAddress"`
	CivicLoc []xCivic `xml:"urn:ietf:params:xml:ns:pidf:geopriv10:civicLoc civicAddress"`
	Points   []xShape `xml:"http://www.opengis.net/gml Point"`
	Circles  []xShape `xml:"http://www.opengis.net/pidflo/1.0 Circle"`
	Other    []xAny   `xml:",any"`
}

type xShape struct {
	SRS    string   `xml:"srsName,attr"`
	Pos    []string `xml:"http://www.opengis.net/gml pos"`
	Radius []struct {
		UOM   string `xml:"uom,attr"`
		Value string `xml:",chardata"`
	} `xml:"http://www.opengis.net/pidflo/1.0 radius"`
}

type xAny struct {
	XMLName xml.Name
	Text    string `xml:",innerxml"`
}

type xCivic struct {
	Lang   string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Fields []xAny `xml:",any"`
}

// Parse reads a PIDF-LO document: tuples, dm:device or dm:person elements,
// each with a geopriv holding an RFC 5139 (or RFC 4119 civicLoc) civic
// address or a GML Point / GeoShape Circle in EPSG 4326 (or a 3D Point in
// EPSG 4979). The first civic address and the first geodetic shape found are
// returned; method, provided-by, usage rules, device id and timestamp come
// from the element holding the first location. Errors wrap ErrNotPIDF,
// ErrNoLocation or ErrUnsupported.
func Parse(doc []byte) (Location, error) {
	var loc Location
	if len(doc) > MaxDocSize {
		return loc, fmt.Errorf("%w: document larger than %d bytes", ErrNotPIDF, MaxDocSize)
	}
	var p xPresence
	if err := xml.NewDecoder(bytes.NewReader(doc)).Decode(&p); err != nil {
		return loc, fmt.Errorf("%w: %v", ErrNotPIDF, err)
	}
	if p.XMLName.Space != NSPIDF || p.XMLName.Local != "presence" {
		return loc, fmt.Errorf("%w: root element is {%s}%s, want {%s}presence", ErrNotPIDF, p.XMLName.Space, p.XMLName.Local, NSPIDF)
	}
	loc.Entity = strings.TrimSpace(p.Entity)
	first := true
	var unsupported error
	holders := append(append(append([]xHolder{}, p.Devices...), p.Tuples...), p.Persons...)
	for _, h := range holders {
		for _, gp := range append(append([]xGeopriv{}, h.Geopriv...), h.Status...) {
			if gp.XMLName.Space != NSGeopriv {
				continue // status>geopriv path matches any namespace
			}
			found, err := parseLocationInfo(&loc, gp.LocationInfo)
			if err != nil {
				if unsupported == nil {
					unsupported = err
				}
				continue
			}
			if !found || !first {
				continue
			}
			first = false
			loc.Method = strings.TrimSpace(gp.Method)
			loc.ProvidedBy = strings.TrimSpace(gp.ProvidedBy.Text)
			if len(gp.UsageRules) > 0 {
				u := gp.UsageRules[0]
				if loc.RetransmissionAllowed, err = parseBool(u.RetransmissionAllowed); err != nil {
					return Location{}, err
				}
				if loc.RetentionExpiry, err = parseTime("retention-expiry", u.RetentionExpiry); err != nil {
					return Location{}, err
				}
			}
			loc.DeviceID = strings.TrimSpace(h.DeviceID)
			ts := h.DMTimestamp
			if ts == "" {
				ts = h.Timestamp
			}
			if loc.Timestamp, err = parseTime("timestamp", ts); err != nil {
				return Location{}, err
			}
		}
	}
	if loc.Civic == nil && loc.Geo == nil {
		if unsupported != nil {
			return Location{}, unsupported
		}
		return Location{}, ErrNoLocation
	}
	return loc, nil
}

// parseLocationInfo fills loc.Civic / loc.Geo if still empty; found reports
// whether the geopriv held a supported location.
func parseLocationInfo(loc *Location, infos []xLocInfo) (found bool, err error) {
	for _, li := range infos {
		for _, c := range append(append([]xCivic{}, li.Civic...), li.CivicLoc...) {
			found = true
			if loc.Civic == nil {
				loc.Civic = civicFrom(c)
			}
		}
		for _, s := range li.Points {
			g, err := shapeFrom(ShapePoint, s)
			if err != nil {
				return false, err
			}
			found = true
			if loc.Geo == nil {
				loc.Geo = g
			}
		}
		for _, s := range li.Circles {
			g, err := shapeFrom(ShapeCircle, s)
			if err != nil {
				return false, err
			}
			found = true
			if loc.Geo == nil {
				loc.Geo = g
			}
		}
		if !found {
			for _, o := range li.Other {
				return false, fmt.Errorf("%w: location-info element {%s}%s", ErrUnsupported, o.XMLName.Space, o.XMLName.Local)
			}
		}
	}
	return found, nil
}

func civicFrom(x xCivic) *Civic {
	c := &Civic{Lang: x.Lang}
	byName := map[string]*string{}
	for _, f := range c.fields() {
		byName[f.name] = f.p
	}
	for _, f := range x.Fields {
		if p, ok := byName[f.XMLName.Local]; ok && *p == "" {
			*p = strings.TrimSpace(unescape(f.Text))
		}
	}
	return c
}

// unescape decodes the character data of a simple element's inner XML.
func unescape(s string) string {
	if !strings.ContainsAny(s, "&<") {
		return s
	}
	var v struct {
		Text string `xml:",chardata"`
	}
	if err := xml.Unmarshal([]byte("<x>"+s+"</x>"), &v); err != nil {
		return s
	}
	return v.Text
}

var srsAliases = map[string]bool{
	SRS2D: true, "EPSG:4326": true, "urn:ogc:def:crs:EPSG:6.6:4326": true,
	"http://www.opengis.net/gml/srs/epsg.xml#4326": true,
}

func shapeFrom(kind ShapeKind, s xShape) (*Geodetic, error) {
	srs := strings.TrimSpace(s.SRS)
	threeD := srs == SRS3D || srs == "EPSG:4979"
	if !srsAliases[srs] && !threeD {
		return nil, fmt.Errorf("%w: %s srsName %q", ErrUnsupported, kind, s.SRS)
	}
	if len(s.Pos) != 1 {
		return nil, fmt.Errorf("%w: %s needs exactly one gml:pos, has %d", ErrUnsupported, kind, len(s.Pos))
	}
	parts := strings.Fields(s.Pos[0])
	want := 2
	if threeD {
		want = 3
	}
	if len(parts) != want {
		return nil, fmt.Errorf("%w: %s gml:pos %q: want %d coordinates for %s", ErrUnsupported, kind, s.Pos[0], want, srs)
	}
	v := make([]float64, len(parts))
	for i, f := range parts {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || !finite(x) {
			return nil, fmt.Errorf("%w: %s gml:pos %q: bad number %q", ErrUnsupported, kind, s.Pos[0], f)
		}
		v[i] = x
	}
	g := &Geodetic{Shape: kind, Lat: v[0], Lon: v[1]}
	if threeD {
		alt := v[2]
		g.Alt = &alt
	}
	if kind == ShapeCircle {
		if threeD {
			return nil, fmt.Errorf("%w: Circle in 3D srsName %q", ErrUnsupported, srs)
		}
		if len(s.Radius) != 1 {
			return nil, fmt.Errorf("%w: Circle needs exactly one gs:radius", ErrUnsupported)
		}
		if u := strings.TrimSpace(s.Radius[0].UOM); u != UOMMetre {
			return nil, fmt.Errorf("%w: Circle radius uom %q, want %q", ErrUnsupported, u, UOMMetre)
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(s.Radius[0].Value), 64)
		if err != nil || !finite(r) || r <= 0 {
			return nil, fmt.Errorf("%w: Circle radius %q", ErrUnsupported, s.Radius[0].Value)
		}
		g.Radius = r
	}
	if g.Lat < -90 || g.Lat > 90 || g.Lon < -180 || g.Lon > 180 {
		return nil, fmt.Errorf("%w: %s coordinates %v %v out of range", ErrUnsupported, kind, g.Lat, g.Lon)
	}
	return g, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0", "no":
		return false, nil
	case "true", "1", "yes":
		return true, nil
	}
	return false, fmt.Errorf("%w: retransmission-allowed %q is not a boolean", ErrNotPIDF, s)
}

func parseTime(what, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q is not an RFC 3339 date-time", ErrNotPIDF, what, s)
	}
	return t.UTC(), nil
}
