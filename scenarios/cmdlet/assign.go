package cmdlet

import (
	"errors"
	"strings"

	"ocmsim/routing"
)

func setNumberSpec() *spec {
	return &spec{
		name: "Set-CsPhoneNumberAssignment",
		params: []param{
			named("Identity", kString), named("PhoneNumber", kString), named("PhoneNumberType", kString),
			{name: "LocationId", pos: -1, null: true},
			named("AssignmentCategory", kString), named("EnterpriseVoiceEnabled", kBool),
			named("NetworkSiteId", kString), named("ReverseNumberLookup", kString), named("Notify", kSwitch),
		},
		check: checkSetNumber,
		do:    setNumber,
	}
}

// checkSetNumber picks the parameter set: Attribute (-Identity
// -EnterpriseVoiceEnabled), Assignment (-Identity -PhoneNumber
// -PhoneNumberType [-LocationId]) or LocationUpdate (-PhoneNumber -LocationId).
func checkSetNumber(c *Command) error {
	switch {
	case c.Has("EnterpriseVoiceEnabled"):
		if c.Has("PhoneNumber") {
			return errorAt(c.Args["PhoneNumber"].Col, "%s: -PhoneNumber and -EnterpriseVoiceEnabled cannot be used together", c.Name)
		}
		if !c.Has("Identity") {
			return errorAt(c.Col, "%s: missing mandatory parameter -Identity", c.Name)
		}
	case !c.Has("PhoneNumber"):
		return errorAt(c.Col, "%s: missing mandatory parameter -PhoneNumber", c.Name)
	case c.Has("Identity") && !c.Has("PhoneNumberType"):
		return errorAt(c.Col, "%s: missing mandatory parameter -PhoneNumberType", c.Name)
	case !c.Has("Identity") && !c.Has("LocationId"):
		return errorAt(c.Col, "%s: give -Identity and -PhoneNumberType to assign, or -LocationId to set the location", c.Name)
	}
	return nil
}

func setNumber(c *Command, d *routing.Directory) error {
	id, number := c.Str("Identity"), c.Str("PhoneNumber")
	if c.Has("EnterpriseVoiceEnabled") {
		if _, ok := d.User(id); !ok {
			return notFound("user", id)
		}
		return nil // not modelled: assigning a number enables Enterprise Voice
	}
	if cat := c.Str("AssignmentCategory"); cat != "" && !strings.EqualFold(cat, "Primary") {
		return invalid("assignment category "+cat, "only Primary numbers are modelled")
	}
	location := c.Str("LocationId")
	if strings.EqualFold(location, "null") {
		location = "" // -LocationId 'null' removes the location
	}
	if !c.Has("Identity") {
		return d.SetEmergencyAddress(number, location, false)
	}
	n, ok := d.Number(number)
	if !ok {
		return d.AssignNumber(number, id) // routing's invalid or not-found error
	}
	if err := checkType(n, c.Str("PhoneNumberType")); err != nil {
		return err
	}
	if err := d.AssignNumber(number, id); err != nil {
		return err
	}
	if !c.Has("LocationId") {
		return nil
	}
	if err := d.SetEmergencyAddress(number, location, false); err != nil {
		if n.User == "" { // undo the assignment made here: the cmdlet changes nothing when it fails
			if undo := d.UnassignNumber(number); undo != nil {
				return errors.Join(err, undo)
			}
		}
		return err
	}
	return nil
}

func removeNumberSpec() *spec {
	return &spec{
		name: "Remove-CsPhoneNumberAssignment",
		params: []param{
			{name: "Identity", pos: -1, mandatory: true},
			named("PhoneNumber", kString), named("PhoneNumberType", kString),
			named("RemoveAll", kSwitch), named("AssignmentCategory", kString), named("Notify", kSwitch),
		},
		check: func(c *Command) error {
			if c.Has("RemoveAll") {
				if c.Has("PhoneNumber") {
					return errorAt(c.Args["PhoneNumber"].Col, "%s: -PhoneNumber and -RemoveAll cannot be used together", c.Name)
				}
				return nil
			}
			for _, p := range []string{"PhoneNumber", "PhoneNumberType"} {
				if !c.Has(p) {
					return errorAt(c.Col, "%s: missing mandatory parameter -%s (or give -RemoveAll)", c.Name, p)
				}
			}
			return nil
		},
		do: removeNumber,
	}
}

func removeNumber(c *Command, d *routing.Directory) error {
	id := c.Str("Identity")
	u, ok := d.User(id)
	if !ok {
		return notFound("user", id)
	}
	if c.Has("RemoveAll") {
		if u.Number == "" {
			return nil
		}
		return d.UnassignNumber(u.Number)
	}
	number := c.Str("PhoneNumber")
	n, ok := d.Number(number)
	if !ok {
		return d.UnassignNumber(number) // routing's invalid or not-found error
	}
	if err := checkType(n, c.Str("PhoneNumberType")); err != nil {
		return err
	}
	if n.User != "" && n.User != u.ID {
		obj := "number " + n.E164
		return &routing.Error{Code: routing.CodeNumberNotAssigned, Object: obj,
			Message: obj + ": is assigned to " + n.User + ", not to " + u.ID}
	}
	return d.UnassignNumber(number)
}
