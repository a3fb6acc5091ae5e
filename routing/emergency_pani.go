package routing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// PANI parameter names this package decodes (RFC 7315 §5.4, 3GPP TS 24.229 §7.2A.4).
const (
	PANICellID      = "utran-cell-id-3gpp" // E-UTRAN: MCC MNC TAC(4 hex) ECI(7 hex); NR: MCC MNC TAC(4|6 hex) NCI(9 hex)
	PANINRCGI       = "nrcgi"              // NR cell global identity: MCC MNC NCI(9 hex)
	PANIWLANNode    = "i-wlan-node-id"     // IEEE 802.11: the access point's BSSID
	PANINetProvided = "network-provided"   // flag added by the P-CSCF / network (RFC 7315)
)

// PANIParam is one access-info parameter of a P-Access-Network-Info header,
// kept in header order so that AccessInfo.String reproduces it.
type PANIParam struct {
	Name     string // lower-cased (parameter names are case-insensitive)
	Value    string // unquoted value; "" when HasValue is false
	HasValue bool   // "name=value" rather than a bare "name"
	Quoted   bool   // the value was (and will be written as) a quoted-string
}

// CellRef is a decoded 3GPP cell identity: the PLMN (MCC + MNC), the tracking
// area code when known, and the E-UTRAN (ECI, 28 bits) or NR (NCI, 36 bits)
// cell identity.
type CellRef struct {
	MCC       string // 3 decimal digits
	MNC       string // 2 or 3 decimal digits, leading zeros kept
	NR        bool   // Cell is an NCI (9 hex digits), else an ECI (7 hex digits)
	HasTAC    bool   // TAC was carried (always true for E-UTRAN)
	TACDigits int    // 4 (E-UTRAN, 16-bit TAC) or 6 (5GS, 24-bit TAC); 0 when HasTAC is false
	TAC       uint32
	Cell      uint64 // ECI or NCI
}

// cellDigits is the number of hex digits of the cell identity.
func (c CellRef) cellDigits() int {
	if c.NR {
		return 9
	}
	return 7
}

// Key is the cell-table key of the cell: the utran-cell-id-3gpp value form
// MCC + MNC + TAC + cell identity, hex digits lower-case (for NR without a TAC:
// MCC + MNC + NCI, the nrcgi form).
//
// This is the style of the tenant's cell ids (scenario `cells: - id:`):
// "310260000a1b2c3d" is 16 characters, which 3GPP TS 24.229's
// utran-cell-id-3gpp length rule reads as MCC 310, MNC 26, TAC 0x0000,
// ECI 0xa1b2c3d. A native dialer whose PANI carries
// `utran-cell-id-3gpp=<its scenario cell id>` therefore yields exactly the
// table key. A pure ECGI (no TAC) cannot be 16 characters (3+2|3+7), so the
// scenario ids are read as this form; ECGI gives the TAC-free key.
func (c CellRef) Key() string {
	var b strings.Builder
	b.WriteString(c.MCC)
	b.WriteString(c.MNC)
	if c.HasTAC {
		fmt.Fprintf(&b, "%0*x", c.TACDigits, c.TAC)
	}
	fmt.Fprintf(&b, "%0*x", c.cellDigits(), c.Cell)
	return b.String()
}

// ECGI is the cell global identity without the tracking area: MCC + MNC +
// ECI (7 hex digits) for E-UTRAN, MCC + MNC + NCI (9 hex digits) for NR
// (3GPP TS 23.003 §19.6). Use it to match cells regardless of TAC.
func (c CellRef) ECGI() string {
	return fmt.Sprintf("%s%s%0*x", c.MCC, c.MNC, c.cellDigits(), c.Cell)
}

// String is Key.
func (c CellRef) String() string { return c.Key() }

// ParseCellKey decodes a cell-table key (or a utran-cell-id-3gpp value) by its
// length: 16/17 characters are E-UTRAN MCC+MNC(2|3)+TAC(4 hex)+ECI(7 hex);
// 18/19 NR with a 4-hex TAC, 20/21 NR with a 6-hex TAC (MCC+MNC+TAC+NCI 9 hex);
// 14/15 NR without TAC (nrcgi). Hex digits may be upper- or lower-case.
func ParseCellKey(s string) (CellRef, error) {
	switch len(s) {
	case 16, 17:
		return paniCell(s, false, 4)
	case 18, 19:
		return paniCell(s, true, 4)
	case 20, 21:
		return paniCell(s, true, 6)
	case 14, 15:
		return paniCell(s, true, 0)
	}
	return CellRef{}, fmt.Errorf("cell id %q: length %d fits no 3GPP form (E-UTRAN 16|17, NR 14|15, 18|19, 20|21)", s, len(s))
}

