package registrar

import (
	"slices"
	"time"
)

// update is the whole binding change requested by one REGISTER.
type update struct {
	device   string
	callID   string
	cseq     uint32
	branch   string // top Via branch: a retransmission repeats it
	wildcard bool   // Contact: * with Expires: 0
	contacts []change
	// maxContacts limits the device's bindings (0: unlimited).
	maxContacts int
	// tempGRUU mints a temporary GRUU and its index key (nil: none).
	tempGRUU func() (gruu, key string)
}

// change is one Contact of the REGISTER: the binding, ready but for the
// times and temporary GRUU, and its lifetime (0 removes it).
type change struct {
	b   Binding
	ttl time.Duration
}

// apply commits u atomically (RFC 3261 §10.3: all updates or none) and
// returns the device's live bindings afterwards.
func (b *Bindings) apply(u *update, now time.Time) ([]Binding, error) {
	var events []Event
	b.mu.Lock()
	cur := b.devices[u.device]
	next := make([]Binding, 0, len(cur)+len(u.contacts))
	var dropped []Binding // leave the store: expired, removed or replaced
	for _, bd := range cur {
		if bd.Expires.After(now) {
			next = append(next, bd)
		} else {
			dropped = append(dropped, bd)
			events = append(events, Event{Type: Expired, Binding: bd})
		}
	}
	live := len(next)

	// Step 7: the same Call-ID must come with a higher CSeq, unless the
	// request is a retransmission of the one that last updated the binding
	// (same CSeq and Via branch): the REGISTER transaction is not kept after
	// the answer (see Registrar.HandleRegister), so the registrar answers it
	// again, as the transaction would have.
	stale := func(old *Binding) bool {
		retransmission := u.cseq == old.CSeq && u.branch != "" && u.branch == old.branch
		return old.CallID == u.callID && u.cseq <= old.CSeq && !retransmission
	}
	if u.wildcard && slices.ContainsFunc(next, func(bd Binding) bool { return stale(&bd) }) {
		b.mu.Unlock()
		return nil, ErrCSeqOutOfOrder
	}
	for i := range u.contacts {
		if j := find(next, &u.contacts[i].b); j >= 0 && stale(&next[j]) {
			b.mu.Unlock()
			return nil, ErrCSeqOutOfOrder
		}
	}

	if u.wildcard {
		for _, bd := range next {
			dropped = append(dropped, bd)
			events = append(events, Event{Type: Removed, Binding: bd})
		}
		next = next[:0]
	}
	for i := range u.contacts {
		c := &u.contacts[i]
		j := find(next, &c.b)
		if c.ttl <= 0 {
			if j >= 0 {
				dropped = append(dropped, next[j])
				events = append(events, Event{Type: Removed, Binding: next[j]})
				next = slices.Delete(next, j, j+1)
			}
			continue
		}
		nb := c.b
		nb.Registered, nb.Expires = now, now.Add(c.ttl)
		typ := Registered
		if j >= 0 {
			old := &next[j]
			typ = Refreshed
			nb.Registered = old.Registered
			if nb.Instance != "" && old.CallID == nb.CallID {
				// RFC 5627 §5.4: temporary GRUUs live as long as the Call-ID.
				nb.TempGRUU, nb.tempKey = old.TempGRUU, old.tempKey
			}
			dropped = append(dropped, *old)
		}
		if nb.Instance != "" && nb.TempGRUU == "" && u.tempGRUU != nil {
			nb.TempGRUU, nb.tempKey = u.tempGRUU()
		}
		if j >= 0 {
			next[j] = nb
		} else {
			next = append(next, nb)
		}
		events = append(events, Event{Type: typ, Binding: nb})
	}
	if u.maxContacts > 0 && len(next) > u.maxContacts && len(next) > live {
		b.mu.Unlock()
		return nil, ErrTooManyContacts
	}

	for i := range dropped {
		b.unindex(&dropped[i])
	}
	for i := range next {
		b.index(&next[i])
	}
	b.n += len(next) - len(cur)
	// Store an exact-size copy: next has room for the old and the new
	// contacts, which after a refresh would double the store's memory.
	stored := make([]Binding, len(next))
	copy(stored, next)
	b.store(u.device, stored)
	b.mu.Unlock()

	b.emit(events)
	return next, nil
}

// find returns the index of the binding in list with the same key as bd, or -1.
func find(list []Binding, bd *Binding) int {
	for i := range list {
		if sameKey(&list[i], bd) {
			return i
		}
	}
	return -1
}
