package routing

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code of a broken tenant rule.
// Scenario files name these codes in `expectError:`.
type Code string

// The codes of the admin guide's rules (PRODUCT.md §1), plus a few for bad input.
const (
	CodeOperatorNotOCM             Code = "operator-not-ocm"
	CodeCountryNotServed           Code = "country-not-served"
	CodeContactIncomplete          Code = "contact-incomplete"
	CodeDataTransferNotAccepted    Code = "data-transfer-not-accepted"
	CodeLicenseMissing             Code = "license-missing"
	CodeNotTeamsOnly               Code = "not-teams-only"
	CodeNumberAssigned             Code = "number-assigned"
	CodeUserHasNumber              Code = "user-has-number"
	CodeOperatorHasNumbers         Code = "operator-has-numbers"
	CodeOperatorSuspended          Code = "operator-suspended"
	CodeEmergencyAddressLocked     Code = "emergency-address-locked"
	CodeNumberInUse                Code = "number-in-use"
	CodeOnPremLineURISet           Code = "onprem-lineuri-set"
	CodeSyncPending                Code = "sync-pending"
	CodeVoiceRoutingPolicyAssigned Code = "voice-routing-policy-assigned"
	CodeNumberPorting              Code = "number-porting"
	CodeNotFound                   Code = "not-found"

	// Codes for bad input that the guide does not name.
	CodeInvalid             Code = "invalid"              // a value out of its domain
	CodeExists              Code = "already-exists"       // an id used twice
	CodeOperatorNotEnabled  Code = "operator-not-enabled" // numbers of an operator that is not enabled there
	CodeNumberNotAssigned   Code = "number-not-assigned"  // unassigning a free number
	CodeAddressNotValidated Code = "address-not-validated"
	CodeNumberUnassigned    Code = "number-unassigned" // an inbound call to a number with no user
)

// Codes lists every code, in the order of PRODUCT.md's table then the extras.
var Codes = []Code{
	CodeOperatorNotOCM, CodeCountryNotServed, CodeContactIncomplete, CodeDataTransferNotAccepted,
	CodeLicenseMissing, CodeNotTeamsOnly, CodeNumberAssigned, CodeUserHasNumber,
	CodeOperatorHasNumbers, CodeOperatorSuspended, CodeEmergencyAddressLocked, CodeNumberInUse,
	CodeOnPremLineURISet, CodeSyncPending, CodeVoiceRoutingPolicyAssigned, CodeNumberPorting,
	CodeNotFound, CodeInvalid, CodeExists, CodeOperatorNotEnabled, CodeNumberNotAssigned,
	CodeAddressNotValidated, CodeNumberUnassigned,
}

// Error is a broken rule: its code, the object it concerns and a sentence
// naming both.
type Error struct {
	Code    Code
	Object  string // "operator fabrikam", "number +14255550100", ...
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// ErrorCode returns the code of err, or "" when err is not a routing error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func errorf(code Code, object, format string, args ...any) *Error {
	return &Error{Code: code, Object: object, Message: object + ": " + fmt.Sprintf(format, args...)}
}

func notFound(kind, id string) *Error {
	return errorf(CodeNotFound, kind+" "+quoteID(id), "no such %s", kind)
}

func quoteID(id string) string {
	if id == "" {
		return `""`
	}
	return id
}
