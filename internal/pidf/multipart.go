package pidf

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// Content types of the parts of an RFC 6442 location-by-value body.
const (
	// ContentTypePIDF is the media type of a PIDF-LO document.
	ContentTypePIDF = "application/pidf+xml"
	// ContentTypeSDP is the media type of an SDP session description.
	ContentTypeSDP = "application/sdp"
)

// maxPartSize bounds each part read by SplitMultipart.
const maxPartSize = MaxDocSize

// cleanCID strips angle brackets, a "cid:" prefix and any characters that
// cannot appear in a header value from a Content-ID.
func cleanCID(cid string) string {
	cid = strings.TrimSpace(cid)
	cid = strings.TrimPrefix(strings.TrimSuffix(cid, ">"), "<")
	if len(cid) >= 4 && strings.EqualFold(cid[:4], "cid:") {
		cid = cid[4:]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r == 0x7f || r == '<' || r == '>' {
			return -1
		}
		return r
	}, cid)
}

// Multipart builds a multipart/mixed SIP body carrying sdp (omitted when empty)
// and the PIDF-LO document pidf with "Content-ID: <contentID>". contentID may
// be given bare, in angle brackets or as a cid: URI; control characters,
// spaces and angle brackets are removed. It returns the Content-Type header
// value (with its boundary) and the body.
func Multipart(sdp []byte, pidf []byte, contentID string) (contentType string, body []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if len(sdp) > 0 {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", ContentTypeSDP)
		pw, _ := w.CreatePart(h) // writes to a bytes.Buffer cannot fail
		_, _ = pw.Write(sdp)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", ContentTypePIDF)
	h.Set("Content-ID", "<"+cleanCID(contentID)+">")
	pw, _ := w.CreatePart(h)
	_, _ = pw.Write(pidf)
	_ = w.Close()
	return mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": w.Boundary()}), b.Bytes()
}

// GeolocationHeader returns the RFC 6442 Geolocation header value
// "<cid:contentID>" referring to the PIDF-LO part built by Multipart.
func GeolocationHeader(contentID string) string {
	return "<cid:" + cleanCID(contentID) + ">"
}

// SplitMultipart extracts the first application/sdp part, the first
// application/pidf+xml part and that part's Content-ID (without angle
// brackets) from a multipart/mixed (or multipart/related) body. A missing SDP
// part yields a nil sdp; a missing PIDF part is an error wrapping ErrNoPIDFPart.
func SplitMultipart(contentType string, body []byte) (sdp []byte, pidf []byte, contentID string, err error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, nil, "", fmt.Errorf("pidf: content type %q: %w", contentType, err)
	}
	if mt != "multipart/mixed" && mt != "multipart/related" {
		return nil, nil, "", fmt.Errorf("pidf: content type %q is not multipart/mixed", mt)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, nil, "", fmt.Errorf("pidf: content type %q has no boundary", contentType)
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	havePIDF := false
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, "", fmt.Errorf("pidf: multipart body: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(p, maxPartSize+1))
		if err != nil {
			return nil, nil, "", fmt.Errorf("pidf: multipart part: %w", err)
		}
		if len(data) > maxPartSize {
			return nil, nil, "", fmt.Errorf("pidf: multipart part larger than %d bytes", maxPartSize)
		}
		pt, _, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			continue // unknown or malformed part type: ignore it
		}
		switch pt {
		case ContentTypeSDP:
			if sdp == nil {
				sdp = data
			}
		case ContentTypePIDF:
			if !havePIDF {
				havePIDF = true
				pidf = data
				contentID = cleanCID(p.Header.Get("Content-ID"))
			}
		}
	}
	if !havePIDF {
		return nil, nil, "", ErrNoPIDFPart
	}
	return sdp, pidf, contentID, nil
}
