package routing

// NewMobilityPolicy creates a mobility policy (New-CsTeamsMobilityPolicy).
// An empty preference means Teams, an empty IP audio mode AllNetworks.
func (d *Directory) NewMobilityPolicy(p MobilityPolicy) error {
	obj := "mobility policy " + quoteID(p.Identity)
	p.Identity = trimTag(p.Identity)
	if p.Identity == "" {
		return errorf(CodeInvalid, obj, "a policy needs an identity")
	}
	if err := normalizePolicy(obj, &p); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.policy(p.Identity) != nil {
		return errorf(CodeExists, obj, "already exists")
	}
	d.policies[p.Identity] = &p
	return nil
}

func normalizePolicy(obj string, p *MobilityPolicy) error {
	var ok bool
	if p.MobileDialerPreference == "" {
		p.MobileDialerPreference = PreferTeams
	} else if p.MobileDialerPreference, ok = parsePreference(string(p.MobileDialerPreference)); !ok {
		return errorf(CodeInvalid, obj, "MobileDialerPreference must be Teams, Native or UserOverride")
	}
	for _, m := range []*IPAudioMode{&p.IPAudioMobileMode, &p.IPVideoMobileMode} {
		if *m == "" {
			*m = AllNetworks
		} else if *m, ok = parseIPAudio(string(*m)); !ok {
			return errorf(CodeInvalid, obj, "IP audio/video mobile mode must be AllNetworks or WifiOnly")
		}
	}
	return nil
}

// PolicyChange is what Set-CsTeamsMobilityPolicy changes; nil fields stay.
type PolicyChange struct {
	Description            *string
	MobileDialerPreference *Preference
	IPAudioMobileMode      *IPAudioMode
	IPVideoMobileMode      *IPAudioMode
}

// SetMobilityPolicy changes an existing policy, Global included.
func (d *Directory) SetMobilityPolicy(identity string, c PolicyChange) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.policy(identity)
	if p == nil {
		return notFound("mobility policy", identity)
	}
	next := *p
	if c.Description != nil {
		next.Description = *c.Description
	}
	if c.MobileDialerPreference != nil {
		next.MobileDialerPreference = *c.MobileDialerPreference
	}
	if c.IPAudioMobileMode != nil {
		next.IPAudioMobileMode = *c.IPAudioMobileMode
	}
	if c.IPVideoMobileMode != nil {
		next.IPVideoMobileMode = *c.IPVideoMobileMode
	}
	if err := normalizePolicy("mobility policy "+p.Identity, &next); err != nil {
		return err
	}
	*p = next
	return nil
}

// RemoveMobilityPolicy removes a policy. Users and groups granted it fall
// back to the next grant (group, then Global). Removing Global resets it to
// its defaults, as Teams does.
func (d *Directory) RemoveMobilityPolicy(identity string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.policy(identity)
	if p == nil {
		return notFound("mobility policy", identity)
	}
	if p.Identity == GlobalPolicy {
		*p = MobilityPolicy{Identity: GlobalPolicy, MobileDialerPreference: PreferTeams,
			IPAudioMobileMode: AllNetworks, IPVideoMobileMode: AllNetworks}
		return nil
	}
	for _, u := range d.users {
		if u.MobilityPolicy == p.Identity {
			u.MobilityPolicy = ""
		}
	}
	for _, g := range d.groups {
		if g.MobilityPolicy == p.Identity {
			g.MobilityPolicy, g.Rank = "", 0
		}
	}
	delete(d.policies, p.Identity)
	return nil
}

// GrantMobilityPolicy grants a policy to a user directly; "" ($null) removes
// the direct grant so the user's groups, then Global, apply. Granting
// "Global" is the same as $null.
func (d *Directory) GrantMobilityPolicy(userID, identity string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	u := d.user(userID)
	if u == nil {
		return notFound("user", userID)
	}
	if identity == "" {
		u.MobilityPolicy = ""
		return nil
	}
	p := d.policy(identity)
	if p == nil {
		return notFound("mobility policy", identity)
	}
	if p.Identity == GlobalPolicy {
		u.MobilityPolicy = ""
		return nil
	}
	u.MobilityPolicy = p.Identity
	return nil
}

// GrantGroupMobilityPolicy grants a policy to a group with a rank (1 is the
// highest); "" removes the group's grant. Ranks are unique across groups.
func (d *Directory) GrantGroupMobilityPolicy(groupID, identity string, rank int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	g, ok := d.groups[groupID]
	if !ok {
		return notFound("group", groupID)
	}
	if identity == "" {
		g.MobilityPolicy, g.Rank = "", 0
		return nil
	}
	if err := d.checkGroupGrant(g, identity, rank); err != nil {
		return err
	}
	g.MobilityPolicy, g.Rank = d.policy(identity).Identity, rank
	return nil
}

func (d *Directory) checkGroupGrant(g *Group, identity string, rank int) error {
	if d.policy(identity) == nil {
		return notFound("mobility policy", identity)
	}
	obj := "group " + g.ID
	if rank < 1 {
		return errorf(CodeInvalid, obj, "rank %d must be 1 or more", rank)
	}
	for _, other := range d.groups {
		if other != g && other.MobilityPolicy != "" && other.Rank == rank {
			return errorf(CodeInvalid, obj, "rank %d is already held by group %s", rank, other.ID)
		}
	}
	return nil
}
