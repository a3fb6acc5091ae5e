package digest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sync"
	"time"
)

// A nonce is base64url(issued || salt || mac): issued is the issue time in
// Unix nanoseconds (8 bytes, big endian), salt 8 random bytes so that
// concurrent challenges never share a nonce, and mac the first 16 bytes of
// HMAC-SHA256(key, issued || salt || realm).
const (
	nonceRawLen = 8 + 8 + 16
	nonceLen    = (nonceRawLen*8 + 5) / 6 // unpadded base64 length
)

var nonceEncoding = base64.RawURLEncoding.Strict()

func (a *Authenticator) newNonce(now time.Time) string {
	var raw [nonceRawLen]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(now.UnixNano()))
	rand.Read(raw[8:16])
	a.sign(raw[:16], raw[16:])
	return nonceEncoding.EncodeToString(raw[:])
}

// sign writes the truncated MAC of msg (issued || salt) into out.
func (a *Authenticator) sign(msg, out []byte) {
	m := hmac.New(sha256.New, a.key)
	m.Write(msg)
	m.Write([]byte(a.realm))
	var sum [sha256.Size]byte
	copy(out, m.Sum(sum[:0]))
}

// checkNonce reports whether nonce was issued by this key and realm, and when.
func (a *Authenticator) checkNonce(nonce string) (time.Time, bool) {
	if len(nonce) != nonceLen {
		return time.Time{}, false
	}
	var raw [nonceRawLen]byte
	if n, err := nonceEncoding.Decode(raw[:], []byte(nonce)); err != nil || n != nonceRawLen {
		return time.Time{}, false
	}
	var want [16]byte
	a.sign(raw[:16], want[:])
	if !hmac.Equal(want[:], raw[16:]) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8]))), true
}

// Outcomes of nonceTracker.use.
const (
	useOK = iota
	useReplay
	useStale
)

// nonceTracker remembers the highest nonce count accepted per nonce until
// the nonce expires.
type nonceTracker struct {
	max int

	mu        sync.Mutex
	m         map[string]nonceUse
	floor     int64 // nonces issued at or before this Unix-nano time are stale
	nextPrune time.Time
}

type nonceUse struct {
	issued int64
	nc     uint32
	noQOP  bool // used once without qop: any further use is a replay
}

// use records one authenticated use of nonce and classifies it.
func (t *nonceTracker) use(nonce string, issued time.Time, nc uint32, noQOP bool, now time.Time, ttl time.Duration) int {
	iss := issued.UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	if iss <= t.floor {
		return useStale
	}
	if t.m == nil {
		t.m = make(map[string]nonceUse)
	}
	if !now.Before(t.nextPrune) {
		t.prune(now, ttl)
	}
	if e, ok := t.m[nonce]; ok {
		if e.noQOP || noQOP || nc <= e.nc {
			return useReplay
		}
		e.nc = nc
		t.m[nonce] = e
		return useOK
	}
	if len(t.m) >= t.max {
		t.prune(now, ttl)
		if len(t.m) >= t.max {
			// Forgetting entries would allow replays; instead declare every
			// nonce issued so far stale. Clients simply retry.
			clear(t.m)
			t.floor = max(now.UnixNano(), iss)
			return useStale
		}
	}
	t.m[nonce] = nonceUse{issued: iss, nc: nc, noQOP: noQOP}
	return useOK
}

// prune drops entries whose nonce has expired; it runs under t.mu.
func (t *nonceTracker) prune(now time.Time, ttl time.Duration) {
	cutoff := now.Add(-ttl).UnixNano()
	for k, e := range t.m {
		if e.issued < cutoff {
			delete(t.m, k)
		}
	}
	t.nextPrune = now.Add(ttl / 4)
}
