package scenarios

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

// stepParser carries what later steps may refer to.
type stepParser struct {
	d     *decoder
	ix    *index
	calls []string // call ids defined so far
}

func (d *decoder) parseSteps(n *yaml.Node, ix *index) []Step {
	sp := &stepParser{d: d, ix: ix}
	var out []Step
	for i, it := range d.items(n, "steps") {
		if s, ok := sp.step(it, i); ok {
			out = append(out, s)
		}
	}
	return out
}

func (sp *stepParser) step(n *yaml.Node, i int) (Step, bool) {
	d := sp.d
	s := Step{Pos: posOf(n), Index: i}
	before := len(*d.errs)
	f, ok := d.fields(n, "step", stepKeys)
	if !ok {
		return s, false
	}
	misspelt := len(*d.errs) > before
	s.Name = f.str("name")
	var action string
	for _, k := range f.keys {
		if !contains(actionKeys, k) {
			continue
		}
		if action != "" {
			d.errorf(f.key[k], "step: %q and %q in one step: a step takes exactly one action", action, k)
			continue
		}
		action = k
	}
	if action == "" {
		if misspelt { // the unknown key was most likely the action
			return s, false
		}
		d.errorf(f.node, "step: no action (one of %s)", strings.Join(actionKeys, ", "))
		return s, false
	}
	s.Action = sp.action(action, f.v(action), i)
	if f.has("expect") {
		if action == "admin" || action == "ps" {
			d.errorf(f.key["expect"], "expect: not for %s steps (use expectError or expectOutput)", action)
		} else {
			s.Expect = sp.expect(f.v("expect"))
		}
	}
	if f.has("expectError") {
		code := f.str("expectError")
		if !validCode(code) {
			d.errorf(f.v("expectError"), "expectError: unknown error code %q%s", code, didYouMean(code, codeNames()))
		}
		s.ExpectError = routing.Code(code)
	}
	if f.has("expectOutput") {
		if action != "ps" {
			d.errorf(f.key["expectOutput"], "expectOutput: only for ps: steps")
		} else {
			s.ExpectOutput = d.parseOutput(f.v("expectOutput"))
		}
	}
	return s, s.Action != nil
}

func validCode(c string) bool {
	for _, k := range routing.Codes {
		if string(k) == c {
			return true
		}
	}
	return false
}

func codeNames() []string {
	out := make([]string, len(routing.Codes))
	for i, c := range routing.Codes {
		out[i] = string(c)
	}
	return out
}

func (sp *stepParser) action(kind string, n *yaml.Node, i int) Action {
	switch kind {
	case "call":
		return sp.call(n, i)
	case "wait":
		return sp.wait(n)
	case "answer":
		return sp.answer(n)
	case "reject":
		return sp.reject(n)
	case "hangup":
		return sp.hangup(n)
	case "cancel":
		return sp.cancel(n)
	case "register":
		return &RegisterStep{Devices: sp.deviceList(n, "register")}
	case "unregister":
		return &UnregisterStep{Devices: sp.deviceList(n, "unregister")}
	case "network":
		return sp.network(n)
	case "admin":
		return sp.admin(n)
	case "ps":
		return sp.ps(n)
	case "sleep":
		dur, _ := sp.d.duration(n, "sleep")
		return &SleepStep{Duration: dur}
	case "emergency":
		return sp.emergency(n, i)
	}
	return nil
}

// defineCall records a new call id.
func (sp *stepParser) defineCall(id string, at *yaml.Node, i int) string {
	if id == "" {
		id = fmt.Sprintf("call-%d", i+1)
	}
	if contains(sp.calls, id) {
		sp.d.errorf(at, "call id %q is already used by an earlier step", id)
	}
	sp.calls = append(sp.calls, id)
	return id
}

// callRef checks a reference to a call; "" means the latest call.
func (sp *stepParser) callRef(f *fields, what string) string {
	id := f.str("call")
	if id == "" {
		if len(sp.calls) == 0 {
			sp.d.errorf(f.node, "%s: no call to refer to (place one with a call: step first)", what)
			return ""
		}
		return sp.calls[len(sp.calls)-1]
	}
	if !contains(sp.calls, id) {
		known := "none"
		if len(sp.calls) > 0 {
			known = strings.Join(sp.calls, ", ")
		}
		sp.d.codef(f.v("call"), routing.CodeNotFound, "%s: unknown call %q (calls defined so far: %s)", what, id, known)
	}
	return id
}

// deviceRef checks a device id.
func (sp *stepParser) deviceRef(n *yaml.Node, id, what string) bool {
	if id == "" || sp.ix == nil || sp.ix.device(id) {
		return true
	}
	sp.d.codef(n, routing.CodeNotFound, "%s: unknown device %q%s", what, id, didYouMean(id, sp.ix.deviceIDs))
	return false
}

// deviceList reads a device id, a list of them, or {devices: [...]}.
func (sp *stepParser) deviceList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.MappingNode {
		f, _ := sp.d.fields(n, what, devicesKeys)
		f.require(what, "devices")
		n = f.v("devices")
	}
	list := sp.d.strs(n, what)
	for _, id := range list {
		sp.deviceRef(n, id, what)
	}
	return list
}

