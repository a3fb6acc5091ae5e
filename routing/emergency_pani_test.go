package routing_test

import (
	"reflect"
	"strings"
	"testing"

	"ocmsim/routing"
)

func TestParsePANI(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		cell    *routing.CellRef
		key     string
		ecgi    string
		bssid   string
		netProv bool
	}{
		{name: "E-UTRAN 2-digit MNC (scenario cell id)",
			header: "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=310260000a1b2c3d",
			cell:   &routing.CellRef{MCC: "310", MNC: "26", HasTAC: true, TACDigits: 4, TAC: 0, Cell: 0xa1b2c3d},
			key:    "310260000a1b2c3d", ecgi: "31026a1b2c3d"},
		{name: "E-UTRAN 3-digit MNC, upper-case hex, quoted, header name",
			header: `P-Access-Network-Info: 3GPP-E-UTRAN-TDD;UTRAN-Cell-ID-3GPP="3102601A2BA1B2C3D"`,
			cell:   &routing.CellRef{MCC: "310", MNC: "260", HasTAC: true, TACDigits: 4, TAC: 0x1a2b, Cell: 0xa1b2c3d},
			key:    "3102601a2ba1b2c3d", ecgi: "310260a1b2c3d"},
		{name: "E-UTRAN MNC with leading zero",
			header: "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=23401ffff0000001; network-provided",
			cell:   &routing.CellRef{MCC: "234", MNC: "01", HasTAC: true, TACDigits: 4, TAC: 0xffff, Cell: 1},
			key:    "23401ffff0000001", ecgi: "234010000001", netProv: true},
		{name: "NR with 6-hex TAC",
			header: "3GPP-NR-FDD; utran-cell-id-3gpp=31026000012300000abcd",
			cell:   &routing.CellRef{MCC: "310", MNC: "260", NR: true, HasTAC: true, TACDigits: 6, TAC: 0x123, Cell: 0xabcd},
			key:    "31026000012300000abcd", ecgi: "31026000000abcd"},
		{name: "NR with 4-hex TAC",
			header: "3GPP-NR-TDD; utran-cell-id-3gpp=310260abcdfffffffff",
			cell:   &routing.CellRef{MCC: "310", MNC: "260", NR: true, HasTAC: true, TACDigits: 4, TAC: 0xabcd, Cell: 0xfffffffff},
			key:    "310260abcdfffffffff", ecgi: "310260fffffffff"},
		{name: "NR nrcgi only",
			header: "3GPP-NR; nrcgi=00101123456789",
			cell:   &routing.CellRef{MCC: "001", MNC: "01", NR: true, Cell: 0x123456789},
			key:    "00101123456789", ecgi: "00101123456789"},
		{name: "NR nrcgi agreeing with utran-cell-id-3gpp",
			header: "3GPP-NR-FDD; utran-cell-id-3gpp=0010100001a123456789; nrcgi=00101123456789",
			cell:   &routing.CellRef{MCC: "001", MNC: "01", NR: true, HasTAC: true, TACDigits: 6, TAC: 0x1a, Cell: 0x123456789},
			key:    "0010100001a123456789", ecgi: "00101123456789"},
		{name: "WLAN BSSID bare",
			header: "IEEE-802.11; i-wlan-node-id=FFEEDDCCBBAA",
			bssid:  "ff:ee:dd:cc:bb:aa"},
		{name: "WLAN BSSID with dashes, extra params, second spec ignored",
			header: `IEEE-802.11n ; i-wlan-node-id="00-11-22-33-44-55" ; foo=bar , 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=x`,
			bssid:  "00:11:22:33:44:55"},
		{name: "unknown access type keeps cell raw",
			header: "3GPP-UTRAN-FDD; utran-cell-id-3gpp=2341500010000001"},
		{name: "any token access type", header: "DOCSIS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := routing.ParsePANI(tt.header)
			if err != nil {
				t.Fatalf("ParsePANI: %v", err)
			}
			if !reflect.DeepEqual(a.Cell, tt.cell) {
				t.Errorf("Cell = %+v, want %+v", a.Cell, tt.cell)
			}
			if got := a.CellKey(); got != tt.key {
				t.Errorf("CellKey = %q, want %q", got, tt.key)
			}
			if a.Cell != nil && a.Cell.ECGI() != tt.ecgi {
				t.Errorf("ECGI = %q, want %q", a.Cell.ECGI(), tt.ecgi)
			}
			if a.BSSID != tt.bssid {
				t.Errorf("BSSID = %q, want %q", a.BSSID, tt.bssid)
			}
			if a.NetworkProvided != tt.netProv {
				t.Errorf("NetworkProvided = %v", a.NetworkProvided)
			}
			b, err := routing.ParsePANI(a.String())
			if err != nil || !reflect.DeepEqual(a, b) {
				t.Errorf("round trip %q: %+v, %v", a.String(), b, err)
			}
		})
	}
}

