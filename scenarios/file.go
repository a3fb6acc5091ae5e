package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"

	"ocmsim/routing"
)

// scenarioKeys are the top-level keys of a scenario file.
var scenarioKeys = []string{"name", "description", "tenant", "devices", "steps", "load"}

// File is a loaded scenario (or tenant-only) file.
type File struct {
	Path        string // the name it was loaded under
	Name        string // `name:`, else the file name
	Description string
	TenantOnly  bool   // the file is a tenant mapping, not a scenario
	TenantPath  string // the file `tenant:` named, "" when inline

	Tenant    *Tenant
	Directory *routing.Directory // the tenant, built; nil when it failed

	Devices Devices
	Steps   []Step
	Load    *LoadProfile // nil without `load:`
}

// Option changes how Parse and Load read a file.
type Option func(*options)

type options struct {
	readFile func(string) ([]byte, error)
	noBuild  bool
	maxGen   int
	depth    int
}

// WithReadFile sets how a `tenant: path` is read (default os.ReadFile).
func WithReadFile(read func(name string) ([]byte, error)) Option {
	return func(o *options) { o.readFile = read }
}

// WithoutBuild checks the file without building the tenant (and so without
// checking the tenant's rules); File.Directory stays nil.
func WithoutBuild() Option {
	return func(o *options) { o.noBuild = true }
}

// WithMaxGenerated lowers how many users `generate:` may ask for (default
// and upper bound MaxGenerated).
func WithMaxGenerated(n int) Option {
	return func(o *options) { o.maxGen = min(n, MaxGenerated) }
}

// Load reads and parses the file at path.
func Load(path string, opts ...Option) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrorList{{File: path, Msg: fmt.Sprintf("cannot read: %v", err), Err: err}}
	}
	return Parse(path, data, opts...)
}

// Parse parses one scenario or tenant-only file; name is used in positions
// and to resolve a relative `tenant:` path. The error is an ErrorList with
// every problem found. Parse never panics.
func Parse(name string, data []byte, opts ...Option) (f *File, err error) {
	o := options{readFile: os.ReadFile, maxGen: MaxGenerated}
	for _, opt := range opts {
		opt(&o)
	}
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, ErrorList{{File: name, Msg: fmt.Sprintf("internal error: %v", r)}}
		}
	}()
	var errs ErrorList
	f = parseFile(name, data, &o, &errs)
	if err := errs.errorOrNil(); err != nil {
		return f, err
	}
	return f, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// readDocument parses exactly one YAML document.
func readDocument(name string, data []byte, errs *ErrorList) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			*errs = append(*errs, &Error{File: name, Msg: "empty file: expected a scenario or a tenant"})
			return nil
		}
		e := &Error{File: name, Msg: err.Error(), Err: err}
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Col, e.Msg = 1, m[2]
		}
		*errs = append(*errs, e)
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		line := next.Line
		if err != nil || line == 0 {
			line = 0
		}
		*errs = append(*errs, &Error{File: name, Line: line, Col: 1, Msg: "only one YAML document per file (found a second \"---\")"})
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		*errs = append(*errs, &Error{File: name, Msg: "empty file: expected a scenario or a tenant"})
		return nil
	}
	return doc.Content[0]
}

func parseFile(name string, data []byte, o *options, errs *ErrorList) *File {
	f := &File{Path: name, Name: baseName(name)}
	f.Devices = Devices{Default: DefaultBehaviour(), ByDevice: map[string]Behaviour{}}
	root := readDocument(name, data, errs)
	if root == nil {
		return f
	}
	d := newDecoder(name, errs)
	d.maxGen = o.maxGen
	root = d.deref(root)
	if root == nil || root.Kind != yaml.MappingNode {
		d.errorf(root, "expected a mapping with name, tenant, devices, steps (or a tenant's id, domain, users ...), got %s", kindName(root))
		return f
	}
	if isTenantOnly(root) {
		f.TenantOnly = true
		before := len(*errs)
		f.Tenant = d.parseTenant(root)
		f.build(d, o, before)
		return f
	}
	top, _ := d.fields(withoutTenantKeys(d, root), "scenario", scenarioKeys)
	f.Name = firstNonEmpty(top.str("name"), f.Name)
	f.Description = top.str("description")
	if top.has("tenant") {
		before := len(*errs)
		f.Tenant = f.tenant(d, top.v("tenant"), o, errs)
		if f.Tenant != nil {
			f.build(d, o, before)
		}
	}
	var ix *index
	if f.Tenant != nil {
		ix = newIndex(f.Tenant)
	}
	if top.has("devices") {
		f.Devices = d.parseDevices(top.v("devices"), ix)
	}
	if top.has("steps") {
		f.Steps = d.parseSteps(top.v("steps"), ix)
	}
	if top.has("load") && !isNull(top.v("load")) {
		f.Load = d.parseLoad(top.v("load"))
	}
	return f
}

// build builds the tenant when its section parsed without problems.
func (f *File) build(d *decoder, o *options, before int) {
	if o.noBuild || len(*d.errs) > before || f.Tenant == nil {
		return
	}
	b := &builder{d: newDecoder(f.Tenant.File, d.errs), t: f.Tenant}
	if b.build(nil) { // the directory's clock: time.Now (Tenant.Build takes another)
		f.Directory = b.dir
	}
}

// tenant reads `tenant:`: a mapping, or the path of a tenant file.
func (f *File) tenant(d *decoder, n *yaml.Node, o *options, errs *ErrorList) *Tenant {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return d.parseTenant(n)
	}
	if o.depth >= 4 {
		d.errorf(n, "tenant: files include each other too deeply")
		return nil
	}
	path := n.Value
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(f.Path), path)
	}
	data, err := o.readFile(path)
	if err != nil {
		d.errAt(posOf(n), "", err, fmt.Sprintf("tenant: cannot read %s: %v", path, err))
		return nil
	}
	f.TenantPath = path
	sub := *o
	sub.depth++
	sub.noBuild = true
	inc := parseFile(path, data, &sub, errs)
	if inc.Tenant == nil && len(*errs) == 0 {
		d.errorf(n, "tenant: %s holds no tenant", path)
	}
	return inc.Tenant
}

// isTenantOnly reports whether a top-level mapping is a tenant itself.
func isTenantOnly(root *yaml.Node) bool {
	tenantish := false
	for i := 0; i < len(root.Content); i += 2 {
		k := root.Content[i].Value
		if contains(scenarioKeys, k) {
			return false
		}
		if contains(tenantKeys, k) {
			tenantish = true
		}
	}
	return tenantish
}

func baseName(p string) string {
	b := filepath.Base(p)
	return b[:len(b)-len(filepath.Ext(b))]
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// withoutTenantKeys reports tenant keys written at the top of a scenario
// file and returns the mapping without them.
func withoutTenantKeys(d *decoder, root *yaml.Node) *yaml.Node {
	out := *root
	out.Content = nil
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if !contains(scenarioKeys, k.Value) && contains(tenantKeys, k.Value) {
			d.errorf(k, "unknown key %q (tenant keys go under \"tenant:\")", k.Value)
			continue
		}
		out.Content = append(out.Content, k, root.Content[i+1])
	}
	return &out
}
