package routing

import (
	"strings"
	"time"
)

// ClearLineURI is `Set-CsUser -Identity <user> -LineURI $null`. For a user
// whose number was assigned on-premises the removal syncs to Microsoft 365
// after the modelled delay; until then OnPremLineURI still shows and the
// number cannot be re-acquired. For an online user it takes effect at once.
func (d *Directory) ClearLineURI(userID string) error {
	return d.withUser(userID, func(u *User) error {
		if u.OnPremLineURI != "" {
			if u.SyncUntil.IsZero() {
				u.SyncUntil = d.now().Add(d.syncDelay())
			}
			return nil
		}
		if n, ok := d.numbers[u.Number]; ok && n.User == u.ID {
			d.unassign(n)
		}
		u.LineURI = ""
		return nil
	})
}

// withUser runs change on user userID under the write lock.
func (d *Directory) withUser(userID string, change func(u *User) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	u := d.user(userID)
	if u == nil {
		return notFound("user", userID)
	}
	return change(u)
}

// settle applies a finished on-premises sync to u (write lock held).
func (d *Directory) settle(u *User) {
	if synced(u, d.now()) {
		u.OnPremLineURI, u.LineURI, u.SyncUntil = "", "", time.Time{}
	}
}

// synced reports whether u's LineURI removal has finished syncing at now.
func synced(u *User, now time.Time) bool {
	return !u.SyncUntil.IsZero() && !now.Before(u.SyncUntil)
}

// GrantVoiceRoutingPolicy grants an online voice routing policy; "" is
// `-PolicyName $Null`, which removes it.
func (d *Directory) GrantVoiceRoutingPolicy(userID, policy string) error {
	return d.withUser(userID, func(u *User) error {
		u.VoiceRoutingPolicy = policy
		return nil
	})
}

// SetUserCoexistence sets a user's own Teams upgrade mode ("" → the org's).
func (d *Directory) SetUserCoexistence(userID, mode string) error {
	if mode != "" && !validCoexistence(mode) {
		return errorf(CodeInvalid, "coexistence mode "+quoteID(mode), "must be one of %v", coexistenceModes)
	}
	return d.withUser(userID, func(u *User) error {
		u.Coexistence = mode
		return nil
	})
}

// SetLicenses replaces a user's licences.
func (d *Directory) SetLicenses(userID string, licenses []string) error {
	return d.withUser(userID, func(u *User) error {
		u.Licenses = append([]string(nil), licenses...)
		return nil
	})
}

// SetCallSettings replaces a user's call settings.
func (d *Directory) SetCallSettings(userID string, cs CallSettings) error {
	return d.withUser(userID, func(u *User) error {
		if err := validateCallSettings("user "+u.ID, cs); err != nil {
			return err
		}
		if cs.UnansweredTarget == TargetUser && d.user(cs.UnansweredTo) == nil {
			return notFound("user", cs.UnansweredTo)
		}
		u.CallSettings = cs
		return nil
	})
}

// SetDialerChoice records the user's own choice, used under a UserOverride policy.
func (d *Directory) SetDialerChoice(userID string, choice Preference) error {
	p, ok := parsePreference(string(choice))
	if !ok || p == PreferUserOverride {
		return errorf(CodeInvalid, "dialer choice "+quoteID(string(choice)), "must be Teams or Native")
	}
	return d.withUser(userID, func(u *User) error {
		u.DialerChoice = p
		return nil
	})
}

func parsePreference(s string) (Preference, bool) {
	for _, p := range []Preference{PreferTeams, PreferNative, PreferUserOverride} {
		if strings.EqualFold(s, string(p)) {
			return p, true
		}
	}
	return "", false
}

func parseIPAudio(s string) (IPAudioMode, bool) {
	for _, m := range []IPAudioMode{AllNetworks, WifiOnly} {
		if strings.EqualFold(s, string(m)) {
			return m, true
		}
	}
	return "", false
}
