package scenarios

import (
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

// MaxGenerated is the most users a `generate:` section may ask for.
const MaxGenerated = 1_000_000

var (
	generateKeys    = []string{"users", "numbers", "devices", "policyMix", "password", "prefix"}
	genNumbersKeys  = []string{"from", "operator", "country"}
	defaultPolicies = map[string]routing.Preference{"TeamsFirst": routing.PreferTeams, "NativeFirst": routing.PreferNative}
)

// Generate is a tenant's `generate:` section: a large population made
// deterministically. User i (1-based) is Prefix + i zero-padded to 6 digits
// ("g000001"), its devices are "<user>-1", "<user>-2", ... of Kinds in order
// (the first teams-mobile and the first native-dialer share the phone
// "<user>-phone"), and its number is From + i - 1.
type Generate struct {
	Pos
	Users      int
	UsersPos   Pos
	From       string // first number; "" → users get no number
	Operator   string
	Country    string
	NumbersPos Pos
	Kinds      []routing.DeviceKind
	DevicesPos Pos
	PolicyMix  []PolicyShare
	Password   string // "" → the tenant's devicePassword
	Prefix     string // user id prefix, default "g"

	from  uint64 // From's digits
	width int    // digits of From
}

// PolicyShare is one entry of `policyMix:`: the share of generated users
// granted the policy ("Global" means no direct grant).
type PolicyShare struct {
	Pos
	Policy string
	Share  float64
}

// UserID returns the id of generated user i (1-based).
func (g *Generate) UserID(i int) string {
	w := max(6, len(strconv.Itoa(g.Users)))
	b := make([]byte, 0, len(g.Prefix)+w)
	return string(appendPadded(append(b, g.Prefix...), uint64(i), w))
}

// DeviceID returns the id of the k-th device (1-based) of generated user i.
func (g *Generate) DeviceID(i, k int) string { return g.UserID(i) + "-" + strconv.Itoa(k) }

// Number returns the number of generated user i, "" when none are generated.
func (g *Generate) Number(i int) string {
	if g.From == "" {
		return ""
	}
	b := make([]byte, 0, g.width+1)
	return string(appendPadded(append(b, '+'), g.from+uint64(i-1), g.width))
}

// appendPadded appends v in decimal, zero-padded to width digits.
func appendPadded(b []byte, v uint64, width int) []byte {
	var digits [20]byte
	s := strconv.AppendUint(digits[:0], v, 10)
	for n := len(s); n < width; n++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// isDevice reports whether id names a device of the generated population.
func (g *Generate) isDevice(id string) bool {
	if g == nil || !strings.HasPrefix(id, g.Prefix) {
		return false
	}
	user, k, ok := strings.Cut(id[len(g.Prefix):], "-")
	if !ok {
		return false
	}
	i, err1 := strconv.Atoi(user)
	j, err2 := strconv.Atoi(k)
	return err1 == nil && err2 == nil && i >= 1 && i <= g.Users && j >= 1 && j <= len(g.Kinds) &&
		g.DeviceID(i, j) == id
}

// isUser reports whether id names a generated user.
func (g *Generate) isUser(id string) bool {
	if g == nil || !strings.HasPrefix(id, g.Prefix) {
		return false
	}
	i, err := strconv.Atoi(id[len(g.Prefix):])
	return err == nil && i >= 1 && i <= g.Users && g.UserID(i) == id
}

func (d *decoder) parseGenerate(n *yaml.Node, at Pos) *Generate {
	g := &Generate{Pos: at, Prefix: "g"}
	f, ok := d.fields(n, "generate", generateKeys)
	if !ok {
		return nil
	}
	f.require("generate", "users")
	g.UsersPos = f.pos("users")
	g.Users, _ = f.integer("users")
	if g.Users < 0 || g.Users > d.maxGen {
		d.codef(f.v("users"), routing.CodeInvalid, "users: %d is not between 0 and %d", g.Users, d.maxGen)
		g.Users = 0
	}
	g.Password = f.str("password")
	if f.has("prefix") {
		g.Prefix = f.str("prefix")
	}
	if f.has("numbers") {
		g.NumbersPos = f.pos("numbers")
		if nf, ok := d.fields(f.v("numbers"), "numbers", genNumbersKeys); ok {
			nf.require("numbers", "from")
			g.From, g.Operator, g.Country = nf.number("from"), nf.str("operator"), nf.country("country")
			if g.From != "" {
				g.width = len(g.From) - 1
				g.from, _ = strconv.ParseUint(g.From[1:], 10, 64)
				last := g.from + uint64(max(g.Users, 1)-1)
				if len(strconv.FormatUint(last, 10)) > g.width {
					d.codef(nf.v("from"), routing.CodeInvalid, "from: %s + %d users runs past the number's %d digits", g.From, g.Users, g.width)
					g.From = ""
				}
			}
		}
	}
	g.DevicesPos = f.pos("devices")
	for _, k := range f.strs("devices") {
		kind := routing.DeviceKind(k)
		if !kind.Valid() {
			d.codef(f.v("devices"), routing.CodeInvalid, "devices: %q is not one of %s", k, strings.Join(kindNames, ", "))
			continue
		}
		g.Kinds = append(g.Kinds, kind)
	}
	if f.has("policyMix") {
		g.PolicyMix = d.parsePolicyMix(f.v("policyMix"))
	}
	return g
}

func (d *decoder) parsePolicyMix(n *yaml.Node) []PolicyShare {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "policyMix: expected a mapping {policy: share}, got %s", kindName(n))
		return nil
	}
	var out []PolicyShare
	sum := 0.0
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], d.deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "policyMix: a key must be a policy name, got %s", kindName(k))
			continue
		}
		share, ok := d.float(v, "policyMix "+k.Value)
		if !ok {
			continue
		}
		if share < 0 || share > 1 {
			d.codef(v, routing.CodeInvalid, "policyMix %s: share %v is not between 0 and 1", k.Value, share)
			continue
		}
		sum += share
		out = append(out, PolicyShare{Pos: posOf(k), Policy: k.Value, Share: share})
	}
	if len(out) > 0 && math.Abs(sum-1) > 0.001 {
		d.codef(n, routing.CodeInvalid, "policyMix: shares sum to %.4g, not 1", sum)
	}
	return out
}

