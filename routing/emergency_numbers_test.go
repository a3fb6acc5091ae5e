package routing_test

import (
	"testing"

	"ocmsim/routing"
)

func TestIsEmergency(t *testing.T) {
	tests := []struct {
		name, country, dialled, service string
		ok                              bool
	}{
		{"US 911", "US", "911", routing.ServiceSOS, true},
		{"US 933 test", "US", "933", routing.ServiceTestSOS, true},
		{"lower-case country", "us", "911", routing.ServiceSOS, true},
		{"US 112 not in table", "US", "112", "", false},
		{"CA 911", "CA", "911", routing.ServiceSOS, true},
		{"CA 933 is not a test number", "CA", "933", "", false},
		{"GB 999", "GB", "999", routing.ServiceSOS, true},
		{"GB 112", "GB", "112", routing.ServiceSOS, true},
		{"GB 911", "GB", "911", "", false},
		{"FR 112", "FR", "112", routing.ServiceSOS, true},
		{"FR 17 police", "FR", "17", routing.ServicePolice, true},
		{"SE 112 (EU)", "SE", "112", routing.ServiceSOS, true},
		{"AU 000", "AU", "000", routing.ServiceSOS, true},
		{"AU 112", "AU", "112", routing.ServiceSOS, true},
		{"unknown country 112", "ZZ", "112", routing.ServiceSOS, true},
		{"empty country 911", "", "911", routing.ServiceSOS, true},
		{"unknown country 999", "ZZ", "999", "", false},
		{"plus is E.164, never emergency", "US", "+911", "", false},
		{"E.164 number", "US", "+14255550100", "", false},
		{"tel URI", "US", "tel:911", routing.ServiceSOS, true},
		{"sip URI user=phone", "US", "sip:911@contoso.example;user=phone", routing.ServiceSOS, true},
		{"sips URI", "GB", "sips:999@x", routing.ServiceSOS, true},
		{"URN sos", "", "urn:service:sos", routing.ServiceSOS, true},
		{"URN police", "US", "urn:service:sos.police", routing.ServicePolice, true},
		{"URN upper-case", "US", "URN:Service:SOS.Fire", routing.ServiceFire, true},
		{"URN test", "US", "urn:service:test.sos.ambulance", "urn:service:test.sos.ambulance", true},
		{"URN counseling is not sos", "US", "urn:service:counseling", "", false},
		{"URN sos prefix without dot", "US", "urn:service:sosx", "", false},
		{"URN sos trailing dot", "US", "urn:service:sos.", "", false},
		{"empty", "US", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := routing.IsEmergency(tt.country, tt.dialled)
			if s != tt.service || ok != tt.ok {
				t.Fatalf("IsEmergency(%q, %q) = %q, %v; want %q, %v", tt.country, tt.dialled, s, ok, tt.service, tt.ok)
			}
		})
	}
}

func TestEmergencyNumbersOverride(t *testing.T) {
	base := routing.DefaultEmergencyNumbers()
	tab := base.With("us", map[string]string{"911": routing.ServiceSOS, "112": routing.ServiceSOS})
	tests := []struct {
		name             string
		tab              routing.EmergencyNumberTable
		country, dialled string
		ok               bool
	}{
		{"override adds 112", tab, "US", "112", true},
		{"override drops 933", tab, "US", "933", false},
		{"base untouched", base, "US", "112", false},
		{"base keeps 933", base, "US", "933", true},
		{"removed country falls back to universal", base.With("GB", nil), "GB", "911", true},
		{"removed country loses 999", base.With("GB", nil), "GB", "999", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := tt.tab.IsEmergency(tt.country, tt.dialled); ok != tt.ok {
				t.Fatalf("IsEmergency(%q, %q) ok = %v, want %v", tt.country, tt.dialled, ok, tt.ok)
			}
		})
	}
	base["US"]["999"] = routing.ServiceSOS // a caller's copy must not leak into the built-in table
	if _, ok := routing.IsEmergency("US", "999"); ok {
		t.Fatal("DefaultEmergencyNumbers shares the built-in table")
	}
}
