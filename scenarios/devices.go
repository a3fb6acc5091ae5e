package scenarios

import (
	"time"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

var (
	behaviourKeys = []string{"register", "ringAfter", "answer", "reject", "offline", "unregisterAt", "realSoftphone",
		"network", "cell", "gps", "subnet", "bssid", "chassis", "port", "publicIP", "confirmedAddress"}
	answerKeys = []string{"after"}
	gpsKeys    = []string{"lat", "lon", "accuracy"}
)

// Answer is how a simulated device answers: never, or after a delay.
type Answer struct {
	Never bool
	After time.Duration
}

// GPS is a device-reported position.
type GPS struct {
	Lat, Lon float64
	Accuracy float64 // metres, 0 when unknown
}

// Behaviour is how a simulated device behaves in a scenario. The zero value
// with Register and Answer.Never set is the built-in default (DefaultBehaviour).
type Behaviour struct {
	Pos
	Register      bool          // registers at the start (default true)
	RingAfter     time.Duration // delay before it sends 180 Ringing
	Answer        Answer
	Reject        int           // SIP code it rejects with (486, 603, 408, 480, 503), 0 none
	Offline       bool          // does not answer anything (not even 100/180)
	UnregisterAt  time.Duration // unregisters this long after the start, 0 never
	RealSoftphone bool          // not simulated: a real softphone registers as this device
	Network       routing.Network
	Where         Whereabouts // what the device reports for emergency calls

	set uint16 // which fields were given, for merging
}

const (
	setRegister uint16 = 1 << iota
	setRingAfter
	setAnswer
	setReject
	setOffline
	setUnregisterAt
	setRealSoftphone
	setNetwork
)

// DefaultBehaviour is how a device behaves when the file says nothing:
// it registers, rings at once and never answers.
func DefaultBehaviour() Behaviour {
	return Behaviour{Register: true, Answer: Answer{Never: true}}
}

// merge returns b with every field given in o applied.
func (b Behaviour) merge(o Behaviour) Behaviour {
	apply := func(bit uint16, f func()) {
		if o.set&bit != 0 {
			f()
		}
	}
	apply(setRegister, func() { b.Register = o.Register })
	apply(setRingAfter, func() { b.RingAfter = o.RingAfter })
	apply(setAnswer, func() { b.Answer = o.Answer })
	apply(setReject, func() { b.Reject = o.Reject })
	apply(setOffline, func() { b.Offline = o.Offline })
	apply(setUnregisterAt, func() { b.UnregisterAt = o.UnregisterAt })
	apply(setRealSoftphone, func() { b.RealSoftphone = o.RealSoftphone })
	apply(setNetwork, func() { b.Network = o.Network })
	b.Where = b.Where.Merge(o.Where)
	b.set |= o.set
	if o.Pos.Line != 0 {
		b.Pos = o.Pos
	}
	return b
}

// Devices is the `devices:` section: a default behaviour and per-device ones.
type Devices struct {
	Default  Behaviour            // DefaultBehaviour with `default:` applied
	ByDevice map[string]Behaviour // as written (not merged with Default)
	Order    []string             // device ids in file order
}

// For returns the behaviour of device id: the built-in default, then
// `default:`, then the device's own entry.
func (ds *Devices) For(id string) Behaviour {
	b := ds.Default
	if ds.Default.set == 0 && ds.Default.Line == 0 {
		b = DefaultBehaviour()
	}
	if own, ok := ds.ByDevice[id]; ok {
		b = b.merge(own)
	}
	return b
}

func (d *decoder) parseDevices(n *yaml.Node, ix *index) Devices {
	ds := Devices{Default: DefaultBehaviour(), ByDevice: map[string]Behaviour{}}
	n = d.deref(n)
	if isNull(n) {
		return ds
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "devices: expected a mapping of device ids, got %s", kindName(n))
		return ds
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "devices: a key must be a device id, got %s", kindName(k))
			continue
		}
		b := d.parseBehaviour(v, ix)
		b.Pos = posOf(k)
		if k.Value == "default" {
			ds.Default = ds.Default.merge(b)
			continue
		}
		if _, dup := ds.ByDevice[k.Value]; dup {
			d.errorf(k, "device %q appears twice", k.Value)
			continue
		}
		if ix != nil && !ix.device(k.Value) {
			d.codef(k, routing.CodeNotFound, "unknown device %q%s", k.Value, didYouMean(k.Value, ix.deviceIDs))
			continue
		}
		ds.ByDevice[k.Value] = b
		ds.Order = append(ds.Order, k.Value)
	}
	return ds
}

func (d *decoder) parseBehaviour(n *yaml.Node, ix *index) Behaviour {
	var b Behaviour
	f, ok := d.fields(n, "device behaviour", behaviourKeys)
	if !ok {
		return b
	}
	mark := func(bit uint16, given bool) {
		if given {
			b.set |= bit
		}
	}
	var given bool
	b.Register, given = f.boolean("register")
	mark(setRegister, given)
	b.RingAfter, given = f.duration("ringAfter")
	mark(setRingAfter, given)
	if f.has("answer") {
		b.Answer, given = d.parseAnswer(f.v("answer"))
		mark(setAnswer, given)
	}
	if f.has("reject") {
		b.Reject, given = f.integer("reject")
		if given && (b.Reject < 400 || b.Reject > 699) {
			d.codef(f.v("reject"), routing.CodeInvalid, "reject: %d is not a SIP failure code (400-699)", b.Reject)
		}
		mark(setReject, given)
	}
	b.Offline, given = f.boolean("offline")
	mark(setOffline, given)
	b.UnregisterAt, given = f.duration("unregisterAt")
	mark(setUnregisterAt, given)
	b.RealSoftphone, given = f.boolean("realSoftphone")
	mark(setRealSoftphone, given)
	if s := f.strIn("network", string(routing.Wifi), string(routing.Cellular)); s != "" {
		b.Network = routing.Network(s)
		mark(setNetwork, true)
	}
	b.Where = d.parseWhere(f, ix)
	return b
}

// parseAnswer accepts `never`, a duration, or {after: duration}.
func (d *decoder) parseAnswer(n *yaml.Node) (Answer, bool) {
	if n.Kind == yaml.ScalarNode && n.Value == "never" {
		return Answer{Never: true}, true
	}
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		if after, err := time.ParseDuration(n.Value); err == nil && after >= 0 {
			return Answer{After: after}, true
		}
		d.errorf(n, "answer: %q is not never, a duration like 300ms, or {after: 300ms}", n.Value)
		return Answer{}, false
	}
	f, ok := d.fields(n, "answer", answerKeys)
	if !ok {
		return Answer{}, false
	}
	f.require("answer", "after")
	after, ok := f.duration("after")
	return Answer{After: after}, ok
}
