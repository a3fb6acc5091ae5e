package routing

import "time"

// AssignNumber assigns a number to a user as the user's primary number
// (Set-CsPhoneNumberAssignment). Assigning a number to the user who already
// holds it changes nothing.
func (d *Directory) AssignNumber(number, userID string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := d.lookupNumber(number)
	if err != nil {
		return err
	}
	u := d.user(userID)
	if u == nil {
		return notFound("user", userID)
	}
	if n.User == u.ID {
		return nil
	}
	if err := d.checkAssign(n, u); err != nil {
		return err // checkAssign reads a finished sync as settled: a refusal changes nothing
	}
	d.settle(u)
	n.User, n.user, u.Number, u.LineURI = u.ID, u, n.E164, "tel:"+n.E164
	return nil
}

func (d *Directory) checkAssign(n *Number, u *User) error {
	obj := "number " + n.E164
	if n.Port != nil {
		return errorf(CodeNumberPorting, obj, "is being ported from %s and out of service until the operator uploads it", n.Port.From)
	}
	if n.User != "" {
		return errorf(CodeNumberAssigned, obj, "is already assigned to %s", n.User)
	}
	uobj := "user " + u.ID
	var missing []string
	if !u.HasLicense(LicensePhoneSystem) {
		missing = append(missing, LicensePhoneSystem)
	}
	if n.OCM() && !u.HasLicense(LicenseOCM) {
		missing = append(missing, LicenseOCM)
	}
	if len(missing) > 0 {
		return errorf(CodeLicenseMissing, uobj, "needs licence(s) %v to be assigned %s", missing, n.E164)
	}
	if mode := d.coexistenceOf(u); mode != TeamsOnly {
		return errorf(CodeNotTeamsOnly, uobj, "is in %s mode; numbers can be assigned only to TeamsOnly users", mode)
	}
	if u.Number != "" {
		return errorf(CodeUserHasNumber, uobj, "already holds %s: remove it first", u.Number)
	}
	if n.Type != DirectRouting {
		now := d.now()
		if u.SyncUntil.IsZero() && u.OnPremLineURI != "" {
			return errorf(CodeOnPremLineURISet, uobj, "has OnPremLineURI %s: run Set-CsUser -Identity %s -LineURI $null first", u.OnPremLineURI, u.UPN)
		}
		if now.Before(u.SyncUntil) {
			return errorf(CodeSyncPending, uobj, "the on-premises LineURI removal syncs until %s", u.SyncUntil.Format(time.RFC3339))
		}
		if u.VoiceRoutingPolicy != "" {
			return errorf(CodeVoiceRoutingPolicyAssigned, uobj, "still has online voice routing policy %s: run Grant-CsOnlineVoiceRoutingPolicy -Identity %s -PolicyName $Null", u.VoiceRoutingPolicy, u.UPN)
		}
	}
	return nil
}

func (d *Directory) coexistenceOf(u *User) string {
	if u.Coexistence != "" {
		return u.Coexistence
	}
	return d.coexistence
}

func (d *Directory) lookupNumber(number string) (*Number, error) {
	e164, ok := NormalizeNumber(number)
	if !ok {
		return nil, errorf(CodeInvalid, "number "+quoteID(number), "not an E.164 number")
	}
	n, ok := d.numbers[e164]
	if !ok {
		return nil, notFound("number", e164)
	}
	return n, nil
}

// UnassignNumber removes a number from its user (Remove-CsPhoneNumberAssignment,
// or "Edit, Remove user").
func (d *Directory) UnassignNumber(number string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := d.lookupNumber(number)
	if err != nil {
		return err
	}
	if n.User == "" {
		return errorf(CodeNumberNotAssigned, "number "+n.E164, "is not assigned to anyone")
	}
	d.unassign(n)
	return nil
}

func (d *Directory) unassign(n *Number) {
	if u, ok := d.users[n.User]; ok && u.Number == n.E164 {
		u.Number, u.LineURI = "", ""
	}
	n.User, n.user = "", nil
}

// ReleaseNumber releases a free number: it leaves the tenant. An assigned
// number must be unassigned first ("Edit, Remove user, Release").
func (d *Directory) ReleaseNumber(number string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := d.lookupNumber(number)
	if err != nil {
		return err
	}
	if n.User != "" {
		return errorf(CodeNumberAssigned, "number "+n.E164, "is assigned to %s: Edit, Remove user, then Release", n.User)
	}
	if n.Port != nil {
		return errorf(CodeNumberPorting, "number "+n.E164, "is being ported")
	}
	delete(d.numbers, n.E164)
	return nil
}

