package scenarios

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

// adminOp describes one admin form: its action key, the other keys it
// takes and those it requires.
type adminOp struct {
	extra, required []string
}

var adminOps = map[string]adminOp{
	"assign":                  {extra: []string{"to"}, required: []string{"to"}},
	"unassign":                {},
	"release":                 {},
	"uploadNumbers":           {extra: []string{"operator", "country"}, required: []string{"operator"}},
	"suspendOperator":         {extra: []string{"country"}},
	"resumeOperator":          {extra: []string{"country"}},
	"removeOperator":          {extra: []string{"country"}},
	"enableOperator":          {extra: []string{"countries", "contact", "acceptDataTransfer"}, required: []string{"countries"}},
	"startPort":               {extra: []string{"from"}, required: []string{"from"}},
	"completePort":            {extra: []string{"operator", "country", "sim"}},
	"setEmergencyAddress":     {extra: []string{"address", "byOperator"}, required: []string{"address"}},
	"advanceClock":            {},
	"grant":                   {extra: []string{"to"}, required: []string{"to"}},
	"grantGroup":              {extra: []string{"group", "rank"}, required: []string{"group"}},
	"grantVoiceRoutingPolicy": {extra: []string{"to"}, required: []string{"to"}},
	"clearLineURI":            {},
	"setLicenses":             {extra: []string{"user"}, required: []string{"user"}},
	"setCoexistence":          {extra: []string{"user"}},
	"setDialerChoice":         {extra: []string{"user"}, required: []string{"user"}},
}

// AdminOps lists the admin forms, sorted.
func AdminOps() []string {
	return sortedKeys(func() map[string]bool {
		m := map[string]bool{}
		for k := range adminOps {
			m[k] = true
		}
		return m
	}())
}

// AdminStep is an `admin:` step in its structured form. Op is the action key;
// the other fields are those the form uses:
//
//	assign: NUMBER, to: USER            unassign: NUMBER          release: NUMBER
//	uploadNumbers: [NUMBER | {number, country, sim, emergencyAddress}], operator: OP, country: CC
//	suspendOperator | resumeOperator | removeOperator: OP, country: CC (optional)
//	enableOperator: OP, countries: [CC], contact: {...}, acceptDataTransfer: true
//	startPort: NUMBER, from: CallingPlan|OperatorConnect|DirectRouting
//	completePort: NUMBER, operator: OP, country: CC, sim: BOOL (defaults: the tenant's porting entry)
//	setEmergencyAddress: NUMBER, address: ID (null removes), byOperator: BOOL
//	advanceClock: DURATION
//	grant: POLICY (null: $null), to: USER   grantGroup: POLICY (null removes), group: G, rank: N
//	grantVoiceRoutingPolicy: POLICY (null: $Null), to: USER   clearLineURI: USER
//	setLicenses: [LICENCE], user: USER      setCoexistence: MODE, user: USER (optional: org-wide)
//	setDialerChoice: Teams|Native, user: USER
type AdminStep struct {
	Op         string
	Number     string
	User       string
	Operator   string
	Country    string
	Countries  []string
	Contact    routing.Contact
	Accept     bool // acceptDataTransfer
	Address    string
	ByOperator bool
	From       routing.NumberType
	Uploads    []routing.Upload
	SIM        bool
	Policy     string
	Group      string
	Rank       int
	Licenses   []string
	Mode       string // coexistence mode or dialer choice
	Duration   time.Duration
}

// Kind implements Action.
func (*AdminStep) Kind() string { return "admin" }

