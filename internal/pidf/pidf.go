// Package pidf builds and parses PIDF-LO location objects (RFC 4119, with the
// civic address format of RFC 5139 and the geodetic profile of RFC 5491) and
// the multipart/mixed SIP bodies that carry them by value (RFC 6442).
//
// Only what an emergency-call proxy needs is modelled: one civic address
// and/or one geodetic shape (Point or Circle in WGS 84), the location method,
// provided-by, the basic usage rules and a timestamp.
package pidf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"ocmsim/routing"
)

// XML namespaces used in PIDF-LO documents.
const (
	// NSPIDF is the PIDF namespace (RFC 3863).
	NSPIDF = "urn:ietf:params:xml:ns:pidf"
	// NSDataModel is the presence data model namespace (RFC 4479).
	NSDataModel = "urn:ietf:params:xml:ns:pidf:data-model"
	// NSGeopriv is the GEOPRIV namespace (RFC 4119).
	NSGeopriv = "urn:ietf:params:xml:ns:pidf:geopriv10"
	// NSBasicPolicy is the basic usage rules namespace (RFC 4119 as updated, RFC 6772).
	NSBasicPolicy = "urn:ietf:params:xml:ns:pidf:geopriv10:basicPolicy"
	// NSCivicAddr is the revised civic address namespace (RFC 5139).
	NSCivicAddr = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
	// NSCivicLoc is the original RFC 4119 civic location namespace, accepted by Parse only.
	NSCivicLoc = "urn:ietf:params:xml:ns:pidf:geopriv10:civicLoc"
	// NSGML is the GML 3.1.1 namespace.
	NSGML = "http://www.opengis.net/gml"
	// NSGeoShape is the GeoShape namespace of RFC 5491 (Circle, Ellipse, ...).
	NSGeoShape = "http://www.opengis.net/pidflo/1.0"
)

// Coordinate reference systems and units of measure (RFC 5491 §4).
const (
	// SRS2D is the 2D WGS 84 coordinate reference system (latitude, longitude).
	SRS2D = "urn:ogc:def:crs:EPSG::4326"
	// SRS3D is the 3D WGS 84 coordinate reference system (latitude, longitude, altitude).
	SRS3D = "urn:ogc:def:crs:EPSG::4979"
	// UOMMetre is the unit of measure for metres.
	UOMMetre = "urn:ogc:def:uom:EPSG::9001"
)

// Common values of the geopriv method element (IANA "Method Tokens" registry).
const (
	// MethodManual means the location was entered manually.
	MethodManual = "Manual"
	// MethodDHCP means the location came from DHCP.
	MethodDHCP = "DHCP"
	// MethodCell means the location is derived from the serving cell.
	MethodCell = "Cell"
	// MethodGPS means the location came from GPS.
	MethodGPS = "GPS"
	// MethodAGPS means the location came from assisted GPS.
	MethodAGPS = "A-GPS"
	// MethodWiremap means the location came from a wiremap database.
	MethodWiremap = "Wiremap"
)

// Errors returned (wrapped) by Build and Parse; test with errors.Is.
var (
	// ErrIncomplete means a Location lacks a mandatory field or has an invalid value.
	ErrIncomplete = errors.New("pidf: incomplete or invalid location")
	// ErrNotPIDF means the document is not well-formed XML or its root is not a PIDF presence element.
	ErrNotPIDF = errors.New("pidf: not a PIDF document")
	// ErrNoLocation means the document contains no supported location.
	ErrNoLocation = errors.New("pidf: no location in document")
	// ErrUnsupported means the document uses a shape, CRS or unit this package does not handle.
	ErrUnsupported = errors.New("pidf: unsupported location")
	// ErrNoPIDFPart means a multipart body has no application/pidf+xml part.
	ErrNoPIDFPart = errors.New("pidf: no application/pidf+xml part")
)

// ShapeKind is the kind of a geodetic shape.
type ShapeKind string

// Supported geodetic shapes (RFC 5491 §5.2).
const (
	// ShapePoint is a gml:Point.
	ShapePoint ShapeKind = "Point"
	// ShapeCircle is a gs:Circle (a point with a horizontal radius).
	ShapeCircle ShapeKind = "Circle"
)

// Geodetic is a geodetic location in WGS 84: a Point or a Circle.
type Geodetic struct {
	// Shape is ShapePoint or ShapeCircle.
	Shape ShapeKind
	// Lat is the latitude in decimal degrees, -90..90.
	Lat float64
	// Lon is the longitude in decimal degrees, -180..180.
	Lon float64
	// Alt is the altitude in metres for a 3D Point (EPSG::4979); nil for 2D.
	Alt *float64
	// Radius is the Circle radius in metres (uom EPSG::9001); 0 for a Point.
	Radius float64
}

// Civic is a civic address (RFC 5139). Empty fields are omitted.
type Civic struct {
	Lang    string // xml:lang of the address, e.g. "en-US"; optional
	Country string // ISO 3166-1 alpha-2 country code, mandatory
	A1      string // national subdivision (state, province)
	A2      string // county, parish, district
	A3      string // city, township
	A4      string // city division, borough
	A5      string // neighbourhood, block
	A6      string // street group (not the street name since RFC 5139)
	PRM     string // road pre-modifier
	POM     string // road post-modifier
	PRD     string // leading street direction
	POD     string // trailing street suffix
	STS     string // street suffix or type
	HNO     string // house number
	HNS     string // house number suffix
	LMK     string // landmark or vanity address
	LOC     string // additional location information
	FLR     string // floor
	NAM     string // name (residence, business or office occupant)
	PC      string // postal code
	BLD     string // building
	UNIT    string // unit (apartment, suite)
	ROOM    string // room
	SEAT    string // seat, desk, cubicle
	PLC     string // place type
	PCN     string // postal community name
	POBOX   string // post office box
	ADDCODE string // additional code
	RD      string // primary road or street
	RDSEC   string // road section
	RDBR    string // road branch
	RDSUBBR string // road sub-branch
}

