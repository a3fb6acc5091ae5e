package proxy

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestSelectBest(t *testing.T) {
	tests := []struct {
		name      string
		codes     []int
		wantIndex int
		want      int
	}{
		{"no response", nil, -1, 408},
		{"only unusable codes", []int{0, 100, 180}, -1, 408},
		{"single", []int{486}, 0, 486},
		{"6xx beats everything", []int{486, 302, 603, 500}, 2, 603},
		{"first 6xx kept", []int{600, 603}, 0, 600},
		{"lowest class", []int{500, 486, 302}, 2, 302},
		{"4xx beats 5xx", []int{503, 486}, 1, 486},
		{"503 sent as 500", []int{503, 504}, 0, 500},
		{"timeout is 408", []int{408, 503}, 0, 408},
		{"earliest among equals", []int{480, 486, 404}, 0, 480},
		{"401 preferred", []int{486, 401}, 1, 401},
		{"407 preferred", []int{404, 407}, 1, 407},
		{"415 preferred", []int{480, 415}, 1, 415},
		{"420 preferred", []int{480, 420}, 1, 420},
		{"484 preferred", []int{480, 484}, 1, 484},
		{"preferred keeps order", []int{407, 401}, 0, 407},
		{"5xx preferred code irrelevant", []int{500, 401}, 1, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, got := SelectBest(tt.codes)
			if i != tt.wantIndex || got != tt.want {
				t.Errorf("SelectBest(%v) = %d, %d; want %d, %d", tt.codes, i, got, tt.wantIndex, tt.want)
			}
		})
	}
}

func TestMergeChallenges(t *testing.T) {
	mk := func(code int, name, value string) *sip.Response {
		r := sip.NewResponse(code, "x")
		if name != "" {
			r.AppendHeader(sip.NewHeader(name, value))
		}
		return r
	}
	best := mk(401, "WWW-Authenticate", `Digest realm="a"`)
	others := []*sip.Response{best, mk(407, "Proxy-Authenticate", `Digest realm="b"`), mk(486, "WWW-Authenticate", "ignored"), nil}
	mergeChallenges(best, others)
	if n := len(best.GetHeaders("WWW-Authenticate")); n != 1 {
		t.Errorf("WWW-Authenticate count %d, want 1", n)
	}
	if h := best.GetHeader("Proxy-Authenticate"); h == nil || h.Value() != `Digest realm="b"` {
		t.Errorf("Proxy-Authenticate %v", h)
	}
	notAuth := mk(486, "", "")
	mergeChallenges(notAuth, others)
	if notAuth.GetHeader("Proxy-Authenticate") != nil {
		t.Error("merged into a non-401/407")
	}
}

func TestRingKeepsNewest(t *testing.T) {
	var r ring
	for i := range 5 {
		r.add(CallRecord{CallID: string(rune('a' + i))}, 3)
	}
	got := r.last(10)
	if len(got) != 3 || got[0].CallID != "e" || got[1].CallID != "d" || got[2].CallID != "c" {
		t.Errorf("last = %v", got)
	}
	if got := r.last(1); len(got) != 1 || got[0].CallID != "e" {
		t.Errorf("last(1) = %v", got)
	}
	if got := r.last(-1); len(got) != 0 {
		t.Errorf("last(-1) = %v", got)
	}
}

func TestReasonValue(t *testing.T) {
	got := reasonValue(403, "Opérateur \"X\"\r\nsuspendu \\")
	want := `SIP;cause=403;text="Opérateur \"X\"  suspendu \\"`
	if got != want {
		t.Errorf("reasonValue = %s, want %s", got, want)
	}
}
