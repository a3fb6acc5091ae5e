package pidf

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sameLocation(t *testing.T, got, want Location) {
	t.Helper()
	if !got.Timestamp.Equal(want.Timestamp) || !got.RetentionExpiry.Equal(want.RetentionExpiry) {
		t.Errorf("times: got %v/%v want %v/%v", got.Timestamp, got.RetentionExpiry, want.Timestamp, want.RetentionExpiry)
	}
	got.Timestamp, want.Timestamp = time.Time{}, time.Time{}
	got.RetentionExpiry, want.RetentionExpiry = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v civic=%+v geo=%+v\nwant %+v civic=%+v geo=%+v", got, got.Civic, got.Geo, want, want.Civic, want.Geo)
	}
}

func civicLoc() Location {
	return Location{
		Entity:   "sip:+14255550100@contoso.example",
		DeviceID: "mac:00112233445a",
		Civic: &Civic{Lang: "en-US", Country: "US", A1: "WA", A2: "King", A3: "Redmond",
			RD: "Microsoft Way", STS: "NE", HNO: "1", PC: "98052", NAM: "Contoso & Sons <HQ>",
			LOC: "Building 7", FLR: "2", ROOM: "2-101"},
		Method:                MethodManual,
		ProvidedBy:            "contoso.example",
		RetransmissionAllowed: true,
		RetentionExpiry:       time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Timestamp:             time.Date(2026, 11, 30, 6, 50, 1, 500_000_000, time.UTC),
	}
}

func TestRoundTrip(t *testing.T) {
	alt := 12.5
	cases := map[string]Location{
		"civic device": civicLoc(),
		"civic tuple": func() Location {
			l := civicLoc()
			l.DeviceID = ""
			l.Entity = "pres:alice@contoso.example"
			return l
		}(),
		"point": {Entity: "sip:+14255550100@contoso.example", DeviceID: "imei:35-209900-176148-1",
			Geo: &Geodetic{Shape: ShapePoint, Lat: 47.6396, Lon: -122.1283}, Method: MethodGPS,
			Timestamp: time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)},
		"point 3d": {Entity: "sip:+14255550100@contoso.example", DeviceID: "x",
			Geo: &Geodetic{Shape: ShapePoint, Lat: -34.407, Lon: 150.88001, Alt: &alt}, Method: MethodAGPS},
		"circle": {Entity: "sip:+14255550100@contoso.example", DeviceID: "imei:35-209900-176148-1",
			Geo: &Geodetic{Shape: ShapeCircle, Lat: 47.6396, Lon: -122.1283, Radius: 850}, Method: MethodCell},
		"circle tuple": {Entity: "tel:+14255550100",
			Geo: &Geodetic{Shape: ShapeCircle, Lat: 0, Lon: 180, Radius: 0.5}},
		"civic and circle": func() Location {
			l := civicLoc()
			l.Geo = &Geodetic{Shape: ShapeCircle, Lat: 47.6396, Lon: -122.1283, Radius: 30}
			return l
		}(),
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			doc, err := Build(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(doc)
			if err != nil {
				t.Fatalf("%v\n%s", err, doc)
			}
			sameLocation(t, got, want)
		})
	}
}

func TestBuildShape(t *testing.T) {
	doc, err := Build(Location{Entity: "pres:a@b", DeviceID: "d",
		Geo: &Geodetic{Shape: ShapeCircle, Lat: 1.5, Lon: 2.25, Radius: 30}, Method: MethodCell})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`xmlns="urn:ietf:params:xml:ns:pidf"`,
		`xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"`,
		`xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"`,
		`xmlns:gml="http://www.opengis.net/gml"`,
		`xmlns:gs="http://www.opengis.net/pidflo/1.0"`,
		`<dm:device id="loc1">`,
		`<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326">`,
		`<gml:pos>1.5 2.25</gml:pos>`,
		`<gs:radius uom="urn:ogc:def:uom:EPSG::9001">30</gs:radius>`,
		`<gp:method>Cell</gp:method>`,
		`<gbp:retransmission-allowed>false</gbp:retransmission-allowed>`,
		`<dm:deviceID>d</dm:deviceID>`,
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("missing %s in\n%s", want, doc)
		}
	}
}

