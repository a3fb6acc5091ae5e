package proxy

import "github.com/emiago/sipgo/sip"

// SelectBest picks the response a stateful proxy forwards once every branch
// has ended (RFC 3261 §16.7 step 6). codes are the branches' final statuses
// in arrival order (a timeout counts as 408, a transport error as 503).
//
// It returns the index of the chosen response and the status to send:
// any 6xx first; otherwise the lowest class, preferring 401, 407, 415, 420
// and 484 within 4xx, and the earliest arrival among equals; a 503 is sent as
// 500. With no usable code it returns (-1, 408).
func SelectBest(codes []int) (index, status int) {
	index = -1
	for i, c := range codes {
		if c < 200 || c > 699 {
			continue
		}
		if index < 0 || better(c, codes[index]) {
			index = i
		}
	}
	if index < 0 {
		return -1, sip.StatusRequestTimeout
	}
	status = codes[index]
	if status == sip.StatusServiceUnavailable {
		status = sip.StatusInternalServerError
	}
	return index, status
}

// better reports whether a beats the current best b; ties keep b.
func better(a, b int) bool {
	ra, rb := rank(a), rank(b)
	return ra < rb
}

// rank orders codes: lower is better.
func rank(c int) int {
	class := c / 100
	if class == 6 {
		return 0
	}
	r := class * 10
	if class == 4 && preferred4xx(c) {
		r--
	}
	return r
}

func preferred4xx(c int) bool {
	switch c {
	case 401, 407, 415, 420, 484:
		return true
	}
	return false
}

// mergeChallenges adds the WWW-Authenticate and Proxy-Authenticate headers of
// every other 401/407 response to best (RFC 3261 §16.7 step 7).
func mergeChallenges(best *sip.Response, others []*sip.Response) {
	if best.StatusCode != 401 && best.StatusCode != 407 {
		return
	}
	for _, o := range others {
		if o == nil || o == best || (o.StatusCode != 401 && o.StatusCode != 407) {
			continue
		}
		for _, name := range [...]string{"WWW-Authenticate", "Proxy-Authenticate"} {
			for _, h := range o.GetHeaders(name) {
				best.AppendHeader(sip.HeaderClone(h))
			}
		}
	}
}
