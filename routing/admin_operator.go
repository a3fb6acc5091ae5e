package routing

import (
	"slices"
	"strings"
)

// EnableOperator adds an OCM operator as the tenant's operator in the given
// countries ("Add as my operator"). Enabling it again adds countries.
func (d *Directory) EnableOperator(id string, e Enablement) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.operators[id]
	if !ok {
		return notFound("operator", id)
	}
	obj := "operator " + id
	if !o.OCM {
		return errorf(CodeOperatorNotOCM, obj, "does not support Operator Connect Mobile")
	}
	if len(e.Countries) == 0 {
		return errorf(CodeCountryNotServed, obj, "choose at least one country it serves (%s)", strings.Join(o.Serves, ", "))
	}
	for _, c := range e.Countries {
		if !slices.Contains(o.Serves, c) {
			return errorf(CodeCountryNotServed, obj, "does not serve %s (serves %s)", c, strings.Join(o.Serves, ", "))
		}
	}
	var missing []string
	if strings.TrimSpace(e.Contact.Name) == "" {
		missing = append(missing, "full name")
	}
	if !strings.Contains(e.Contact.Email, "@") {
		missing = append(missing, "email")
	}
	if e.Contact.CompanySize <= 0 {
		missing = append(missing, "company size")
	}
	if len(missing) > 0 {
		return errorf(CodeContactIncomplete, obj, "contact information lacks %s", strings.Join(missing, ", "))
	}
	if !e.AcceptDataTransfer {
		return errorf(CodeDataTransferNotAccepted, obj, "the data transfer notice must be accepted")
	}
	for _, c := range e.Countries {
		if _, on := o.Countries[c]; !on {
			o.Countries[c] = CountryActive
		}
	}
	o.Contact, o.DataTransfer = e.Contact, true
	return nil
}

// countriesOf returns the enabled countries an action on (operator, country)
// concerns: that one country, or every enabled one when country is "".
func countriesOf(o *Operator, country string) ([]string, *Error) {
	obj := "operator " + o.ID
	if !o.Enabled() {
		return nil, errorf(CodeOperatorNotEnabled, obj, "is not enabled")
	}
	if country == "" {
		out := make([]string, 0, len(o.Countries))
		for c := range o.Countries {
			out = append(out, c)
		}
		slices.Sort(out)
		return out, nil
	}
	if _, on := o.Countries[country]; !on {
		return nil, errorf(CodeOperatorNotEnabled, obj, "is not enabled in %s", country)
	}
	return []string{country}, nil
}

// SuspendOperator suspends an enabled operator in one country, or everywhere
// when country is "": its numbers there stop routing.
func (d *Directory) SuspendOperator(id, country string) error {
	return d.setCountryState(id, country, CountrySuspended)
}

// ResumeOperator ends a suspension.
func (d *Directory) ResumeOperator(id, country string) error {
	return d.setCountryState(id, country, CountryActive)
}

func (d *Directory) setCountryState(id, country string, s CountryState) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, cs, err := d.operatorCountries(id, country)
	if err != nil {
		return err
	}
	for _, c := range cs {
		o.Countries[c] = s
	}
	return nil
}

// operatorCountries finds an enabled operator and the countries an action
// on (operator, country) concerns.
func (d *Directory) operatorCountries(id, country string) (*Operator, []string, error) {
	o, ok := d.operators[id]
	if !ok {
		return nil, nil, notFound("operator", id)
	}
	cs, err := countriesOf(o, country)
	if err != nil {
		return nil, nil, err
	}
	return o, cs, nil
}

// RemoveOperator removes an operator from the organisation, or from one
// country. Every number of it there must have been unassigned and released first.
func (d *Directory) RemoveOperator(id, country string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, cs, err := d.operatorCountries(id, country)
	if err != nil {
		return err
	}
	var held []string
	for _, n := range d.numbers {
		if n.Operator == id && n.Type == OperatorConnect && slices.Contains(cs, n.Country) {
			held = append(held, n.E164)
		}
	}
	if len(held) > 0 {
		slices.Sort(held)
		where := ""
		if country != "" {
			where = " in " + country
		}
		return errorf(CodeOperatorHasNumbers, "operator "+id,
			"still has %d number(s)%s (%s): remove them from users and have the operator release them first",
			len(held), where, abbreviate(held, 3))
	}
	for _, c := range cs {
		delete(o.Countries, c)
	}
	return nil
}

func abbreviate(list []string, max int) string {
	if len(list) <= max {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:max], ", ") + ", ..."
}

// Upload is one number an operator uploads to the tenant.
type Upload struct {
	Number           string
	Country          string
	SIM              bool
	EmergencyAddress string
}

// UploadNumbers is the operator uploading numbers to the tenant as Operator
// Connect Mobile numbers (OperatorConnect + TeamsPhoneMobile). A number being
// ported in from elsewhere completes its port here. All or none are added.
func (d *Directory) UploadNumbers(operatorID string, nums []Upload) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.upload(operatorID, nums)
}

func (d *Directory) upload(operatorID string, nums []Upload) error {
	o, ok := d.operators[operatorID]
	if !ok {
		return notFound("operator", operatorID)
	}
	seen := make(map[string]bool, len(nums))
	out := make([]*Number, 0, len(nums))
	for _, up := range nums {
		n, err := d.checkUpload(o, up)
		if err != nil {
			return err
		}
		if seen[n.E164] {
			return errorf(CodeExists, "number "+n.E164, "appears twice in the upload")
		}
		seen[n.E164] = true
		out = append(out, n)
	}
	for _, n := range out {
		if old, ok := d.numbers[n.E164]; ok && old.User != "" {
			d.unassign(old) // a ported number comes back as a new, free number
		}
		d.numbers[n.E164] = n
	}
	return nil
}

func (d *Directory) checkUpload(o *Operator, up Upload) (*Number, error) {
	e164, ok := NormalizeNumber(up.Number)
	if !ok {
		return nil, errorf(CodeInvalid, "number "+quoteID(up.Number), "not an E.164 number")
	}
	obj := "number " + e164
	if _, on := o.Countries[up.Country]; !on {
		return nil, errorf(CodeOperatorNotEnabled, obj, "operator %s is not enabled in %q", o.ID, up.Country)
	}
	n := &Number{E164: e164, Type: OperatorConnect, Mobile: true, Operator: o.ID, Country: up.Country,
		SIM: up.SIM, Activation: Activated, Source: "Online"}
	if old, exists := d.numbers[e164]; exists {
		if old.Port == nil {
			return nil, errorf(CodeNumberInUse, obj, "is already in the tenant as a %s number%s: remove it from its user and have it released or ported first",
				old.Type, assignedTo(old))
		}
		if err := d.checkPortSource(old); err != nil {
			return nil, err
		}
	}
	if up.EmergencyAddress != "" {
		a, ok := d.addresses[up.EmergencyAddress]
		if !ok {
			return nil, notFound("emergency address", up.EmergencyAddress)
		}
		if !a.Validated {
			return nil, errorf(CodeAddressNotValidated, obj, "emergency address %s is not validated", a.ID)
		}
		n.EmergencyAddress = a.ID
	}
	return n, nil
}

func assignedTo(n *Number) string {
	if n.User == "" {
		return ""
	}
	return " assigned to " + n.User
}
