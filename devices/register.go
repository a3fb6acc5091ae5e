package devices

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// RegisterError is a REGISTER the registrar refused.
type RegisterError struct {
	Device string
	Code   int
	Reason string
}

// Error describes the refusal.
func (e *RegisterError) Error() string {
	return fmt.Sprintf("devices: %s: REGISTER refused: %d %s", e.Device, e.Code, e.Reason)
}

// ErrUnauthorized is wrapped by the error of a REGISTER answered 401 (or
// 403) even with credentials.
var ErrUnauthorized = errors.New("devices: credentials refused")

// Unwrap returns ErrUnauthorized for 401, 403 and 407.
func (e *RegisterError) Unwrap() error {
	if e.Code == 401 || e.Code == 403 || e.Code == 407 {
		return ErrUnauthorized
	}
	return nil
}

// registration is a device's REGISTER state; reg.mu serialises REGISTERs.
type registration struct {
	mu       sync.Mutex
	callID   string
	cseq     uint32
	instance string // "<urn:uuid:...>"
}

// Register registers one device (digest auth, Min-Expires retry) and keeps
// it registered: it refreshes before the granted lifetime ends until
// Unregister or Close.
func (f *Fleet) Register(ctx context.Context, id string) error {
	return f.onDevice(ctx, id, (*device).register)
}

// onDevice runs op on device id while the fleet is open.
func (f *Fleet) onDevice(ctx context.Context, id string, op func(*device, context.Context) error) error {
	d, err := f.device(id)
	if err != nil {
		return err
	}
	ctx, done, err := f.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	return op(d, ctx)
}

// Unregister removes one device's binding (Expires: 0) and stops refreshing.
func (f *Fleet) Unregister(ctx context.Context, id string) error {
	return f.onDevice(ctx, id, (*device).unregister)
}

// RegisterAll registers every device except Offline and NoRegister ones,
// a few dozen at a time, and returns every failure joined.
func (f *Fleet) RegisterAll(ctx context.Context) error {
	return f.each(ctx, func(d *device) bool {
		b := d.behaviour()
		return !b.Offline && !b.NoRegister
	}, (*device).register)
}

// SetNetwork changes a device's network ("wifi" or "cellular") and, when
// it is registered, re-registers so the proxy sees the new
// +g.ocm.network tag.
func (f *Fleet) SetNetwork(ctx context.Context, id, network string) error {
	return f.onDevice(ctx, id, func(d *device, ctx context.Context) error {
		d.mu.Lock()
		d.b.Network = network
		registered := d.registered
		d.mu.Unlock()
		if !registered {
			return nil
		}
		return d.register(ctx)
	})
}

// each runs op on the devices keep selects, 64 at a time.
func (f *Fleet) each(ctx context.Context, keep func(*device) bool, op func(*device, context.Context) error) error {
	ctx, done, err := f.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	f.mu.Lock()
	var list []*device
	for _, d := range f.devices {
		if keep(d) {
			list = append(list, d)
		}
	}
	f.mu.Unlock()
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, 64)
	)
	for _, d := range list {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := op(d, ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (d *device) register(ctx context.Context) error {
	d.reg.mu.Lock()
	defer d.reg.mu.Unlock()
	granted, network, err := d.sendRegister(ctx, d.f.cfg.Expires)
	if err != nil {
		d.f.record(Event{Type: RegisterFailed, Device: d.spec.ID, Err: err, Code: codeOf(err)})
		return err
	}
	d.f.record(Event{Type: Registered, Device: d.spec.ID, Expires: granted, Network: network})
	d.mu.Lock()
	first := !d.everRegistered
	d.registered, d.everRegistered = true, true
	d.schedule(&d.refresh, d.f.refreshAfter(granted), d.refreshNow)
	if first && d.b.UnregisterAt > 0 {
		d.schedule(&d.unregTimer, d.b.UnregisterAt, d.unregisterLater)
	}
	d.mu.Unlock()
	return nil
}

func (f *Fleet) refreshAfter(granted time.Duration) time.Duration {
	if f.cfg.RefreshAfter != nil {
		return f.cfg.RefreshAfter(granted)
	}
	return granted / 2
}

// schedule (d.mu held) replaces *t by a timer running fn on a fleet goroutine.
func (d *device) schedule(t **time.Timer, after time.Duration, fn func()) {
	if *t != nil {
		(*t).Stop()
	}
	*t = time.AfterFunc(after, func() { d.f.spawn(fn) })
}

// refreshNow re-registers from the refresh timer.
func (d *device) refreshNow() {
	if !d.isRegistered() {
		return
	}
	ctx, cancel := context.WithTimeout(d.f.life, txTimeout())
	defer cancel()
	if err := d.register(ctx); err != nil && d.f.life.Err() == nil {
		d.f.log.Warn("devices: refresh failed", "device", d.spec.ID, "error", err)
	}
}

// unregisterLater unregisters from the UnregisterAt timer.
func (d *device) unregisterLater() {
	ctx, cancel := context.WithTimeout(d.f.life, txTimeout())
	defer cancel()
	if err := d.unregister(ctx); err != nil && d.f.life.Err() == nil {
		d.f.log.Warn("devices: unregister failed", "device", d.spec.ID, "error", err)
	}
}

// txTimeout bounds a request sent from a timer: sipgo's Timer F.
func txTimeout() time.Duration { return 64 * sip.T1 }

func (d *device) unregister(ctx context.Context) error {
	d.mu.Lock()
	d.registered = false
	if d.refresh != nil {
		d.refresh.Stop()
	}
	d.mu.Unlock()
	d.reg.mu.Lock()
	defer d.reg.mu.Unlock()
	if _, _, err := d.sendRegister(ctx, 0); err != nil {
		d.f.record(Event{Type: RegisterFailed, Device: d.spec.ID, Err: err, Code: codeOf(err)})
		return err
	}
	d.f.record(Event{Type: Unregistered, Device: d.spec.ID})
	return nil
}

func (d *device) isRegistered() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.registered
}

func (d *device) stopTimers() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range []*time.Timer{d.refresh, d.unregTimer} {
		if t != nil {
			t.Stop()
		}
	}
}

