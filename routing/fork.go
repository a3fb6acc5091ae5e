package routing

// Why says why a device rings or does not.
type Why uint8

// Reasons a device rings, then reasons it does not.
const (
	WhyUnknown Why = iota
	WhyPreferredTeams
	WhyPreferredNative
	WhyFallback
	WhyOtherEndpoint
	WhyFMCNative

	WhyOtherApp
	WhyNotRegistered
	WhyWifiOnly
	WhyFMCTeams
	WhyFallbackOff
)

var whyText = [...]struct{ code, text string }{
	WhyUnknown:         {"unknown", "unknown"},
	WhyPreferredTeams:  {"preferred-teams", "Teams app of the SIM phone: Teams is the preferred dialer"},
	WhyPreferredNative: {"preferred-native", "native dialer of the SIM phone: Native is the preferred dialer"},
	WhyFallback:        {"fallback", "fallback: the preferred app of the same phone cannot ring"},
	WhyOtherEndpoint:   {"other-endpoint", "other Teams endpoint: rings simultaneously"},
	WhyFMCNative:       {"fmc-native", "X-MS-FMC call: delivered natively only"},
	WhyOtherApp:        {"other-app", "other app of the same phone: never rings with the preferred one"},
	WhyNotRegistered:   {"not-registered", "not registered"},
	WhyWifiOnly:        {"wifi-only", "on cellular data under IPAudioMobileMode WifiOnly"},
	WhyFMCTeams:        {"fmc-teams", "X-MS-FMC call: not looped back through Teams"},
	WhyFallbackOff:     {"fallback-off", "the preferred app cannot ring and fallback is off"},
}

// String is the sentence an engineer reads.
func (w Why) String() string {
	if int(w) < len(whyText) {
		return whyText[w].text
	}
	return "unknown"
}

// Code is a short stable name, used in JSON.
func (w Why) Code() string {
	if int(w) < len(whyText) {
		return whyText[w].code
	}
	return "unknown"
}

// MarshalText writes the code.
func (w Why) MarshalText() ([]byte, error) { return []byte(w.Code()), nil }

// fork fills the targets and skipped devices of u.
func (d *Directory) fork(dst *Decision, u *User, c Call, r Reachability) {
	devs := u.devs
	for i, dev := range devs {
		if !onPhone(dev) {
			d.other(dst, dev, c, r)
			continue
		}
		if seenPhone(devs[:i], dev.Phone) {
			continue
		}
		teams, native := phoneApps(devs, dev)
		d.phone(dst, teams, native, c, r)
	}
}

// onPhone reports whether dev is one of the two apps of a SIM smartphone:
// a native dialer always is; a Teams app is when it names its phone.
func onPhone(dev *Device) bool {
	return dev.Kind == NativeDialer || (dev.Kind == TeamsMobile && dev.Phone != "")
}

// seenPhone reports whether one of before is an app of phone.
func seenPhone(before []*Device, phone string) bool {
	if phone == "" {
		return false
	}
	for _, dev := range before {
		if onPhone(dev) && dev.Phone == phone {
			return true
		}
	}
	return false
}

// phoneApps returns the Teams app and the native dialer of dev's phone among devs.
func phoneApps(devs []*Device, dev *Device) (teams, native *Device) {
	if dev.Phone == "" {
		return nil, dev
	}
	for _, o := range devs {
		if o.Phone != dev.Phone {
			continue
		}
		switch o.Kind {
		case TeamsMobile:
			teams = o
		case NativeDialer:
			native = o
		}
	}
	return teams, native
}

// canRing returns WhyUnknown when dev can ring, else why not.
func (dst *Decision) canRing(dev *Device, c Call, r Reachability) Why {
	if c.FMC && dev.Kind.Teams() {
		return WhyFMCTeams
	}
	reach := r.Reach(dev.ID)
	if !reach.Registered {
		return WhyNotRegistered
	}
	if dev.Kind == TeamsMobile && dst.IPAudio == WifiOnly && reach.Network == Cellular {
		return WhyWifiOnly
	}
	return WhyUnknown
}

func (dst *Decision) ring(dev *Device, why Why, fallback string) {
	dst.Targets = append(dst.Targets, Target{Device: dev.ID, Kind: dev.Kind, Why: why, Fallback: fallback})
}

func (dst *Decision) skip(dev *Device, why Why) {
	dst.Skipped = append(dst.Skipped, Skip{Device: dev.ID, Kind: dev.Kind, Why: why})
}

// other handles a Teams endpoint that is not an app of the SIM phone.
func (d *Directory) other(dst *Decision, dev *Device, c Call, r Reachability) {
	if why := dst.canRing(dev, c, r); why != WhyUnknown {
		dst.skip(dev, why)
		return
	}
	dst.ring(dev, WhyOtherEndpoint, "")
}

// phone rings the preferred app of one SIM phone, or the other one as a
// fallback; never both.
func (d *Directory) phone(dst *Decision, teams, native *Device, c Call, r Reachability) {
	pref, other, prefWhy := teams, native, WhyPreferredTeams
	if dst.Dialer == PreferNative || c.FMC {
		pref, other, prefWhy = native, teams, WhyPreferredNative
	}
	if c.FMC {
		prefWhy = WhyFMCNative
	}
	whyPref, whyOther := WhyNotRegistered, WhyNotRegistered
	if pref != nil {
		whyPref = dst.canRing(pref, c, r)
	}
	if other != nil {
		whyOther = dst.canRing(other, c, r)
	}
	if pref != nil && whyPref == WhyUnknown {
		fallback := ""
		if other != nil && whyOther == WhyUnknown && !d.NoFallback {
			fallback = other.ID
		}
		dst.ring(pref, prefWhy, fallback)
		switch {
		case other == nil:
		case c.FMC:
			dst.skip(other, WhyFMCTeams)
		default:
			dst.skip(other, WhyOtherApp)
		}
		return
	}
	if pref != nil {
		dst.skip(pref, whyPref)
	}
	switch {
	case other == nil:
	case whyOther != WhyUnknown:
		dst.skip(other, whyOther)
	case d.NoFallback:
		dst.skip(other, WhyFallbackOff)
	default:
		dst.ring(other, WhyFallback, "")
		dst.Fallback = true
	}
}