// paniCell decodes MCC + MNC + [TAC of tacDigits] + cell identity, the MNC
// length being what the total length leaves over.
func paniCell(s string, nr bool, tacDigits int) (CellRef, error) {
	c := CellRef{NR: nr, HasTAC: tacDigits > 0, TACDigits: tacDigits}
	mncLen := len(s) - 3 - tacDigits - c.cellDigits()
	if mncLen != 2 && mncLen != 3 {
		return CellRef{}, fmt.Errorf("cell id %q: length %d leaves a %d-digit MNC", s, len(s), mncLen)
	}
	c.MCC, c.MNC = s[:3], s[3:3+mncLen]
	if !paniDigits(c.MCC) {
		return CellRef{}, fmt.Errorf("cell id %q: MCC %q is not 3 decimal digits", s, c.MCC)
	}
	if !paniDigits(c.MNC) {
		return CellRef{}, fmt.Errorf("cell id %q: MNC %q is not %d decimal digits", s, c.MNC, mncLen)
	}
	rest := s[3+mncLen:]
	if tacDigits > 0 {
		tac := rest[:tacDigits]
		v, err := paniHex(tac)
		if err != nil {
			return CellRef{}, fmt.Errorf("cell id %q: TAC %q is not %d hex digits", s, tac, tacDigits)
		}
		c.TAC = uint32(v)
		rest = rest[tacDigits:]
	}
	v, err := paniHex(rest)
	if err != nil {
		name := "ECI"
		if nr {
			name = "NCI"
		}
		return CellRef{}, fmt.Errorf("cell id %q: %s %q is not %d hex digits", s, name, rest, c.cellDigits())
	}
	c.Cell = v
	return c, nil
}

func paniDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// paniHex parses 1..16 hex digits (no sign, no prefix).
func paniHex(s string) (uint64, error) {
	if s == "" || len(s) > 16 {
		return 0, errors.New("bad hex")
	}
	for i := 0; i < len(s); i++ {
		if !paniIsHex(s[i]) {
			return 0, errors.New("bad hex")
		}
	}
	return strconv.ParseUint(s, 16, 64)
}

func paniIsHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

// AccessInfo is a parsed P-Access-Network-Info header (its first
// access-net-spec). AccessType and Params are the header as received; the
// other fields are decoded from them.
type AccessInfo struct {
	AccessType string // e.g. "3GPP-E-UTRAN-FDD", "3GPP-NR-TDD", "IEEE-802.11"; any token, case kept
	Params     []PANIParam

	Cell  *CellRef // serving cell for 3GPP E-UTRAN / NR access types, nil otherwise
	BSSID string   // i-wlan-node-id as "aa:bb:cc:dd:ee:ff", "" when absent
	// NetworkProvided reports the network-provided flag (the P-CSCF, not the UE, set the header).
	NetworkProvided bool
}

// EUTRAN reports whether the access type is a 3GPP E-UTRAN one (LTE).
func (a AccessInfo) EUTRAN() bool { return hasPrefixFold(a.AccessType, "3GPP-E-UTRAN") }

// NRAccess reports whether the access type is a 3GPP NR one (5G).
func (a AccessInfo) NRAccess() bool { return hasPrefixFold(a.AccessType, "3GPP-NR") }

// CellKey is the cell-table key of the serving cell (see CellRef.Key), "" when
// the header carries no cell.
func (a AccessInfo) CellKey() string {
	if a.Cell == nil {
		return ""
	}
	return a.Cell.Key()
}