// policyFor picks the policy of generated user i (0-based) by smooth weighted
// round robin: deterministic, and each policy's count stays within one of
// its share.
type policyPicker struct {
	mix   []PolicyShare
	given []int
}

func (p *policyPicker) next(i int) string {
	if len(p.mix) == 0 {
		return ""
	}
	best, bestDef := 0, math.Inf(-1)
	for j, m := range p.mix {
		if def := m.Share*float64(i+1) - float64(p.given[j]); def > bestDef {
			best, bestDef = j, def
		}
	}
	p.given[best]++
	return p.mix[best].Policy
}

// build adds the generated population to dir.
func (g *Generate) build(b *builder) bool {
	dir := b.dir
	for _, m := range g.PolicyMix {
		if _, ok := dir.MobilityPolicy(m.Policy); ok {
			continue
		}
		pref, ok := defaultPolicies[m.Policy]
		if !ok {
			return b.fail(m.Pos, &routing.Error{Code: routing.CodeNotFound, Object: "mobility policy " + m.Policy,
				Message: "mobility policy " + m.Policy + ": no such mobility policy (define it under policies: mobility:)"})
		}
		if !b.do(m.Pos, dir.NewMobilityPolicy(routing.MobilityPolicy{Identity: m.Policy, MobileDialerPreference: pref,
			Description: "created by generate: policyMix"})) {
			return false
		}
	}
	var ups []routing.Upload
	if g.From != "" {
		op, country := g.Operator, g.Country
		if op == "" || country == "" {
			o, c, ok := b.soleOperator()
			if !ok {
				b.d.errAt(g.NumbersPos, "", nil, "generate numbers: name \"operator\" and \"country\" (the tenant has no single enabled operator country)")
				return false
			}
			if op == "" {
				op = o
			}
			if country == "" {
				country = c
			}
		}
		ups = make([]routing.Upload, g.Users)
		for i := range ups {
			ups[i] = routing.Upload{Number: g.Number(i + 1), Country: country, SIM: true}
		}
		if !b.do(g.NumbersPos, dir.UploadNumbers(op, ups)) {
			return false
		}
	}
	password := g.Password
	if password == "" {
		password = b.t.DevicePassword
	}
	pick := policyPicker{mix: g.PolicyMix, given: make([]int, len(g.PolicyMix))}
	licences := []string{routing.LicensePhoneSystem, routing.LicenseOCM}
	suffixes := make([]string, len(g.Kinds))
	for k := range suffixes {
		suffixes[k] = "-" + strconv.Itoa(k+1)
	}
	upn := make([]byte, 0, 64)
	for i := 1; i <= g.Users; i++ {
		id := g.UserID(i)
		upn = append(append(append(upn[:0], id...), '@'), b.t.Domain...)
		pol := pick.next(i - 1)
		if pol == routing.GlobalPolicy {
			pol = ""
		}
		u := routing.User{ID: id, UPN: string(upn), Licenses: licences, MobilityPolicy: pol}
		if !b.do(g.UsersPos, dir.AddUser(u)) {
			return false
		}
		mobile, native, phone := false, false, ""
		for k, kind := range g.Kinds {
			dev := routing.Device{ID: id + suffixes[k], User: id, Kind: kind, Password: password}
			if kind == routing.TeamsMobile && !mobile || kind == routing.NativeDialer && !native {
				if phone == "" {
					phone = id + "-phone"
				}
				dev.Phone = phone
				mobile, native = mobile || kind == routing.TeamsMobile, native || kind == routing.NativeDialer
			}
			if !b.do(g.DevicesPos, dir.AddDevice(dev)) {
				return false
			}
		}
		if ups != nil && !b.do(g.NumbersPos, dir.AssignNumber(ups[i-1].Number, id)) {
			return false
		}
	}
	return true
}
