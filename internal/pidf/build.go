package pidf

import (
	"bytes"
	"encoding/xml"
	"time"
)

// Build serialises loc as a PIDF-LO document. With a DeviceID it uses
// dm:device elements (RFC 5491 §3.4), otherwise RFC 4119 tuples. A civic
// address and a geodetic shape, when both are present, go into separate
// elements, each with its own geopriv (RFC 5491 §3.2). Errors wrap ErrIncomplete.
func Build(loc Location) ([]byte, error) {
	if err := loc.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<presence xmlns="` + NSPIDF + `"`)
	b.WriteString("\n  xmlns:dm=\"" + NSDataModel + `"`)
	b.WriteString("\n  xmlns:gp=\"" + NSGeopriv + `"`)
	b.WriteString("\n  xmlns:gbp=\"" + NSBasicPolicy + `"`)
	if loc.Civic != nil {
		b.WriteString("\n  xmlns:ca=\"" + NSCivicAddr + `"`)
	}
	if loc.Geo != nil {
		b.WriteString("\n  xmlns:gml=\"" + NSGML + `"`)
		b.WriteString("\n  xmlns:gs=\"" + NSGeoShape + `"`)
	}
	b.WriteString("\n  entity=\"")
	escape(&b, loc.Entity)
	b.WriteString("\">\n")
	n := 0
	if loc.Civic != nil {
		n++
		writeElement(&b, loc, n, func() { writeCivic(&b, loc.Civic) })
	}
	if loc.Geo != nil {
		n++
		writeElement(&b, loc, n, func() { writeGeo(&b, loc.Geo) })
	}
	b.WriteString("</presence>\n")
	return b.Bytes(), nil
}

func escape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // never fails on a bytes.Buffer
}

func text(b *bytes.Buffer, indent, name, s string) {
	b.WriteString(indent + "<" + name + ">")
	escape(b, s)
	b.WriteString("</" + name + ">\n")
}

func writeElement(b *bytes.Buffer, loc Location, n int, info func()) {
	id := "loc" + string(rune('0'+n))
	if loc.DeviceID != "" {
		b.WriteString(`  <dm:device id="` + id + "\">\n")
		writeGeopriv(b, loc, "    ", info)
		text(b, "    ", "dm:deviceID", loc.DeviceID)
		if !loc.Timestamp.IsZero() {
			text(b, "    ", "dm:timestamp", loc.Timestamp.UTC().Format(time.RFC3339Nano))
		}
		b.WriteString("  </dm:device>\n")
		return
	}
	b.WriteString(`  <tuple id="` + id + "\">\n")
	b.WriteString("    <status>\n")
	writeGeopriv(b, loc, "      ", info)
	b.WriteString("    </status>\n")
	if !loc.Timestamp.IsZero() {
		text(b, "    ", "timestamp", loc.Timestamp.UTC().Format(time.RFC3339Nano))
	}
	b.WriteString("  </tuple>\n")
}

func writeGeopriv(b *bytes.Buffer, loc Location, in string, info func()) {
	b.WriteString(in + "<gp:geopriv>\n")
	b.WriteString(in + "  <gp:location-info>\n")
	info()
	b.WriteString(in + "  </gp:location-info>\n")
	b.WriteString(in + "  <gp:usage-rules>\n")
	allowed := "false"
	if loc.RetransmissionAllowed {
		allowed = "true"
	}
	text(b, in+"    ", "gbp:retransmission-allowed", allowed)
	if !loc.RetentionExpiry.IsZero() {
		text(b, in+"    ", "gbp:retention-expiry", loc.RetentionExpiry.UTC().Format(time.RFC3339Nano))
	}
	b.WriteString(in + "  </gp:usage-rules>\n")
	if loc.Method != "" {
		text(b, in+"  ", "gp:method", loc.Method)
	}
	if loc.ProvidedBy != "" {
		text(b, in+"  ", "gp:provided-by", loc.ProvidedBy)
	}
	b.WriteString(in + "</gp:geopriv>\n")
}

const infoIndent = "          "

func writeCivic(b *bytes.Buffer, c *Civic) {
	b.WriteString(infoIndent + "<ca:civicAddress")
	if c.Lang != "" {
		b.WriteString(` xml:lang="`)
		escape(b, c.Lang)
		b.WriteString(`"`)
	}
	b.WriteString(">\n")
	for _, f := range c.fields() {
		if *f.p != "" {
			text(b, infoIndent+"  ", "ca:"+f.name, *f.p)
		}
	}
	b.WriteString(infoIndent + "</ca:civicAddress>\n")
}

func writeGeo(b *bytes.Buffer, g *Geodetic) {
	pos := fmtFloat(g.Lat) + " " + fmtFloat(g.Lon)
	srs := SRS2D
	if g.Alt != nil {
		pos += " " + fmtFloat(*g.Alt)
		srs = SRS3D
	}
	switch g.Shape {
	case ShapePoint:
		b.WriteString(infoIndent + `<gml:Point srsName="` + srs + "\">\n")
		text(b, infoIndent+"  ", "gml:pos", pos)
		b.WriteString(infoIndent + "</gml:Point>\n")
	case ShapeCircle:
		b.WriteString(infoIndent + `<gs:Circle srsName="` + srs + "\">\n")
		text(b, infoIndent+"  ", "gml:pos", pos)
		b.WriteString(infoIndent + "  " + `<gs:radius uom="` + UOMMetre + `">` + fmtFloat(g.Radius) + "</gs:radius>\n")
		b.WriteString(infoIndent + "</gs:Circle>\n")
	}
}
