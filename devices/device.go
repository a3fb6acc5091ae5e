package devices

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/uatx"
)

// device is one simulated user agent of a fleet.
type device struct {
	f       *Fleet
	spec    Spec
	contact sip.Uri
	reg     registration

	mu             sync.Mutex
	b              Behaviour
	registered     bool
	everRegistered bool
	refresh        *time.Timer
	unregTimer     *time.Timer
	legs           map[string]*leg // live incoming calls by Call-ID
}

func newDevice(f *Fleet, s Spec) *device {
	return &device{f: f, spec: s, b: s.Behaviour,
		contact: sip.Uri{Scheme: "sip", User: s.Username, Host: f.host, Port: f.port},
		reg:     registration{callID: sip.GenerateTagN(16) + "@" + f.host, instance: instanceID(s.ID)},
		legs:    map[string]*leg{}}
}

func (d *device) behaviour() Behaviour {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.b
}

// SetBehaviour replaces a device's behaviour for the calls that arrive
// from now on (its Network is kept: use SetNetwork).
func (f *Fleet) SetBehaviour(id string, b Behaviour) error {
	d, err := f.device(id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	b.Network = d.b.Network
	d.b = b
	d.mu.Unlock()
	return nil
}

// Answer makes a device answer (200 OK) the ringing call with this
// Call-ID now, whatever its behaviour; wait for the Answered event.
func (f *Fleet) Answer(id, callID string) error { return f.command(id, callID, 200) }

// Reject makes a device refuse the ringing call with this Call-ID with
// code (4xx-6xx) now; wait for the Rejected event.
func (f *Fleet) Reject(id, callID string, code int) error {
	if code < 300 || code > 699 {
		return fmt.Errorf("devices: reject code %d is not 300-699", code)
	}
	return f.command(id, callID, code)
}

func (f *Fleet) command(id, callID string, code int) error {
	d, err := f.device(id)
	if err != nil {
		return err
	}
	l := d.leg(callID)
	if l == nil {
		return fmt.Errorf("devices: %s has no call %q", id, callID)
	}
	select {
	case l.cmds <- code:
		return nil
	default:
		return fmt.Errorf("devices: %s: call %q already has a pending answer or rejection", id, callID)
	}
}

// Hangup makes a device hang up its answered call with this Call-ID (BYE
// along the INVITE's Record-Route); it returns once the BYE is answered.
func (f *Fleet) Hangup(ctx context.Context, id, callID string) error {
	return f.onDevice(ctx, id, func(d *device, ctx context.Context) error {
		l := d.leg(callID)
		if l == nil {
			return fmt.Errorf("devices: %s has no call %q", id, callID)
		}
		return l.hangup(ctx)
	})
}

func (d *device) leg(callID string) *leg {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.legs[callID]
}

// onInvite runs one incoming call on the goroutine the fleet started for
// the INVITE; the transaction is released when it returns.
func (d *device) onInvite(req *sip.Request, tx *uatx.ServerTx) {
	b := d.behaviour()
	if b.Offline {
		return
	}
	l := newLeg(d, req, tx)
	d.mu.Lock()
	d.legs[l.id] = l
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		if d.legs[l.id] == l {
			delete(d.legs, l.id)
		}
		d.mu.Unlock()
	}()
	ev := Event{Type: InviteReceived, Device: d.spec.ID, CallID: l.id, ToTag: l.tag, Request: req}
	if d.spec.Kind == PSAP {
		l.emergency = ParseEmergency(req)
		ev.Emergency = l.emergency
	}
	d.f.record(ev)
	if !tx.OnCancel(l.onCancel) {
		l.recordCancel(nil)
		return
	}
	l.run(b)
}

// onReinvite answers a re-INVITE of a live call with the same session.
func (d *device) onReinvite(req *sip.Request, tx *uatx.ServerTx) {
	l := d.leg(callID(req))
	if l == nil || tagOf(req.To().Params) != l.tag {
		respond(tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	l.mu.Lock()
	body := l.sdp
	l.mu.Unlock()
	_, _ = tx.Reply(l.reply(200, "OK", body))
}

func (d *device) onAck(req *sip.Request) {
	if l := d.leg(callID(req)); l != nil && tagOf(req.To().Params) == l.tag {
		l.ackOnce.Do(func() {
			close(l.acked)
			d.f.record(Event{Type: AckReceived, Device: d.spec.ID, CallID: l.id, ToTag: l.tag})
		})
	}
}

// onBye ends a live call the other side hung up; false if none matches.
func (d *device) onBye(req *sip.Request, tx *uatx.ServerTx) bool {
	l := d.leg(callID(req))
	if l == nil || tagOf(req.To().Params) != l.tag {
		return false
	}
	respond(tx, 200, "OK")
	d.f.record(Event{Type: ByeReceived, Device: d.spec.ID, CallID: l.id, ToTag: l.tag})
	l.end()
	return true
}

// completedElsewhere reports whether a CANCEL's Reason headers say the
// call was answered elsewhere (RFC 3326 protocol SIP, cause 200).
func completedElsewhere(reasons []string) bool {
	for _, r := range reasons {
		v := strings.ToLower(strings.ReplaceAll(r, " ", ""))
		if strings.HasPrefix(v, "sip;") && strings.Contains(v+";", ";cause=200;") {
			return true
		}
	}
	return false
}

var errNotAnswered = errors.New("devices: the call is not answered")