// SetEmergencyAddress sets (or, with address "", removes) the static
// emergency address of a number. byOperator says the operator makes the
// change; the tenant may not change it under the operator-locked mode.
func (d *Directory) SetEmergencyAddress(number, address string, byOperator bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, err := d.lookupNumber(number)
	if err != nil {
		return err
	}
	if o, ok := d.operators[n.Operator]; ok && !byOperator && o.AddressMode == AddressOperatorLocked {
		return errorf(CodeEmergencyAddressLocked, "number "+n.E164,
			"operator %s manages its emergency address: contact your operator to change it", o.ID)
	}
	if address != "" {
		a, ok := d.addresses[address]
		if !ok {
			return notFound("emergency address", address)
		}
		if !a.Validated {
			return errorf(CodeAddressNotValidated, "number "+n.E164, "emergency address %s is not validated", a.ID)
		}
	}
	n.EmergencyAddress = address
	return nil
}

// StartPort starts moving a number to Operator Connect Mobile from a Calling
// Plan, Operator Connect or Direct Routing. The number is out of service until
// the operator uploads it (UploadNumbers, or CompletePort).
func (d *Directory) StartPort(number string, from NumberType) error {
	e164, ok := NormalizeNumber(number)
	if !ok {
		return errorf(CodeInvalid, "number "+quoteID(number), "not an E.164 number")
	}
	obj := "number " + e164
	switch from {
	case CallingPlan, OperatorConnect, DirectRouting:
	default:
		return errorf(CodeInvalid, obj, "port source %q is not CallingPlan, OperatorConnect or DirectRouting", from)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	n, exists := d.numbers[e164]
	if exists {
		if n.Port != nil {
			return errorf(CodeNumberPorting, obj, "is already being ported from %s", n.Port.From)
		}
		if n.Type != from || (from == OperatorConnect && n.Mobile) {
			return errorf(CodeInvalid, obj, "is a %s number, not %s", typeName(n), from)
		}
		switch from {
		case CallingPlan:
			if n.User != "" {
				return errorf(CodeNumberInUse, obj, "is assigned to %s: remove it from the user first", n.User)
			}
		case OperatorConnect:
			return errorf(CodeNumberInUse, obj, "is still in the tenant%s: remove it from the user and have the Operator Connect provider release it first", assignedTo(n))
		}
	}
	if from == DirectRouting {
		if err := d.checkOnPrem(e164); err != nil {
			return err
		}
	}
	port := &Port{From: from, Started: d.now()}
	if exists {
		n.Port = port
		return nil
	}
	d.numbers[e164] = &Number{E164: e164, Type: from, Port: port, Activation: Activated, Source: "Online"}
	return nil
}

func typeName(n *Number) string {
	if n.OCM() {
		return "OperatorConnectMobile"
	}
	return string(n.Type)
}

// checkOnPrem refuses while a user still holds e164 as an on-premises
// LineURI, or its removal has not synced yet.
func (d *Directory) checkOnPrem(e164 string) error {
	now := d.now()
	for _, u := range d.users {
		if u.OnPremLineURI == "" {
			continue
		}
		if own, _ := NormalizeNumber(u.OnPremLineURI); own != e164 {
			continue
		}
		if u.SyncUntil.IsZero() {
			return errorf(CodeOnPremLineURISet, "number "+e164,
				"is user %s's OnPremLineURI: run Set-CsUser -Identity %s -LineURI $null first", u.ID, u.UPN)
		}
		if now.Before(u.SyncUntil) {
			return errorf(CodeSyncPending, "number "+e164,
				"the LineURI removal for user %s syncs until %s", u.ID, u.SyncUntil.Format(time.RFC3339))
		}
	}
	return nil
}

// checkPortSource is the rule for re-acquiring a number being ported.
func (d *Directory) checkPortSource(old *Number) error {
	if old.Port != nil && old.Port.From == DirectRouting {
		return d.checkOnPrem(old.E164)
	}
	return nil
}

// CompletePort is the operator uploading a ported number as OCM.
func (d *Directory) CompletePort(number, operatorID, country string, sim bool) error {
	e164, ok := NormalizeNumber(number)
	if !ok {
		return errorf(CodeInvalid, "number "+quoteID(number), "not an E.164 number")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if n, exists := d.numbers[e164]; !exists || n.Port == nil {
		return errorf(CodeInvalid, "number "+e164, "is not being ported")
	}
	return d.upload(operatorID, []Upload{{Number: e164, Country: country, SIM: sim}})
}
