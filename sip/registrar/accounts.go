package registrar

// Account is one set of SIP credentials and the device it registers.
type Account struct {
	// Device is the device id bindings are stored under; empty means the username.
	Device string
	// Kind is the device kind (e.g. "teams-mobile", "native-dialer").
	Kind string
	// Password is the digest password.
	Password string
	// AOR is the address-of-record the device may register (optional).
	// When empty the To URI user must equal the username.
	AOR string
}

// Accounts looks SIP credentials up by username.
type Accounts interface {
	// Account returns the account of username, or false if there is none.
	Account(username string) (Account, bool)
}

// AccountsFunc adapts a function to the Accounts interface.
type AccountsFunc func(username string) (Account, bool)

// Account calls f(username).
func (f AccountsFunc) Account(username string) (Account, bool) { return f(username) }
