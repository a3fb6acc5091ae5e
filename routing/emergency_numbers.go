package routing

import "strings"

// Emergency service URNs (RFC 5031; the test URN is RFC 6881's urn:service:test.sos).
const (
	ServiceSOS       = "urn:service:sos"
	ServicePolice    = "urn:service:sos.police"
	ServiceFire      = "urn:service:sos.fire"
	ServiceAmbulance = "urn:service:sos.ambulance"
	ServiceMarine    = "urn:service:sos.marine"
	ServiceMountain  = "urn:service:sos.mountain"
	ServiceTestSOS   = "urn:service:test.sos" // e.g. US 933: echoes caller id and address (R-E9)
)

// EmergencyNumberTable maps an ISO 3166-1 alpha-2 country (upper case) to its
// emergency dial strings and the service URN each one requests.
type EmergencyNumberTable map[string]map[string]string

// universalEmergencyNumbers are the dial strings recognised when the country
// is empty or not in the table: 112 and 911 (3GPP TS 22.101 §10.1.1, which
// every mobile handset treats as emergency numbers).
var universalEmergencyNumbers = map[string]string{"112": ServiceSOS, "911": ServiceSOS}

// eu112 are the EU/EEA countries whose single emergency number is 112 (the
// national short codes that exist beside it are not modelled).
var eu112 = []string{"AT", "BE", "BG", "CY", "CZ", "DK", "EE", "FI", "GR", "HR", "HU", "IS",
	"LI", "LT", "LU", "LV", "MT", "NO", "PL", "PT", "RO", "SE", "SI", "SK", "CH"}

// defaultEmergencyNumbers is the built-in table; never mutated.
var defaultEmergencyNumbers = func() EmergencyNumberTable {
	t := EmergencyNumberTable{
		"US": {"911": ServiceSOS, "933": ServiceTestSOS},
		"CA": {"911": ServiceSOS},
		"MX": {"911": ServiceSOS},
		"GB": {"999": ServiceSOS, "112": ServiceSOS},
		"IE": {"112": ServiceSOS, "999": ServiceSOS},
		"DE": {"112": ServiceSOS, "110": ServicePolice},
		"FR": {"112": ServiceSOS, "15": ServiceAmbulance, "17": ServicePolice, "18": ServiceFire},
		"ES": {"112": ServiceSOS},
		"IT": {"112": ServiceSOS},
		"NL": {"112": ServiceSOS},
		"AU": {"000": ServiceSOS, "112": ServiceSOS, "106": ServiceSOS}, // 106: text/TTY
		"NZ": {"111": ServiceSOS, "112": ServiceSOS},
		"JP": {"110": ServicePolice, "119": ServiceFire, "118": ServiceMarine},
		"IN": {"112": ServiceSOS},
		"SG": {"999": ServicePolice, "995": ServiceFire},
	}
	for _, c := range eu112 {
		t[c] = map[string]string{"112": ServiceSOS}
	}
	return t
}()

// DefaultEmergencyNumbers returns a fresh copy of the built-in table, to be
// overridden with With before use.
func DefaultEmergencyNumbers() EmergencyNumberTable { return defaultEmergencyNumbers.clone() }

func (t EmergencyNumberTable) clone() EmergencyNumberTable {
	c := make(EmergencyNumberTable, len(t))
	for country, m := range t {
		cm := make(map[string]string, len(m))
		for k, v := range m {
			cm[k] = v
		}
		c[country] = cm
	}
	return c
}

// With returns a copy of t whose entry for country is replaced by numbers
// (dial string → service URN; an empty or nil map removes the country, which
// then falls back to the universal 112/911). t is not modified.
func (t EmergencyNumberTable) With(country string, numbers map[string]string) EmergencyNumberTable {
	c := t.clone()
	country = strings.ToUpper(country)
	if len(numbers) == 0 {
		delete(c, country)
		return c
	}
	m := make(map[string]string, len(numbers))
	for k, v := range numbers {
		m[k] = v
	}
	c[country] = m
	return c
}

// IsEmergency reports whether dialled, called from country, is an emergency
// call and which service URN it requests, using the built-in table.
func IsEmergency(country, dialled string) (service string, ok bool) {
	return defaultEmergencyNumbers.IsEmergency(country, dialled)
}

// IsEmergency reports whether dialled is an emergency call in country and the
// service URN it requests. dialled may be a bare dial string ("911": Teams
// clients do not prefix '+', R-E9), a tel: or sip:/sips: URI whose user part
// is the dial string, or an emergency service URN as Request-URI
// (urn:service:sos and its sub-services such as urn:service:sos.police, plus
// urn:service:test.sos*; the URN is returned lower-cased). Strings starting
// with '+' are E.164 numbers and never emergency ("+911..." is India). An empty
// or unknown country falls back to the universal 112 and 911.
func (t EmergencyNumberTable) IsEmergency(country, dialled string) (service string, ok bool) {
	d := strings.TrimSpace(dialled)
	if hasPrefixFold(d, "urn:service:") {
		u := strings.ToLower(d)
		for _, base := range []string{ServiceSOS, ServiceTestSOS} {
			if u == base || strings.HasPrefix(u, base+".") && len(u) > len(base)+1 {
				return u, true
			}
		}
		return "", false
	}
	d = uriUser(d)
	if d == "" || d[0] == '+' {
		return "", false
	}
	numbers, known := t[strings.ToUpper(strings.TrimSpace(country))]
	if !known {
		numbers = universalEmergencyNumbers
	}
	service, ok = numbers[d]
	return service, ok
}