// Param returns the value of the parameter name (case-insensitive) and whether it is present.
func (a AccessInfo) Param(name string) (string, bool) {
	for _, p := range a.Params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// String formats the header value ("access-type; name=value; ..."); parsing
// it again yields an equal AccessInfo.
func (a AccessInfo) String() string {
	var b strings.Builder
	b.WriteString(a.AccessType)
	for _, p := range a.Params {
		b.WriteString("; ")
		b.WriteString(p.Name)
		if !p.HasValue {
			continue
		}
		b.WriteByte('=')
		if p.Quoted {
			b.WriteByte('"')
			for i := 0; i < len(p.Value); i++ {
				if c := p.Value[i]; c == '"' || c == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(p.Value[i])
			}
			b.WriteByte('"')
		} else {
			b.WriteString(p.Value)
		}
	}
	return b.String()
}

// paniTokenChar reports an RFC 3261 token character.
func paniTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-.!%*_+`'~", c) >= 0
}

// paniValueChar reports a character of an unquoted gen-value (token or host, so
// also ':' '[' ']' of IPv6 references).
func paniValueChar(c byte) bool { return paniTokenChar(c) || c == ':' || c == '[' || c == ']' }

// ParsePANI parses a P-Access-Network-Info header value (RFC 7315 §5.4,
// 3GPP TS 24.229 §7.2A.4); a leading "P-Access-Network-Info:" is accepted.
// Only the first access-net-spec of a comma-separated list is returned.
// Parameter names are case-insensitive; values may be tokens or quoted-strings.
// For E-UTRAN and NR access types utran-cell-id-3gpp (and nrcgi) are decoded
// into Cell, see ParseCellKey for the lengths; i-wlan-node-id must be a BSSID
// (12 hex digits, optionally separated by ':' or '-').
func ParsePANI(header string) (AccessInfo, error) {
	s := header
	if i := strings.IndexByte(s, ':'); i >= 0 && strings.EqualFold(strings.TrimSpace(s[:i]), "P-Access-Network-Info") {
		s = s[i+1:]
	}
	var a AccessInfo
	// access type
	s = paniTrim(s)
	i := 0
	for i < len(s) && paniTokenChar(s[i]) {
		i++
	}
	a.AccessType, s = s[:i], paniTrim(s[i:])
	if a.AccessType == "" {
		return AccessInfo{}, fmt.Errorf("P-Access-Network-Info %q: missing access type", header)
	}
	seen := map[string]bool{}
	for s != "" {
		if s[0] == ',' {
			break // further access-net-specs are ignored
		}
		if s[0] != ';' {
			return AccessInfo{}, fmt.Errorf("P-Access-Network-Info %q: unexpected %q after %q", header, s[0], a.AccessType)
		}
		s = paniTrim(s[1:])
		i = 0
		for i < len(s) && paniTokenChar(s[i]) {
			i++
		}
		p := PANIParam{Name: strings.ToLower(s[:i])}
		if p.Name == "" {
			return AccessInfo{}, fmt.Errorf("P-Access-Network-Info %q: empty parameter name", header)
		}
		if seen[p.Name] {
			return AccessInfo{}, fmt.Errorf("P-Access-Network-Info %q: duplicate parameter %s", header, p.Name)
		}
		seen[p.Name] = true
		s = paniTrim(s[i:])
		if s != "" && s[0] == '=' {
			p.HasValue = true
			s = paniTrim(s[1:])
			if s != "" && s[0] == '"' {
				v, rest, ok := paniUnquote(s)
				if !ok {
					return AccessInfo{}, fmt.Errorf("P-Access-Network-Info %q: unterminated quoted value of %s", header, p.Name)
				}
				p.Value, p.Quoted, s = v, true, rest
			} else {
				i = 0
				for i < len(s) && paniValueChar(s[i]) {
					i++
				}
				p.Value, s = s[:i], s[i:]
				if p.Value == "" {
					return AccessInfo{}, fmt.Errorf("P-Access-Network-Info %q: empty value of %s", header, p.Name)
				}
			}
			s = paniTrim(s)
		}
		a.Params = append(a.Params, p)
	}
	if err := a.decode(); err != nil {
		return AccessInfo{}, fmt.Errorf("P-Access-Network-Info %q: %w", header, err)
	}
	return a, nil
}

// decode fills Cell, BSSID and NetworkProvided from Params.
func (a *AccessInfo) decode() error {
	_, a.NetworkProvided = a.Param(PANINetProvided)
	if v, ok := a.Param(PANIWLANNode); ok {
		mac, err := paniBSSID(v)
		if err != nil {
			return fmt.Errorf("%s %q: %w", PANIWLANNode, v, err)
		}
		a.BSSID = mac
	}
	eutran, nr := a.EUTRAN(), a.NRAccess()
	if !eutran && !nr {
		return nil
	}
	if v, ok := a.Param(PANICellID); ok {
		var c CellRef
		var err error
		switch {
		case eutran && (len(v) == 16 || len(v) == 17):
			c, err = paniCell(v, false, 4)
		case eutran:
			err = fmt.Errorf("cell id %q: length %d, E-UTRAN needs 16 (2-digit MNC) or 17 (3-digit MNC): MCC MNC TAC(4 hex) ECI(7 hex)", v, len(v))
		case len(v) == 18 || len(v) == 19:
			c, err = paniCell(v, true, 4)
		case len(v) == 20 || len(v) == 21:
			c, err = paniCell(v, true, 6)
		default:
			err = fmt.Errorf("cell id %q: length %d, NR needs 18-21: MCC MNC(2|3) TAC(4|6 hex) NCI(9 hex)", v, len(v))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", PANICellID, err)
		}
		a.Cell = &c
	}
	if v, ok := a.Param(PANINRCGI); ok {
		if !nr {
			return fmt.Errorf("%s on non-NR access type %s", PANINRCGI, a.AccessType)
		}
		if len(v) != 14 && len(v) != 15 {
			return fmt.Errorf("%s %q: length %d, needs 14 or 15: MCC MNC(2|3) NCI(9 hex)", PANINRCGI, v, len(v))
		}
		c, err := paniCell(v, true, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", PANINRCGI, err)
		}
		if a.Cell == nil {
			a.Cell = &c
		} else if a.Cell.ECGI() != c.ECGI() {
			return fmt.Errorf("%s %q contradicts %s (%s)", PANINRCGI, v, PANICellID, a.Cell.ECGI())
		}
	}
	return nil
}

// paniBSSID normalises 12 hex digits, bare or separated by ':' or '-', to "aa:bb:cc:dd:ee:ff".
func paniBSSID(v string) (string, error) {
	h := v
	if len(v) == 17 {
		sep := v[2]
		if sep != ':' && sep != '-' {
			return "", errors.New("BSSID separators must be ':' or '-'")
		}
		var b strings.Builder
		for i := 0; i < 17; i++ {
			if i%3 == 2 {
				if v[i] != sep {
					return "", errors.New("BSSID separators must be ':' or '-'")
				}
				continue
			}
			b.WriteByte(v[i])
		}
		h = b.String()
	}
	if len(h) != 12 {
		return "", errors.New("BSSID must be 6 hex octets")
	}
	if _, err := paniHex(h); err != nil {
		return "", errors.New("BSSID must be 6 hex octets")
	}
	h = strings.ToLower(h)
	return h[0:2] + ":" + h[2:4] + ":" + h[4:6] + ":" + h[6:8] + ":" + h[8:10] + ":" + h[10:12], nil
}

func paniTrim(s string) string { return strings.Trim(s, " \t\r\n") }

// paniUnquote reads a quoted-string at the start of s (s[0] == '"'), resolving
// backslash escapes, and returns the value and the rest of s.
func paniUnquote(s string) (string, string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) {
				return "", "", false
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}

// Parameters of P-Access-Network-Info that ocmsim's simulated Teams clients
// add to report what a Teams client tells the Teams service about its
// network (RFC 7315 has no field for them): the client's address on its
// local subnet, its public address as the service sees it, and the LLDP
// switch chassis and port.
const (
	PANILocalIP  = "ocm-local-ip"
	PANIPublicIP = "ocm-public-ip"
	PANIChassis  = "ocm-chassis"
	PANIPort     = "ocm-port"
)

// EmergencyHeader is the diagnostic header ocmsim's proxy adds to the
// INVITE it forwards to a PSAP: what the dialled string requested and how
// the location and the PSAP were chosen, e.g.
//
//	X-Ocmsim-Emergency: service=urn:service:sos;dial=911;source=Cell;path=operator;psap=psap-king;match=point;location=known
//
// A real PSAP ignores it; the simulated one records it.
const EmergencyHeader = "X-Ocmsim-Emergency"
