package devices

import (
	"context"
	"errors"
	"fmt"

	"github.com/emiago/sipgo/sip"

	"ocmsim/internal/uatx"
)

// Cancel cancels the call while no final response has come: it sends
// CANCEL now if a provisional arrived, else as soon as one does.
func (c *Call) Cancel(ctx context.Context) error {
	c.mu.Lock()
	if c.final != 0 {
		c.mu.Unlock()
		return fmt.Errorf("devices: cancel %s: %w (final %d)", c.ID, ErrCallEnded, c.final)
	}
	c.cancelWant = true
	now := c.provisional && !c.cancelSent
	c.cancelSent = c.cancelSent || now
	c.mu.Unlock()
	if !now {
		return nil
	}
	ctx, done, err := c.f.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	return c.sendCancel(ctx)
}

// sendCancel sends the CANCEL (RFC 3261 §9.1) and records its status.
func (c *Call) sendCancel(ctx context.Context) error {
	r := sip.NewRequest(sip.CANCEL, *c.req.Recipient.Clone())
	r.AppendHeader(sip.HeaderClone(c.req.Via()))
	r.AppendHeader(sip.HeaderClone(c.req.From()))
	r.AppendHeader(sip.HeaderClone(c.req.To()))
	r.AppendHeader(sip.HeaderClone(c.req.CallID()))
	r.AppendHeader(&sip.CSeqHeader{SeqNo: c.req.CSeq().SeqNo, MethodName: sip.CANCEL})
	r.SetDestination(c.f.proxy.HostPort())
	res, err := c.f.client.Do(ctx, r)
	e := Event{Type: CancelSent, Err: err}
	if err == nil {
		e.Code, e.Reason = res.StatusCode, res.Reason
	}
	c.record(e)
	if err != nil {
		return fmt.Errorf("devices: CANCEL %s: %w", c.ID, err)
	}
	return nil
}

// Hangup ends the call: BYE on every answered dialog, or CANCEL while it
// is still ringing. Media stops; MediaEnded is recorded.
func (c *Call) Hangup(ctx context.Context) error {
	c.mu.Lock()
	c.hungUp = true
	var open []*dialog
	for _, d := range c.dialogs {
		if !d.ended {
			open = append(open, d)
		}
	}
	ringing := len(c.dialogs) == 0 && c.final == 0
	c.mu.Unlock()
	if ringing {
		return c.Cancel(ctx)
	}
	c.stopMedia()
	ctx, done, err := c.f.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	var errs []error
	for _, d := range open {
		errs = append(errs, c.bye(ctx, d))
	}
	return errors.Join(errs...)
}

// bye hangs one dialog up.
func (c *Call) bye(ctx context.Context, d *dialog) error {
	c.mu.Lock()
	if d.ended {
		c.mu.Unlock()
		return nil
	}
	d.ended = true
	r := c.inDialog(d, sip.BYE)
	c.mu.Unlock()
	res, err := c.f.client.Do(ctx, r)
	e := Event{Type: ByeSent, ToTag: d.tag, Err: err}
	if err == nil {
		e.Code, e.Reason = res.StatusCode, res.Reason
	}
	c.record(e)
	if err != nil {
		return fmt.Errorf("devices: BYE %s (%s): %w", c.ID, d.tag, err)
	}
	return nil
}

// onBye ends the dialog a device hung up; false if none matches.
func (c *Call) onBye(req *sip.Request, tx *uatx.ServerTx) bool {
	tag := tagOf(req.From().Params)
	c.mu.Lock()
	var d *dialog
	for _, x := range c.dialogs {
		if x.tag == tag {
			d = x
		}
	}
	if d != nil {
		d.ended, d.remoteBye = true, true
	}
	media := d != nil && tag == c.mediaTag
	c.mu.Unlock()
	if d == nil {
		return false
	}
	respond(tx, 200, "OK")
	c.record(Event{Type: ByeReceived, ToTag: tag})
	if media {
		c.stopMedia()
	}
	return true
}

// stopMedia ends the caller's RTP session once and records its stats.
func (c *Call) stopMedia() {
	c.mu.Lock()
	m := c.media
	started := c.mediaTag != ""
	c.media = nil
	c.mu.Unlock()
	if m == nil {
		return
	}
	st := m.close()
	c.mu.Lock()
	c.mediaStats = st
	c.mu.Unlock()
	if started {
		c.record(Event{Type: MediaEnded, ToTag: c.mediaTag, Media: st})
	}
}

func (c *Call) closeMedia() {
	if c.media != nil {
		c.media.close()
	}
}

// Media returns what the caller received, once media ended (Hangup or a
// BYE from the device); false before.
func (c *Call) Media() (MediaStats, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mediaStats == nil {
		return MediaStats{}, false
	}
	return *c.mediaStats, true
}

// terminate stops the call without signalling (Close).
func (c *Call) terminate() {
	c.mu.Lock()
	tx := c.tx
	c.mu.Unlock()
	if tx != nil {
		tx.Terminate()
	}
	c.stopMedia()
}