// Apply performs the action on dir. advanceClock changes nothing here: the
// runner owns the clock.
func (a *AdminStep) Apply(dir *routing.Directory) error {
	var err error
	switch a.Op {
	case "assign":
		err = dir.AssignNumber(a.Number, a.User)
	case "unassign":
		err = dir.UnassignNumber(a.Number)
	case "release":
		err = dir.ReleaseNumber(a.Number)
	case "uploadNumbers":
		err = dir.UploadNumbers(a.Operator, a.Uploads)
	case "suspendOperator":
		err = dir.SuspendOperator(a.Operator, a.Country)
	case "resumeOperator":
		err = dir.ResumeOperator(a.Operator, a.Country)
	case "removeOperator":
		err = dir.RemoveOperator(a.Operator, a.Country)
	case "enableOperator":
		err = dir.EnableOperator(a.Operator, routing.Enablement{Countries: a.Countries, Contact: a.Contact, AcceptDataTransfer: a.Accept})
	case "startPort":
		err = dir.StartPort(a.Number, a.From)
	case "completePort":
		err = dir.CompletePort(a.Number, a.Operator, a.Country, a.SIM)
	case "setEmergencyAddress":
		err = dir.SetEmergencyAddress(a.Number, a.Address, a.ByOperator)
	case "advanceClock":
	case "grant":
		err = dir.GrantMobilityPolicy(a.User, a.Policy)
	case "grantGroup":
		err = dir.GrantGroupMobilityPolicy(a.Group, a.Policy, a.Rank)
	case "grantVoiceRoutingPolicy":
		err = dir.GrantVoiceRoutingPolicy(a.User, a.Policy)
	case "clearLineURI":
		err = dir.ClearLineURI(a.User)
	case "setLicenses":
		err = dir.SetLicenses(a.User, a.Licenses)
	case "setCoexistence":
		if a.User == "" {
			err = dir.SetCoexistence(a.Mode)
		} else {
			err = dir.SetUserCoexistence(a.User, a.Mode)
		}
	case "setDialerChoice":
		err = dir.SetDialerChoice(a.User, routing.Preference(a.Mode))
	default:
		return fmt.Errorf("admin: unknown action %q", a.Op)
	}
	if err != nil {
		return fmt.Errorf("admin %s: %w", a.Op, err)
	}
	return nil
}

func (sp *stepParser) admin(n *yaml.Node) Action {
	d := sp.d
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "admin: expected a mapping like {release: \"+14255550100\"}, got %s", kindName(n))
		return nil
	}
	// find the action key first, to know which other keys are allowed
	op := ""
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode {
			if _, ok := adminOps[k.Value]; ok {
				op = k.Value
				break
			}
		}
	}
	if op == "" {
		keys := AdminOps()
		if len(n.Content) > 0 && n.Content[0].Kind == yaml.ScalarNode {
			d.errorf(n.Content[0], "admin: unknown action %q%s", n.Content[0].Value, orList(n.Content[0].Value, keys))
		} else {
			d.errorf(n, "admin: no action (one of %s)", strings.Join(keys, ", "))
		}
		return nil
	}
	spec := adminOps[op]
	f, _ := d.fields(n, "admin "+op, append([]string{op}, spec.extra...))
	for _, k := range spec.required {
		if !f.has(k) {
			d.errorf(f.node, "admin %s: missing required key %q", op, k)
		}
	}
	a := &AdminStep{Op: op}
	sp.adminFields(f, a)
	return a
}

// orList is ` (did you mean "x"?)` or ` (one of a, b, c)`.
func orList(word string, keys []string) string {
	if s := didYouMean(word, keys); s != "" {
		return s
	}
	return " (one of " + strings.Join(keys, ", ") + ")"
}

func (sp *stepParser) adminFields(f *fields, a *AdminStep) {
	d, op := sp.d, a.Op
	switch op {
	case "assign", "unassign", "release", "startPort", "completePort", "setEmergencyAddress":
		a.Number = f.number(op)
	case "suspendOperator", "resumeOperator", "removeOperator", "enableOperator":
		a.Operator = f.str(op)
	case "advanceClock":
		a.Duration, _ = f.duration(op)
	case "grant", "grantGroup", "grantVoiceRoutingPolicy":
		a.Policy = f.str(op) // null is $null
	case "clearLineURI":
		a.User = f.str(op)
	case "setLicenses":
		a.Licenses = f.strs(op)
	case "setCoexistence":
		a.Mode = f.strIn(op, coexistenceModes...)
	case "setDialerChoice":
		a.Mode = f.strIn(op, string(routing.PreferTeams), string(routing.PreferNative))
	case "uploadNumbers":
		a.Operator, a.Country = f.str("operator"), f.country("country")
		for _, it := range f.items(op) {
			a.Uploads = append(a.Uploads, sp.upload(it, a.Country))
		}
	}
	if f.has("to") {
		a.User = f.str("to")
	}
	if f.has("user") {
		a.User = f.str("user")
	}
	if f.has("operator") {
		a.Operator = f.str("operator")
	}
	if f.has("country") {
		a.Country = f.country("country")
	}
	a.Countries = f.countries("countries")
	a.Accept, _ = f.boolean("acceptDataTransfer")
	if f.has("contact") {
		if cf, ok := d.fields(f.v("contact"), "contact", contactKeys); ok {
			a.Contact = routing.Contact{Name: cf.str("name"), Email: cf.str("email"), Phone: cf.number("phone")}
			a.Contact.CompanySize, _ = cf.integer("companySize")
		}
	}
	a.Address = f.str("address")
	a.ByOperator, _ = f.boolean("byOperator")
	a.From = routing.NumberType(f.strIn("from", portTypes...))
	a.Group = f.str("group")
	a.Rank, _ = f.integer("rank")
	if op == "grantGroup" && a.Policy != "" && !f.has("rank") {
		d.errorf(f.node, "admin grantGroup: missing required key %q", "rank")
	}
	if op == "completePort" {
		sp.completePortDefaults(f, a)
	}
	sp.adminRefs(f, a)
}

