package devices

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// pcmu is the RTP/AVP payload type of G.711 µ-law (RFC 3551).
const pcmu = 0

// sdpOffer is what the other side's SDP says about its audio stream.
type sdpOffer struct {
	Addr *net.UDPAddr
}

// buildSDP is a minimal SDP (RFC 4566) for one PCMU 20 ms audio stream at
// addr; small, so a proxied INVITE stays under sipgo's UDP size limit.
func buildSDP(addr *net.UDPAddr, session uint64) []byte {
	ip := addr.IP.String()
	return fmt.Appendf(nil, "v=0\r\no=- %d %d IN IP4 %s\r\ns=ocmsim\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %d\r\na=rtpmap:%d PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n",
		session, session, ip, ip, addr.Port, pcmu, pcmu)
}

// parseSDP reads the connection address and the audio port of an SDP
// body; false when there is no usable PCMU audio stream.
func parseSDP(body []byte) (sdpOffer, bool) {
	if len(body) == 0 {
		return sdpOffer{}, false
	}
	var (
		host     string
		port     int
		hasPCMU  bool
		sc       = bufio.NewScanner(bytes.NewReader(body))
		inAudio  bool
		audioSet bool
	)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "c=IN IP4 ") && (host == "" || inAudio):
			host = strings.TrimSpace(strings.TrimPrefix(line, "c=IN IP4 "))
		case strings.HasPrefix(line, "m="):
			f := strings.Fields(strings.TrimPrefix(line, "m="))
			inAudio = len(f) >= 4 && f[0] == "audio" && !audioSet
			if inAudio {
				audioSet = true
				port, _ = strconv.Atoi(f[1])
				for _, pt := range f[3:] {
					hasPCMU = hasPCMU || pt == strconv.Itoa(pcmu)
				}
			}
		}
	}
	ip := net.ParseIP(host)
	if ip == nil || port <= 0 || port > 65535 || !hasPCMU {
		return sdpOffer{}, false
	}
	return sdpOffer{Addr: &net.UDPAddr{IP: ip, Port: port}}, true
}