func (sp *stepParser) call(n *yaml.Node, i int) Action {
	c := &CallStep{}
	f, ok := sp.d.fields(n, "call", callKeys)
	if !ok {
		return nil
	}
	f.require("call", "from", "to")
	c.From = f.str("from")
	if c.From != "" {
		if strings.HasPrefix(c.From, "+") {
			c.From = f.number("from")
		} else {
			c.FromDevice = true
			sp.deviceRef(f.v("from"), c.From, "call from")
		}
	}
	c.To = f.number("to")
	c.Trunk = f.str("trunk")
	if c.Trunk != "" && sp.ix != nil && !sp.ix.trunks[c.Trunk] {
		sp.d.codef(f.v("trunk"), routing.CodeNotFound, "trunk: unknown trunk %q", c.Trunk)
	}
	c.FMC, _ = f.boolean("fmc")
	c.ID = sp.defineCall(f.str("id"), f.node, i)
	return c
}

func (sp *stepParser) wait(n *yaml.Node) Action {
	w := &WaitStep{}
	f, ok := sp.d.fields(n, "wait", waitKeys)
	if !ok {
		return nil
	}
	f.require("wait", "for")
	w.Call = sp.callRef(f, "wait")
	w.For = f.strIn("for", waitFor...)
	w.Timeout, _ = f.duration("timeout")
	return w
}

// deviceAction reads {call, device} or a bare device id (the latest call).
func (sp *stepParser) deviceAction(n *yaml.Node, what string, keys []string) (*fields, string, string, bool) {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		f := &fields{d: sp.d, node: n, val: map[string]*yaml.Node{}, key: map[string]*yaml.Node{}}
		sp.deviceRef(n, n.Value, what)
		return f, sp.callRef(f, what), n.Value, true
	}
	f, ok := sp.d.fields(n, what, keys)
	if !ok {
		return f, "", "", false
	}
	f.require(what, "device")
	dev := f.str("device")
	sp.deviceRef(f.v("device"), dev, what)
	return f, sp.callRef(f, what), dev, true
}

func (sp *stepParser) answer(n *yaml.Node) Action {
	_, call, dev, ok := sp.deviceAction(n, "answer", answerStepKeys)
	if !ok {
		return nil
	}
	return &AnswerStep{Call: call, Device: dev}
}

func (sp *stepParser) reject(n *yaml.Node) Action {
	f, call, dev, ok := sp.deviceAction(n, "reject", rejectKeys)
	if !ok {
		return nil
	}
	r := &RejectStep{Call: call, Device: dev, Code: 486}
	if code, given := f.integer("code"); given {
		if code < 400 || code > 699 {
			sp.d.codef(f.v("code"), routing.CodeInvalid, "code: %d is not a SIP failure code (400-699)", code)
		}
		r.Code = code
	}
	return r
}

func (sp *stepParser) hangup(n *yaml.Node) Action {
	if n.Kind == yaml.ScalarNode || isNull(n) {
		f := &fields{d: sp.d, node: n, val: map[string]*yaml.Node{"call": n}, key: map[string]*yaml.Node{"call": n}}
		return &HangupStep{Call: sp.callRef(f, "hangup"), By: "caller"}
	}
	f, ok := sp.d.fields(n, "hangup", hangupKeys)
	if !ok {
		return nil
	}
	h := &HangupStep{Call: sp.callRef(f, "hangup"), By: f.str("by")}
	switch h.By {
	case "":
		h.By = "caller"
	case "caller", "callee":
	default:
		sp.deviceRef(f.v("by"), h.By, "hangup by")
	}
	return h
}

func (sp *stepParser) cancel(n *yaml.Node) Action {
	if n.Kind == yaml.ScalarNode || isNull(n) {
		f := &fields{d: sp.d, node: n, val: map[string]*yaml.Node{"call": n}, key: map[string]*yaml.Node{"call": n}}
		return &CancelStep{Call: sp.callRef(f, "cancel")}
	}
	f, ok := sp.d.fields(n, "cancel", cancelKeys)
	if !ok {
		return nil
	}
	return &CancelStep{Call: sp.callRef(f, "cancel")}
}

func (sp *stepParser) network(n *yaml.Node) Action {
	f, ok := sp.d.fields(n, "network", networkKeys)
	if !ok {
		return nil
	}
	f.require("network", "device")
	ns := &NetworkStep{Device: f.str("device"), Network: routing.Network(f.strIn("network", string(routing.Wifi), string(routing.Cellular))),
		Where: sp.d.parseWhere(f, sp.ix)}
	sp.deviceRef(f.v("device"), ns.Device, "network")
	return ns
}

func (sp *stepParser) emergency(n *yaml.Node, i int) Action {
	f, ok := sp.d.fields(n, "emergency", emergencyKeys)
	if !ok {
		return nil
	}
	f.require("emergency", "from", "dial")
	e := &EmergencyStep{From: f.str("from"), Dial: f.str("dial")}
	sp.deviceRef(f.v("from"), e.From, "emergency from")
	if e.Dial != "" && strings.Trim(e.Dial, "0123456789") != "" {
		sp.d.codef(f.v("dial"), routing.CodeInvalid, "dial: %q is not a dial string of digits like \"911\"", e.Dial)
	}
	e.ID = sp.defineCall(f.str("id"), f.node, i)
	return e
}
