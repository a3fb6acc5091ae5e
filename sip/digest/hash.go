package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
)

const hexDigits = "0123456789abcdef"

// hashFunc builds the hash of one digest algorithm.
type hashFunc func() hash.Hash

// hashFor returns the hash of a digest algorithm name (upper case).
// The -sess variants are not supported: we never offer them.
func hashFor(alg string) (hashFunc, bool) {
	switch alg {
	case "MD5":
		return md5.New, true
	case "SHA-256":
		return sha256.New, true
	case "SHA-512-256":
		return sha512.New512_256, true
	}
	return nil, false
}

// params are the inputs of a digest response (RFC 7616 §3.4.1).
type params struct {
	username, realm, password string
	method, uri               string
	nonce, cnonce             string
	nc                        uint32
	qop                       bool // qop=auth; false means RFC 2069 style
}

// response computes the lower-case hex request-digest.
func response(newHash hashFunc, p params) []byte {
	h := newHash()
	size := h.Size() * 2
	buf := make([]byte, 0, 3*size)

	buf = hexSum(h, buf, p.username, ":", p.realm, ":", p.password)
	ha1 := buf[:size]
	buf = hexSum(h, buf, p.method, ":", p.uri)
	ha2 := buf[size : 2*size]

	h.Reset()
	h.Write(ha1)
	h.Write([]byte{':'})
	h.Write([]byte(p.nonce))
	if p.qop {
		var nc [9]byte // ":" + 8 lower-case hex digits
		nc[0] = ':'
		for i, v := 8, p.nc; i >= 1; i, v = i-1, v>>4 {
			nc[i] = hexDigits[v&0xf]
		}
		h.Write(nc[:])
		h.Write([]byte{':'})
		h.Write([]byte(p.cnonce))
		h.Write([]byte(":auth"))
	}
	h.Write([]byte{':'})
	h.Write(ha2)
	return hex.AppendEncode(buf[:2*size], h.Sum(nil))[2*size:]
}

// hexSum appends the hex hash of the concatenated parts to buf.
func hexSum(h hash.Hash, buf []byte, parts ...string) []byte {
	h.Reset()
	for _, s := range parts {
		h.Write([]byte(s))
	}
	var sum [64]byte
	return hex.AppendEncode(buf, h.Sum(sum[:0]))
}