// sendRegister sends one REGISTER (reg.mu held), answering a challenge
// and one 423; it returns the granted lifetime and the network tag sent.
func (d *device) sendRegister(ctx context.Context, expires time.Duration) (time.Duration, string, error) {
	network := d.behaviour().Network
	for attempt := 0; ; attempt++ {
		req := d.registerRequest(expires, network)
		res, err := d.f.client.Do(ctx, req)
		if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
			res, err = d.f.client.DoDigestAuth(ctx, req, res,
				sipgo.DigestAuth{Username: d.spec.Username, Password: d.spec.Password})
			d.reg.cseq = req.CSeq().SeqNo // DoDigestAuth incremented it
		}
		if err != nil {
			return 0, network, fmt.Errorf("devices: %s: REGISTER: %w", d.spec.ID, err)
		}
		if res.StatusCode == 423 && attempt == 0 {
			if h := res.GetHeader("Min-Expires"); h != nil {
				if secs, err := strconv.Atoi(h.Value()); err == nil && secs > 0 {
					expires = time.Duration(secs) * time.Second
					continue
				}
			}
		}
		if res.StatusCode != 200 {
			return 0, network, &RegisterError{Device: d.spec.ID, Code: res.StatusCode, Reason: res.Reason}
		}
		return d.granted(res, expires), network, nil
	}
}

func (d *device) registerRequest(expires time.Duration, network string) *sip.Request {
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: d.f.domain})
	aor := sip.Uri{Scheme: "sip", User: d.spec.Username, Host: d.f.domain}
	from := &sip.FromHeader{Address: aor}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	cid := sip.CallIDHeader(d.reg.callID)
	req.AppendHeader(&cid)
	d.reg.cseq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.reg.cseq, MethodName: sip.REGISTER})
	c := &sip.ContactHeader{Address: d.contact}
	c.Params.Add("+sip.instance", `"`+d.reg.instance+`"`)
	if d.spec.Kind != "" {
		c.Params.Add("+g.ocm.kind", `"`+string(d.spec.Kind)+`"`)
	}
	if network != "" {
		c.Params.Add("+g.ocm.network", `"`+network+`"`)
	}
	req.AppendHeader(c)
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	req.AppendHeader(&exp)
	req.SetDestination(d.f.proxy.HostPort())
	return req
}

// granted reads the lifetime of our contact from a 200 OK.
func (d *device) granted(res *sip.Response, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || c.Address.User != d.contact.User || c.Address.Port != d.contact.Port {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if secs, err := strconv.Atoi(v); err == nil {
				return time.Duration(secs) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if secs, err := strconv.Atoi(h.Value()); err == nil {
			return time.Duration(secs) * time.Second
		}
	}
	return asked
}

// instanceID is a stable RFC 4122 name-based (SHA-1) UUID for a device.
func instanceID(id string) string {
	sum := sha1.Sum([]byte("ocmsim-device:" + id))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("<urn:uuid:%x-%x-%x-%x-%x>", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func codeOf(err error) int {
	var re *RegisterError
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}
