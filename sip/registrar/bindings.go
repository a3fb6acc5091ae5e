package registrar

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Errors returned when a registration update is refused; nothing changes.
var (
	// ErrCSeqOutOfOrder: a binding was last updated by the same Call-ID with
	// an equal or higher CSeq (RFC 3261 §10.3 step 7).
	ErrCSeqOutOfOrder = errors.New("registrar: CSeq not higher than the binding's")
	// ErrTooManyContacts: the device would exceed its contact limit.
	ErrTooManyContacts = errors.New("registrar: too many contacts for the device")
)

// DefaultPruneInterval is how often Run prunes expired bindings when
// Bindings.PruneInterval is zero.
const DefaultPruneInterval = 5 * time.Second

// Bindings stores the contacts of every device. The zero value is ready to
// use; set the exported fields before first use. It is safe for concurrent use.
type Bindings struct {
	// OnChange, if set, is called after every change, outside the lock, on
	// the goroutine that made it. It must not block for long.
	OnChange func(ev Event)
	// Now returns the current time for Run; nil means time.Now.
	Now func() time.Time
	// PruneInterval is how often Run prunes; zero means DefaultPruneInterval.
	PruneInterval time.Duration

	mu      sync.RWMutex
	devices map[string][]Binding
	gruus   map[string]string // gruu key -> device
	n       int
}

// AppendContacts appends the live bindings of device to dst and returns
// the extended slice. It does not allocate when dst has room.
func (b *Bindings) AppendContacts(dst []Binding, device string, now time.Time) []Binding {
	b.mu.RLock()
	list := b.devices[device]
	for i := range list {
		if list[i].Expires.After(now) {
			dst = append(dst, list[i])
		}
	}
	b.mu.RUnlock()
	return dst
}

// updatedBy reports whether a binding of device was last updated by the
// REGISTER with this Call-ID, CSeq and Via branch.
func (b *Bindings) updatedBy(device, callID string, cseq uint32, branch string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for i := range b.devices[device] {
		bd := &b.devices[device][i]
		if bd.CallID == callID && bd.CSeq == cseq && bd.branch == branch {
			return true
		}
	}
	return false
}

// Contacts returns the live bindings of device.
func (b *Bindings) Contacts(device string, now time.Time) []Binding {
	return b.AppendContacts(nil, device, now)
}

// Registered reports whether device has at least one live binding.
func (b *Bindings) Registered(device string, now time.Time) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	list := b.devices[device]
	for i := range list {
		if list[i].Expires.After(now) {
			return true
		}
	}
	return false
}

// All returns every live binding, sorted by device then contact.
func (b *Bindings) All(now time.Time) []Binding {
	b.mu.RLock()
	out := make([]Binding, 0, b.n)
	for _, list := range b.devices {
		for i := range list {
			if list[i].Expires.After(now) {
				out = append(out, list[i])
			}
		}
	}
	b.mu.RUnlock()
	slices.SortFunc(out, func(x, y Binding) int {
		return cmp.Or(cmp.Compare(x.Device, y.Device), cmp.Compare(x.Contact, y.Contact))
	})
	return out
}

// Len returns the number of stored bindings, including expired ones that
// have not been pruned yet.
func (b *Bindings) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.n
}

// ByGRUU returns the live binding a GRUU (RFC 5627) designates: a public
// GRUU (AOR with gr=instance) or a temporary one (gr without value).
func (b *Bindings) ByGRUU(uri sip.Uri, now time.Time) (Binding, bool) {
	key, ok := gruuKeyOf(&uri)
	if !ok {
		return Binding{}, false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	device, ok := b.gruus[key]
	if !ok {
		return Binding{}, false
	}
	list := b.devices[device]
	for i := range list {
		bd := &list[i]
		if bd.Expires.After(now) && (bd.pubKey == key || bd.tempKey == key) {
			return *bd, true
		}
	}
	return Binding{}, false
}

// Prune removes the bindings expired at now, reports them as Expired and
// returns how many were removed.
func (b *Bindings) Prune(now time.Time) int {
	var events []Event
	removed := 0
	b.mu.Lock()
	for device, list := range b.devices {
		if !slices.ContainsFunc(list, func(bd Binding) bool { return !bd.Expires.After(now) }) {
			continue
		}
		keep := list[:0]
		for _, bd := range list {
			if bd.Expires.After(now) {
				keep = append(keep, bd)
				continue
			}
			removed++
			b.unindex(&bd)
			if b.OnChange != nil {
				events = append(events, Event{Type: Expired, Binding: bd})
			}
		}
		clear(list[len(keep):])
		b.store(device, keep)
	}
	b.n -= removed
	b.mu.Unlock()
	b.emit(events)
	return removed
}

// RemoveDevice removes every binding of device (e.g. on an admin action),
// reports them as Removed and returns how many there were.
func (b *Bindings) RemoveDevice(device string) int {
	b.mu.Lock()
	list := b.devices[device]
	for i := range list {
		b.unindex(&list[i])
	}
	delete(b.devices, device)
	b.n -= len(list)
	b.mu.Unlock()
	if b.OnChange != nil {
		for _, bd := range list {
			b.OnChange(Event{Type: Removed, Binding: bd})
		}
	}
	return len(list)
}

// Run prunes expired bindings every PruneInterval until ctx is done.
func (b *Bindings) Run(ctx context.Context) error {
	every := b.PruneInterval
	if every <= 0 {
		every = DefaultPruneInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			now := time.Now()
			if b.Now != nil {
				now = b.Now()
			}
			b.Prune(now)
		}
	}
}

func (b *Bindings) emit(events []Event) {
	if b.OnChange == nil {
		return
	}
	for _, ev := range events {
		b.OnChange(ev)
	}
}

// store sets the bindings of device; it runs under b.mu.
func (b *Bindings) store(device string, list []Binding) {
	if len(list) == 0 {
		delete(b.devices, device)
		return
	}
	if b.devices == nil {
		b.devices = make(map[string][]Binding)
	}
	b.devices[device] = list
}

// index and unindex maintain the GRUU index; they run under b.mu.
func (b *Bindings) index(bd *Binding) {
	if b.gruus == nil {
		b.gruus = make(map[string]string)
	}
	for _, k := range [...]string{bd.pubKey, bd.tempKey} {
		if k != "" {
			b.gruus[k] = bd.Device
		}
	}
}

func (b *Bindings) unindex(bd *Binding) {
	for _, k := range [...]string{bd.pubKey, bd.tempKey} {
		if k != "" && b.gruus[k] == bd.Device {
			delete(b.gruus, k)
		}
	}
}

// gruuKeyOf builds the lookup key of a GRUU: temporary GRUUs are unique by
// user part; public GRUUs by user, host and instance.
func gruuKeyOf(u *sip.Uri) (string, bool) {
	gr, ok := u.UriParams.Get("gr")
	if !ok {
		return "", false
	}
	if gr == "" {
		return "t:" + u.User, true
	}
	return "p:" + u.User + "@" + strings.ToLower(u.Host) + ";" + gr, true
}