func (sp *stepParser) upload(n *yaml.Node, country string) routing.Upload {
	up := routing.Upload{Country: country, SIM: true}
	if n.Kind == yaml.ScalarNode {
		up.Number = sp.d.number(n, "uploadNumbers")
	} else if f, ok := sp.d.fields(n, "number", []string{"number", "country", "sim", "emergencyAddress"}); ok {
		f.require("number", "number")
		up.Number = f.number("number")
		if c := f.country("country"); c != "" {
			up.Country = c
		}
		if sim, ok := f.boolean("sim"); ok {
			up.SIM = sim
		}
		up.EmergencyAddress = f.str("emergencyAddress")
		sp.ref(f.v("emergencyAddress"), up.EmergencyAddress, "emergency address", sp.ixAddresses())
	}
	if up.Country == "" && up.Number != "" {
		sp.d.errorf(n, "uploadNumbers: %s needs a country (give country: for the action or the number)", up.Number)
	}
	return up
}

// completePortDefaults fills operator, country and SIM from the tenant's
// `porting:` entry of the number.
func (sp *stepParser) completePortDefaults(f *fields, a *AdminStep) {
	a.SIM = true
	if sim, ok := f.boolean("sim"); ok {
		a.SIM = sim
	}
	if a.Operator != "" && a.Country != "" {
		return
	}
	var p NumberSpec
	ok := false
	if sp.ix != nil {
		p, ok = sp.ix.ports[a.Number]
	}
	if !ok {
		sp.d.errorf(f.node, "admin completePort: give operator: and country: (%s is not marked porting: under an operator)", a.Number)
		return
	}
	if a.Operator == "" {
		a.Operator = p.Operator
	}
	if a.Country == "" {
		a.Country = p.Country
	}
}

func (sp *stepParser) ixAddresses() map[string]bool {
	if sp.ix == nil {
		return nil
	}
	return sp.ix.addresses
}

// ref reports an unknown id of a kind.
func (sp *stepParser) ref(n *yaml.Node, id, kind string, known map[string]bool) {
	if id == "" || known == nil || known[id] {
		return
	}
	sp.d.codef(n, routing.CodeNotFound, "unknown %s %q%s", kind, id, didYouMean(id, sortedKeys(known)))
}

// adminRefs checks the ids an admin step names.
func (sp *stepParser) adminRefs(f *fields, a *AdminStep) {
	ix := sp.ix
	if ix == nil {
		return
	}
	userNode := f.v("to")
	if userNode == nil {
		userNode = f.v("user")
	}
	if a.Op == "clearLineURI" {
		userNode = f.v(a.Op)
	}
	if a.User != "" && !ix.user(a.User) {
		sp.d.codef(userNode, routing.CodeNotFound, "unknown user %q%s", a.User, didYouMean(a.User, ix.userIDs))
	}
	opNode := f.v("operator")
	if opNode == nil {
		opNode = f.v(a.Op)
	}
	if a.Operator != "" {
		sp.ref(opNode, a.Operator, "operator", ix.operators)
	}
	if a.Op == "setEmergencyAddress" {
		sp.ref(f.v("address"), a.Address, "emergency address", ix.addresses)
	}
	if a.Op == "grant" || a.Op == "grantGroup" {
		if a.Policy != "" && !ix.policy(a.Policy) {
			sp.d.codef(f.v(a.Op), routing.CodeNotFound, "unknown mobility policy %q%s", a.Policy, didYouMean(a.Policy, ix.policyIDs))
		}
	}
	if a.Group != "" {
		sp.ref(f.v("group"), a.Group, "group", ix.groups)
	}
}