// rfc5491Example is written in the style of RFC 5491 §5.2.3 / RFC 5139 §4:
// different prefixes, a default namespace for geopriv, RFC 4119-style
// usage rules in the geopriv10 namespace and a person element.
const rfc5491Circle = `<?xml version="1.0"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"
    xmlns:gml="http://www.opengis.net/gml"
    xmlns:gs="http://www.opengis.net/pidflo/1.0"
    entity="pres:point2d@example.com">
  <dm:device id="point2d">
    <gp:geopriv>
      <gp:location-info>
        <gs:Circle srsName="urn:ogc:def:crs:EPSG::4326">
          <gml:pos>-34.407 150.88001</gml:pos>
          <gs:radius uom="urn:ogc:def:uom:EPSG::9001">
            30
          </gs:radius>
        </gs:Circle>
      </gp:location-info>
      <gp:usage-rules/>
      <gp:method>Wiremap</gp:method>
    </gp:geopriv>
    <dm:deviceID>mac:1234567890ab</dm:deviceID>
    <dm:timestamp>2007-06-22T20:57:29Z</dm:timestamp>
  </dm:device>
</presence>`

const rfc4119Civic = `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
   xmlns:cl="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
   entity="pres:geotarget@example.com">
 <tuple id="sg89ae">
  <status>
   <geopriv xmlns="urn:ietf:params:xml:ns:pidf:geopriv10">
    <location-info>
      <cl:civicAddress xml:lang="en-AU">
        <cl:country>AU</cl:country>
        <cl:A1>NSW</cl:A1>
        <cl:A3>     Wollongong
        </cl:A3>
        <cl:A4>North Wollongong</cl:A4>
        <cl:RD>Flinders</cl:RD>
        <cl:STS>Street</cl:STS>
        <cl:RDBR>Campbell Street</cl:RDBR>
        <cl:LMK>Gilligan's Island</cl:LMK>
        <cl:LOC>Corner</cl:LOC>
        <cl:NAM>Video Rental Store</cl:NAM>
        <cl:PC>2500</cl:PC>
        <cl:ROOM>Westerns &amp; Classics</cl:ROOM>
        <cl:PLC>store</cl:PLC>
        <cl:POBOX>Private Box 15</cl:POBOX>
        <cl:XYZ>ignored extension</cl:XYZ>
      </cl:civicAddress>
    </location-info>
    <usage-rules>
      <retransmission-allowed>yes</retransmission-allowed>
      <retention-expiry>2003-06-23T04:57:29Z</retention-expiry>
    </usage-rules>
    <method>Manual</method>
    <provided-by>Telco</provided-by>
   </geopriv>
  </status>
  <timestamp>2003-06-22T20:57:29Z</timestamp>
 </tuple>
</presence>`

func TestParseExamples(t *testing.T) {
	got, err := Parse([]byte(rfc5491Circle))
	if err != nil {
		t.Fatal(err)
	}
	sameLocation(t, got, Location{Entity: "pres:point2d@example.com", DeviceID: "mac:1234567890ab",
		Geo:       &Geodetic{Shape: ShapeCircle, Lat: -34.407, Lon: 150.88001, Radius: 30},
		Method:    MethodWiremap,
		Timestamp: time.Date(2007, 6, 22, 20, 57, 29, 0, time.UTC)})

	got, err = Parse([]byte(rfc4119Civic))
	if err != nil {
		t.Fatal(err)
	}
	sameLocation(t, got, Location{Entity: "pres:geotarget@example.com",
		Civic: &Civic{Lang: "en-AU", Country: "AU", A1: "NSW", A3: "Wollongong", A4: "North Wollongong",
			RD: "Flinders", STS: "Street", RDBR: "Campbell Street", LMK: "Gilligan's Island", LOC: "Corner",
			NAM: "Video Rental Store", PC: "2500", ROOM: "Westerns & Classics", PLC: "store", POBOX: "Private Box 15"},
		Method: MethodManual, ProvidedBy: "Telco", RetransmissionAllowed: true,
		RetentionExpiry: time.Date(2003, 6, 23, 4, 57, 29, 0, time.UTC),
		Timestamp:       time.Date(2003, 6, 22, 20, 57, 29, 0, time.UTC)})

	point := strings.NewReplacer(
		`<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326">`, `<gml:Point srsName="urn:ogc:def:crs:EPSG::4326">`,
		`</gs:Circle>`, `</gml:Point>`,
		"<gs:radius uom=\"urn:ogc:def:uom:EPSG::9001\">\n            30\n          </gs:radius>", "",
		"<dm:deviceID>mac:1234567890ab</dm:deviceID>", "",
		"<dm:device", "<dm:person", "</dm:device>", "</dm:person>").Replace(rfc5491Circle)
	got, err = Parse([]byte(point))
	if err != nil {
		t.Fatalf("%v\n%s", err, point)
	}
	sameLocation(t, got, Location{Entity: "pres:point2d@example.com",
		Geo:       &Geodetic{Shape: ShapePoint, Lat: -34.407, Lon: 150.88001},
		Method:    MethodWiremap,
		Timestamp: time.Date(2007, 6, 22, 20, 57, 29, 0, time.UTC)})
}