// civicFields lists the civic elements in RFC 5139 schema order with accessors.
func (c *Civic) fields() []struct {
	name string
	p    *string
} {
	return []struct {
		name string
		p    *string
	}{
		{"country", &c.Country}, {"A1", &c.A1}, {"A2", &c.A2}, {"A3", &c.A3},
		{"A4", &c.A4}, {"A5", &c.A5}, {"A6", &c.A6}, {"PRM", &c.PRM},
		{"POM", &c.POM}, {"PRD", &c.PRD}, {"POD", &c.POD}, {"STS", &c.STS},
		{"HNO", &c.HNO}, {"HNS", &c.HNS}, {"LMK", &c.LMK}, {"LOC", &c.LOC},
		{"FLR", &c.FLR}, {"NAM", &c.NAM}, {"PC", &c.PC}, {"BLD", &c.BLD},
		{"UNIT", &c.UNIT}, {"ROOM", &c.ROOM}, {"SEAT", &c.SEAT}, {"PLC", &c.PLC},
		{"PCN", &c.PCN}, {"POBOX", &c.POBOX}, {"ADDCODE", &c.ADDCODE}, {"RD", &c.RD},
		{"RDSEC", &c.RDSEC}, {"RDBR", &c.RDBR}, {"RDSUBBR", &c.RDSUBBR},
	}
}

// Location is the content of a PIDF-LO document.
type Location struct {
	// Entity is the presentity URI (presence entity attribute), e.g.
	// "sip:+14255550100@contoso.example" or "pres:alice@contoso.example". Mandatory.
	Entity string
	// DeviceID is the dm:deviceID (e.g. "mac:0011223344ab", "urn:gsma:imei:...").
	// When set, Build emits dm:device elements (RFC 5491 §3.4); otherwise tuples.
	DeviceID string
	// Civic is the civic address, if any.
	Civic *Civic
	// Geo is the geodetic shape, if any.
	Geo *Geodetic
	// Method is how the location was determined (see the Method constants); optional.
	Method string
	// ProvidedBy is the text content of geopriv provided-by; optional.
	ProvidedBy string
	// RetransmissionAllowed is the retransmission-allowed usage rule (default false).
	RetransmissionAllowed bool
	// RetentionExpiry is the retention-expiry usage rule; zero means absent.
	RetentionExpiry time.Time
	// Timestamp is when the location was determined; zero means absent.
	Timestamp time.Time
}

// Validate reports whether loc can be serialised; errors wrap ErrIncomplete.
func (loc Location) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrIncomplete, fmt.Sprintf(format, a...))
	}
	e := strings.TrimSpace(loc.Entity)
	if e == "" {
		return bad("entity is empty")
	}
	if i := strings.IndexByte(e, ':'); i <= 0 || i == len(e)-1 || strings.ContainsAny(e, " \t\r\n<>\"") {
		return bad("entity %q is not a URI", loc.Entity)
	}
	if loc.Civic == nil && loc.Geo == nil {
		return bad("neither civic address nor geodetic shape")
	}
	if c := loc.Civic; c != nil {
		if len(c.Country) != 2 || !isUpperAlpha(c.Country) {
			return bad("civic country %q is not an ISO 3166 alpha-2 code", c.Country)
		}
		n := 0
		for _, f := range c.fields()[1:] {
			if strings.TrimSpace(*f.p) != "" {
				n++
			}
		}
		if n == 0 {
			return bad("civic address has only a country")
		}
	}
	if g := loc.Geo; g != nil {
		if !finite(g.Lat) || g.Lat < -90 || g.Lat > 90 {
			return bad("latitude %v out of range", g.Lat)
		}
		if !finite(g.Lon) || g.Lon < -180 || g.Lon > 180 {
			return bad("longitude %v out of range", g.Lon)
		}
		switch g.Shape {
		case ShapePoint:
			if g.Radius != 0 {
				return bad("point with a radius")
			}
			if g.Alt != nil && !finite(*g.Alt) {
				return bad("altitude %v invalid", *g.Alt)
			}
		case ShapeCircle:
			if !finite(g.Radius) || g.Radius <= 0 {
				return bad("circle radius %v must be > 0 metres", g.Radius)
			}
			if g.Alt != nil {
				return bad("circle with altitude (use a Sphere, unsupported)")
			}
		default:
			return bad("unknown shape %q", g.Shape)
		}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func isUpperAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// CivicFrom converts a tenant civic address to its PIDF-LO form.
func CivicFrom(c routing.Civic) *Civic {
	return &Civic{Country: c.Country, A1: c.A1, A2: c.A2, A3: c.A3, RD: c.RD, HNO: c.HNO, PC: c.PC, NAM: c.NAM}
}

// Routing converts a PIDF-LO civic address to the tenant's form (the
// fields the tenant models).
func (c Civic) Routing() routing.Civic {
	return routing.Civic{Country: c.Country, A1: c.A1, A2: c.A2, A3: c.A3, RD: c.RD, HNO: c.HNO, PC: c.PC, NAM: c.NAM}
}
