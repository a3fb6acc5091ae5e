package digest

import (
	"testing"
)

func FuzzVerify(f *testing.F) {
	a, _ := newTestAuth()
	chal := a.Challenge(false)
	f.Add(answer(f, chal[0], "REGISTER", uri, "alice", "secret", 1))
	f.Add(answer(f, chal[1], "REGISTER", uri, "bob", "hunter2", 7))
	f.Add(`Digest username="alice", realm="ocm.test", nonce="x", uri="sip:a", response="00"`)
	f.Add(`Digest realm="ocm.test", qop=auth, nc=ffffffff`)
	f.Add(`Digest userhash=true, username="", algorithm=MD5-sess`)
	f.Add(`Basic abc`)
	f.Add(`Digest ,,,=""\`)
	f.Fuzz(func(t *testing.T, header string) {
		user, res := a.Verify("REGISTER", header, lookup)
		if res == OK && user == "" {
			t.Fatalf("OK without a username for %q", header)
		}
	})
}

func BenchmarkVerifyDigest(b *testing.B) {
	for _, alg := range []string{"MD5", "SHA-256"} {
		b.Run(alg, func(b *testing.B) {
			a, _ := newTestAuth(alg)
			ch := a.Challenge(false)[0]
			headers := make([]string, 0, 1024)
			for nc := 1; nc <= cap(headers); nc++ {
				headers = append(headers, answer(b, ch, "REGISTER", uri, "alice", "secret", nc))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i%len(headers) == 0 && i > 0 {
					b.StopTimer()
					ch = a.Challenge(false)[0]
					for j := range headers {
						headers[j] = answer(b, ch, "REGISTER", uri, "alice", "secret", j+1)
					}
					b.StartTimer()
				}
				if _, res := a.Verify("REGISTER", headers[i%len(headers)], lookup); res != OK {
					b.Fatalf("Verify = %v", res)
				}
			}
		})
	}
}