func TestBuildErrors(t *testing.T) {
	geo := &Geodetic{Shape: ShapePoint, Lat: 1, Lon: 2}
	bad := 5.0
	cases := map[string]Location{
		"no entity":        {Geo: geo},
		"entity not uri":   {Entity: "alice", Geo: geo},
		"entity injection": {Entity: `sip:a@b" x="y`, Geo: geo},
		"no location":      {Entity: "sip:a@b"},
		"country missing":  {Entity: "sip:a@b", Civic: &Civic{A1: "WA", RD: "Main"}},
		"country lower":    {Entity: "sip:a@b", Civic: &Civic{Country: "us", RD: "Main"}},
		"country only":     {Entity: "sip:a@b", Civic: &Civic{Country: "US"}},
		"lat range":        {Entity: "sip:a@b", Geo: &Geodetic{Shape: ShapePoint, Lat: 91}},
		"lon range":        {Entity: "sip:a@b", Geo: &Geodetic{Shape: ShapePoint, Lon: -180.5}},
		"no shape":         {Entity: "sip:a@b", Geo: &Geodetic{Lat: 1}},
		"circle radius 0":  {Entity: "sip:a@b", Geo: &Geodetic{Shape: ShapeCircle}},
		"point radius":     {Entity: "sip:a@b", Geo: &Geodetic{Shape: ShapePoint, Radius: 3}},
		"circle altitude":  {Entity: "sip:a@b", Geo: &Geodetic{Shape: ShapeCircle, Radius: 3, Alt: &bad}},
	}
	for name, loc := range cases {
		if _, err := Build(loc); !errors.Is(err, ErrIncomplete) {
			t.Errorf("%s: err = %v, want ErrIncomplete", name, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	circle := func(old, new string) string { return strings.Replace(rfc5491Circle, old, new, 1) }
	cases := []struct {
		name string
		doc  string
		want error
	}{
		{"empty", "", ErrNotPIDF},
		{"not xml", "hello", ErrNotPIDF},
		{"truncated", rfc5491Circle[:200], ErrNotPIDF},
		{"wrong root", `<foo xmlns="urn:x"/>`, ErrNotPIDF},
		{"root without ns", `<presence entity="pres:a@b"/>`, ErrNotPIDF},
		{"no location", `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b"/>`, ErrNoLocation},
		{"bad srs", circle("EPSG::4326", "EPSG::27700"), ErrUnsupported},
		{"bad uom", circle("EPSG::9001", "EPSG::9093"), ErrUnsupported},
		{"bad pos", circle("-34.407 150.88001", "-34.407"), ErrUnsupported},
		{"pos nan", circle("-34.407 150.88001", "NaN 1"), ErrUnsupported},
		{"lat range", circle("-34.407 150.88001", "-94.407 150"), ErrUnsupported},
		{"bad radius", circle("30\n", "-3\n"), ErrUnsupported},
		{"polygon", strings.ReplaceAll(rfc5491Circle, "gs:Circle", "gml:Polygon"), ErrUnsupported},
		{"bad timestamp", circle("2007-06-22T20:57:29Z", "yesterday"), ErrNotPIDF},
		{"bad bool", circle("<gp:usage-rules/>", "<gp:usage-rules><gp:retransmission-allowed>maybe</gp:retransmission-allowed></gp:usage-rules>"), ErrNotPIDF},
		{"geopriv wrong ns", circle(`<gp:geopriv>`, `<gp:geopriv xmlns:gp="urn:x">`), ErrNoLocation},
		{"too big", string(make([]byte, MaxDocSize+1)), ErrNotPIDF},
	}
	for _, c := range cases {
		if _, err := Parse([]byte(c.doc)); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestMultipart(t *testing.T) {
	sdp := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
	doc, err := Build(civicLoc())
	if err != nil {
		t.Fatal(err)
	}
	for _, cid := range []string{"loc1@ocmsim.example", "<loc1@ocmsim.example>", "cid:loc1@ocmsim.example"} {
		ct, body := Multipart(sdp, doc, cid)
		if !strings.HasPrefix(ct, "multipart/mixed; boundary=") {
			t.Fatalf("content type %q", ct)
		}
		if !bytes.Contains(body, []byte("Content-Id: <loc1@ocmsim.example>\r\n")) &&
			!bytes.Contains(body, []byte("Content-ID: <loc1@ocmsim.example>\r\n")) {
			t.Errorf("no Content-ID header in\n%s", body)
		}
		gotSDP, gotPIDF, gotCID, err := SplitMultipart(ct, body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gotSDP, sdp) || !bytes.Equal(gotPIDF, doc) || gotCID != "loc1@ocmsim.example" {
			t.Errorf("round trip: sdp %q cid %q pidf equal %v", gotSDP, gotCID, bytes.Equal(gotPIDF, doc))
		}
		if h := GeolocationHeader(cid); h != "<cid:loc1@ocmsim.example>" {
			t.Errorf("GeolocationHeader(%q) = %q", cid, h)
		}
	}
	// Without SDP.
	ct, body := Multipart(nil, doc, "x@y")
	gotSDP, gotPIDF, _, err := SplitMultipart(ct, body)
	if err != nil || gotSDP != nil || !bytes.Equal(gotPIDF, doc) {
		t.Errorf("no sdp: %v %q", err, gotSDP)
	}
	// Header injection is neutralised.
	ct, body = Multipart(sdp, doc, "a\r\nX-Evil: 1")
	if bytes.Contains(body, []byte("X-Evil: 1\r\n")) {
		t.Errorf("header injected:\n%s", body)
	}
	if _, _, cid, err := SplitMultipart(ct, body); err != nil || cid != "aX-Evil:1" {
		t.Errorf("cid %q err %v", cid, err)
	}
}

func TestSplitMultipartErrors(t *testing.T) {
	sdpOnly := "--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b--\r\n"
	cases := []struct {
		name, ct, body string
	}{
		{"bad content type", "multipart/mixed; boundary", sdpOnly},
		{"not multipart", "application/sdp", sdpOnly},
		{"no boundary", "multipart/mixed", sdpOnly},
		{"no pidf", "multipart/mixed; boundary=b", sdpOnly},
		{"garbage", "multipart/mixed; boundary=b", "--b\r\nnot a header\r\n"},
		{"empty", "multipart/mixed; boundary=b", ""},
	}
	for _, c := range cases {
		if _, _, _, err := SplitMultipart(c.ct, []byte(c.body)); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	// A typical body from another implementation: LF line ends, quoted boundary, parameters.
	other := "--unique-boundary-1\nContent-Type: application/sdp\n\nv=0\n\n--unique-boundary-1\nContent-Type: application/pidf+xml; charset=UTF-8\nContent-ID: <target123@atlanta.example.com>\n\n" + rfc5491Circle + "\n--unique-boundary-1--\n"
	_, pidf, cid, err := SplitMultipart(`multipart/mixed; boundary="unique-boundary-1"`, []byte(other))
	if err != nil || cid != "target123@atlanta.example.com" {
		t.Fatalf("cid %q err %v", cid, err)
	}
	if _, err := Parse(pidf); err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(rfc5491Circle))
	f.Add([]byte(rfc4119Civic))
	for _, l := range []Location{civicLoc(), {Entity: "pres:a@b", Geo: &Geodetic{Shape: ShapePoint, Lat: 1, Lon: 2}}} {
		doc, _ := Build(l)
		f.Add(doc)
	}
	f.Add([]byte("<presence xmlns='urn:ietf:params:xml:ns:pidf'><tuple><status><geopriv/></status></tuple></presence>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		loc, err := Parse(doc)
		if err != nil {
			return
		}
		if loc.Civic == nil && loc.Geo == nil {
			t.Fatal("nil location without error")
		}
		// Whatever parses and validates must survive a round trip.
		if loc.Validate() != nil {
			return
		}
		out, err := Build(loc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("reparse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again.Geo, loc.Geo) {
			t.Fatalf("geo changed: %+v -> %+v", loc.Geo, again.Geo)
		}
	})
}

// FuzzSplitMultipart feeds arbitrary bodies (an emergency INVITE's, as a
// device sends it) to SplitMultipart: errors, never panics; a PIDF part
// found is returned with its Content-ID.
func FuzzSplitMultipart(f *testing.F) {
	doc, _ := Build(civicLoc())
	ct, body := Multipart([]byte("v=0\r\n"), doc, "loc@x")
	f.Add(ct, body)
	f.Add("multipart/mixed; boundary=x", []byte("--x\r\nContent-Type: application/pidf+xml\r\n\r\n<a/>\r\n--x--"))
	f.Add("multipart/mixed", []byte("garbage"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		_, pidf, _, err := SplitMultipart(ct, body)
		if err == nil && pidf == nil {
			t.Fatal("no PIDF part and no error")
		}
	})
}