func TestParsePANIErrors(t *testing.T) {
	tests := []struct{ name, header, want string }{
		{"empty", "", "missing access type"},
		{"no access type", "; utran-cell-id-3gpp=310260000a1b2c3d", "missing access type"},
		{"E-UTRAN bad length", "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=310260000a1b2c3", "length 15"},
		{"bad MCC", "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=31x260000a1b2c3d", `MCC "31x"`},
		{"bad MNC", "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=3102a0000a1b2c3d", `MNC "2a"`},
		{"bad TAC", "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=31026zz00a1b2c3d", `TAC "zz00"`},
		{"bad ECI", "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=310260000a1b2c3g", `ECI "a1b2c3g"`},
		{"bad NCI", "3GPP-NR-FDD; utran-cell-id-3gpp=31026000012300000abcg", `NCI "00000abcg"`},
		{"NR bad length", "3GPP-NR-FDD; utran-cell-id-3gpp=310260000a1b2c3d", "NR needs"},
		{"nrcgi on LTE", "3GPP-E-UTRAN-FDD; nrcgi=00101123456789", "non-NR"},
		{"nrcgi contradicts", "3GPP-NR-FDD; utran-cell-id-3gpp=0010100001a123456789; nrcgi=00101123456780", "contradicts"},
		{"bad BSSID", "IEEE-802.11; i-wlan-node-id=zz1122334455", "i-wlan-node-id"},
		{"duplicate", "3GPP-E-UTRAN-FDD; a=1; A=2", "duplicate parameter a"},
		{"unterminated quote", `3GPP-E-UTRAN-FDD; utran-cell-id-3gpp="310260000a1b2c3d`, "unterminated"},
		{"empty value", "3GPP-E-UTRAN-FDD; a=", "empty value of a"},
		{"garbage", "3GPP-E-UTRAN-FDD utran", "unexpected"},
		{"empty param", "3GPP-E-UTRAN-FDD;;", "empty parameter name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := routing.ParsePANI(tt.header)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParsePANI(%q) error = %v, want containing %q", tt.header, err, tt.want)
			}
		})
	}
}

func TestParseCellKey(t *testing.T) {
	c, err := routing.ParseCellKey("310260000a1b2c3d")
	if err != nil {
		t.Fatal(err)
	}
	if c.MCC != "310" || c.MNC != "26" || c.TAC != 0 || c.Cell != 0xa1b2c3d || c.NR || c.Key() != "310260000a1b2c3d" {
		t.Fatalf("ParseCellKey = %+v", c)
	}
	for _, bad := range []string{"", "3102600", "31026000000000000000000"} {
		if _, err := routing.ParseCellKey(bad); err == nil {
			t.Errorf("ParseCellKey(%q) accepted", bad)
		}
	}
}

func FuzzParsePANI(f *testing.F) {
	for _, s := range []string{
		"3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=310260000a1b2c3d",
		`3GPP-NR-FDD; utran-cell-id-3gpp="31026000012300000abcd"; network-provided`,
		"3GPP-NR; nrcgi=00101123456789",
		"IEEE-802.11; i-wlan-node-id=ffeeddccbbaa, x",
		`P-Access-Network-Info: ADSL; dsl-location="a\"b\\c"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		a, err := routing.ParsePANI(header)
		if err != nil {
			return
		}
		_ = a.CellKey()
		b, err := routing.ParsePANI(a.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", a.String(), header, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip of %q via %q: %+v != %+v", header, a.String(), a, b)
		}
		if a.Cell != nil {
			c, err := routing.ParseCellKey(a.Cell.Key())
			if err != nil || c != *a.Cell {
				t.Fatalf("cell key %q does not round-trip: %+v %v", a.Cell.Key(), c, err)
			}
		}
	})
}
