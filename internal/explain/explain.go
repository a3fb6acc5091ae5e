// Package explain renders a routing decision for people (text) and programs
// (JSON): what `ocmsim explain` prints and `/api/explain` serves.
package explain

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"ocmsim/routing"
)

// View is the JSON shape of a decision.
type View struct {
	Number     string   `json:"number"`
	User       string   `json:"user,omitempty"`
	Refused    *Refusal `json:"refused,omitempty"`
	Policy     string   `json:"policy,omitempty"`
	Source     string   `json:"policySource,omitempty"`
	Group      string   `json:"group,omitempty"`
	Rank       int      `json:"rank,omitempty"`
	Preference string   `json:"mobileDialerPreference,omitempty"`
	Dialer     string   `json:"dialer,omitempty"`
	UserChoice bool     `json:"userChoice,omitempty"`
	IPAudio    string   `json:"ipAudioMobileMode,omitempty"`
	Fallback   bool     `json:"fallback"`
	Rings      []Device `json:"rings"`
	Skipped    []Device `json:"skipped"`
	Unanswered *Target  `json:"unanswered,omitempty"`
}

// Refusal is a refused call.
type Refusal struct {
	Status int    `json:"status"`
	Reason string `json:"reason"`
	Code   string `json:"code,omitempty"`
}

// Device is one device of the user and why it rings or not.
type Device struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Why      string `json:"why"`
	Reason   string `json:"reason"`
	Fallback string `json:"fallback,omitempty"`
}

// Target is where an unanswered call goes, and when.
type Target struct {
	Type  string `json:"type"`
	To    string `json:"to,omitempty"`
	Delay string `json:"delay"`
}

// NewView converts a decision.
func NewView(number string, d *routing.Decision) View {
	v := View{Number: d.Number, User: d.User, Rings: []Device{}, Skipped: []Device{}}
	if v.Number == "" {
		v.Number = number
	}
	if d.Refused() {
		v.Refused = &Refusal{Status: d.Status, Reason: d.Reason, Code: string(d.Code)}
		return v
	}
	v.Policy, v.Source = d.Policy, string(d.Source.Kind)
	v.Group, v.Rank = d.Source.Group, d.Source.Rank
	v.Preference, v.Dialer, v.UserChoice = string(d.Preference), string(d.Dialer), d.UserChoice
	v.IPAudio, v.Fallback = string(d.IPAudio), d.Fallback
	for _, t := range d.Targets {
		v.Rings = append(v.Rings, Device{ID: t.Device, Kind: string(t.Kind), Why: t.Why.Code(), Reason: t.Why.String(), Fallback: t.Fallback})
	}
	for _, s := range d.Skipped {
		v.Skipped = append(v.Skipped, Device{ID: s.Device, Kind: string(s.Kind), Why: s.Why.Code(), Reason: s.Why.String()})
	}
	if d.Unanswered.UnansweredTarget != routing.TargetNone {
		v.Unanswered = &Target{Type: string(d.Unanswered.UnansweredTarget), To: d.Unanswered.UnansweredTo,
			Delay: d.Unanswered.UnansweredDelay.String()}
	}
	return v
}

// SourceText says where the policy comes from, as a sentence.
func (v View) SourceText() string {
	switch routing.SourceKind(v.Source) {
	case routing.SourceDirect:
		return "granted directly to the user"
	case routing.SourceGroup:
		return fmt.Sprintf("granted to group %s (rank %d)", v.Group, v.Rank)
	default:
		return "Global (no direct or group grant)"
	}
}

// Text writes the view for a terminal.
func Text(w io.Writer, v View) error {
	var b strings.Builder
	fmt.Fprintf(&b, "number   %s\n", v.Number)
	if v.Refused != nil {
		fmt.Fprintf(&b, "refused  %d %s", v.Refused.Status, v.Refused.Reason)
		if v.Refused.Code != "" {
			fmt.Fprintf(&b, " (%s)", v.Refused.Code)
		}
		b.WriteString("\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "user     %s\n", v.User)
	fmt.Fprintf(&b, "policy   %s: %s\n", v.Policy, v.SourceText())
	pref := v.Preference
	if v.UserChoice {
		pref = fmt.Sprintf("%s (the user's own choice: %s)", v.Preference, v.Dialer)
	}
	fmt.Fprintf(&b, "dialer   %s, IPAudioMobileMode %s\n", pref, v.IPAudio)
	if v.Fallback {
		b.WriteString("fallback yes: the other app of the SIM phone rings instead of the preferred one\n")
	}
	if v.Unanswered != nil {
		fmt.Fprintf(&b, "unanswered after %s → %s %s\n", v.Unanswered.Delay, v.Unanswered.Type, v.Unanswered.To)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\n\tDEVICE\tKIND\tRINGS\tWHY\n")
	for _, d := range v.Rings {
		why := d.Reason
		if d.Fallback != "" {
			why += " (falls back to " + d.Fallback + " if it fails fast)"
		}
		fmt.Fprintf(tw, "\t%s\t%s\tyes\t%s\n", d.ID, d.Kind, why)
	}
	for _, d := range v.Skipped {
		fmt.Fprintf(tw, "\t%s\t%s\tno\t%s\n", d.ID, d.Kind, d.Reason)
	}
	if len(v.Rings) == 0 {
		fmt.Fprintf(tw, "\t(no device can ring: the call goes to the unanswered target, or 480)\t\t\t\n")
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}
