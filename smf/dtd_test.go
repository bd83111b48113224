package smf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dtdElement is one element of service_bundle.dtd.1 as a manifest may use
// it: its content model, as a regexp over the names of its child elements
// (each followed by one space), and its attributes.
type dtdElement struct {
	content *regexp.Regexp // nil: EMPTY
	text    bool           // (#PCDATA)
	attrs   map[string]dtdAttr
}

type dtdAttr struct {
	required bool
	values   []string // the enumerated values; nil: CDATA
}

// model turns a DTD sequence into a content regexp: each item is a name or
// an alternation in parentheses, optionally followed by ?, * or +.
func model(items ...string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, it := range items {
		suffix := ""
		if n := len(it); strings.ContainsAny(it[n-1:], "?*+") {
			it, suffix = it[:n-1], it[n-1:]
		}
		fmt.Fprintf(&b, "(?:(?:%s) )%s", strings.Trim(it, "()"), suffix)
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func req(values ...string) dtdAttr { return dtdAttr{required: true, values: values} }
func opt(values ...string) dtdAttr { return dtdAttr{values: values} }

var boolValues = []string{"true", "false"}

// portableDTD is the part of service_bundle.dtd.1 (its manifest variant)
// that a manifest portable to the 2009 DTD may use, written out so the
// manifest is validated without xmllint and without the DTD. Missing on
// purpose: notification_parameters (2010), method_context security_flags
// (illumos, 2015), <property> with value lists, the template's pg_pattern,
// and every propval type but astring, count, integer and boolean (SPEC 7).
// The content models are the DTD's, in its element order.
var portableDTD = map[string]dtdElement{
	"service_bundle": {content: model("service*"),
		attrs: map[string]dtdAttr{"type": req(), "name": req()}},
	"service": {content: model("create_default_instance?", "single_instance?", "restarter?",
		"dependency*", "dependent*", "method_context?", "exec_method*",
		"property_group*", "instance*", "stability?", "template?"),
		attrs: map[string]dtdAttr{"name": req(), "version": req(), "type": req("service", "restarter", "milestone")}},
	"create_default_instance": {attrs: map[string]dtdAttr{"enabled": req(boolValues...)}},
	"single_instance":         {attrs: map[string]dtdAttr{}},
	"restarter":               {content: model("service_fmri"), attrs: map[string]dtdAttr{}},
	"dependency": {content: model("service_fmri*", "stability?", "propval*"),
		attrs: map[string]dtdAttr{"name": req(),
			"grouping":   req("require_all", "require_any", "exclude_all", "optional_all"),
			"restart_on": req("error", "restart", "refresh", "none"),
			"type":       req(), "delete": opt(boolValues...)}},
	"dependent": {content: model("service_fmri", "stability?", "propval*"),
		attrs: map[string]dtdAttr{"name": req(),
			"grouping":   req("require_all", "require_any", "exclude_all", "optional_all"),
			"restart_on": req("error", "restart", "refresh", "none"),
			"delete":     opt(boolValues...), "override": opt(boolValues...)}},
	"service_fmri": {attrs: map[string]dtdAttr{"value": req()}},
	"method_context": {content: model("(method_profile|method_credential)?", "method_environment?"),
		attrs: map[string]dtdAttr{"working_directory": opt(), "project": opt(), "resource_pool": opt()}},
	"method_credential": {attrs: map[string]dtdAttr{"user": req(), "group": opt(), "supp_groups": opt(),
		"privileges": opt(), "limit_privileges": opt()}},
	"method_profile":     {attrs: map[string]dtdAttr{"name": req()}},
	"method_environment": {content: model("envvar+"), attrs: map[string]dtdAttr{}},
	"envvar":             {attrs: map[string]dtdAttr{"name": req(), "value": req()}},
	"exec_method": {content: model("method_context?", "stability?", "propval*"),
		attrs: map[string]dtdAttr{"type": req("method", "monitor"), "name": req(), "exec": req(),
			"timeout_seconds": req(), "delete": opt(boolValues...)}},
	"property_group": {content: model("stability?", "propval*"),
		attrs: map[string]dtdAttr{"name": req(), "type": req(), "delete": opt(boolValues...)}},
	"propval": {attrs: map[string]dtdAttr{"name": req(),
		"type":  req("astring", "count", "integer", "boolean"),
		"value": req(), "override": opt(boolValues...)}},
	"instance": {content: model("restarter?", "dependency*", "dependent*", "method_context?",
		"exec_method*", "property_group*", "template?"),
		attrs: map[string]dtdAttr{"name": req(), "enabled": req(boolValues...)}},
	"stability": {attrs: map[string]dtdAttr{"value": req("Standard", "Stable", "Evolving", "Unstable", "External", "Obsolete")}},
	"template": {content: model("common_name", "description?", "documentation?"),
		attrs: map[string]dtdAttr{}},
	"common_name":   {content: model("loctext+"), attrs: map[string]dtdAttr{}},
	"description":   {content: model("loctext+"), attrs: map[string]dtdAttr{}},
	"documentation": {content: model("(doc_link|manpage)*"), attrs: map[string]dtdAttr{}},
	"manpage":       {attrs: map[string]dtdAttr{"title": req(), "section": req(), "manpath": opt()}},
	"doc_link":      {attrs: map[string]dtdAttr{"name": req(), "uri": req()}},
	"loctext":       {text: true, attrs: map[string]dtdAttr{"xml:lang": req()}},
}

// validate checks doc against portableDTD the way a validating parser
// checks it against the DTD: the root element, every element declared,
// every child where its parent's content model allows it, no text outside
// loctext, every attribute declared, the required ones present, the
// enumerated ones with one of their values. It returns one line per
// violation, "line N: ...".
func validate(doc []byte) []string {
	type frame struct {
		name     string
		el       *dtdElement
		children strings.Builder
		line     int
	}
	var (
		errs  []string
		stack []*frame
		root  string
	)
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := dec.InputPos()
		if err != nil {
			return append(errs, fmt.Sprintf("line %d: %v", line, err))
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := tok.Name.Local
			if len(stack) == 0 {
				root = name
			} else {
				stack[len(stack)-1].children.WriteString(name + " ")
			}
			f := &frame{name: name, line: line}
			stack = append(stack, f)
			el, ok := portableDTD[name]
			if !ok {
				errs = append(errs, fmt.Sprintf("line %d: element <%s> is not declared (portable DTD)", line, name))
				continue
			}
			f.el = &el
			seen := map[string]bool{}
			for _, a := range tok.Attr {
				an := a.Name.Local
				switch a.Name.Space {
				case "":
				case "xml", "http://www.w3.org/XML/1998/namespace":
					an = "xml:" + an
				default:
					an = a.Name.Space + ":" + an
				}
				seen[an] = true
				decl, ok := el.attrs[an]
				switch {
				case !ok:
					errs = append(errs, fmt.Sprintf("line %d: <%s %s>: attribute not declared (portable DTD)", line, name, an))
				case decl.values != nil && !slices.Contains(decl.values, a.Value):
					errs = append(errs, fmt.Sprintf("line %d: <%s %s=%q>: not one of %q", line, name, an, a.Value, decl.values))
				}
			}
			for an, decl := range el.attrs {
				if decl.required && !seen[an] {
					errs = append(errs, fmt.Sprintf("line %d: <%s>: required attribute %s missing", line, name, an))
				}
			}
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.el == nil {
				continue
			}
			got := f.children.String()
			switch {
			case f.el.content == nil && got != "":
				errs = append(errs, fmt.Sprintf("line %d: <%s> is EMPTY but has children %q", f.line, f.name, got))
			case f.el.content != nil && !f.el.content.MatchString(got):
				errs = append(errs, fmt.Sprintf("line %d: <%s> children %q do not match the DTD's (%s)", f.line, f.name,
					strings.TrimSpace(got), f.el.content))
			}
		case xml.CharData:
			if len(stack) > 0 && len(bytes.TrimSpace(tok)) > 0 {
				if f := stack[len(stack)-1]; f.el != nil && !f.el.text {
					errs = append(errs, fmt.Sprintf("line %d: <%s> has text %q; only loctext holds text", line, f.name, bytes.TrimSpace(tok)))
				}
			}
		}
	}
	if root != "service_bundle" {
		errs = append(errs, fmt.Sprintf("root element <%s>, want <service_bundle>", root))
	}
	return errs
}

// TestManifestStructure validates zoneup.xml against the portable part of
// the DTD, in Go: make test needs no xmllint and no copy of the DTD.
// make smf-check DTD=... also runs xmllint against the real DTD.
func TestManifestStructure(t *testing.T) {
	for _, e := range validate(Manifest) {
		t.Errorf("zoneup.xml: %s", e)
	}
}

// TestManifestStructureRejects: validate catches each kind of mistake it
// is there for, in a copy of the manifest broken one way at a time.
func TestManifestStructureRejects(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"element order: instance before property groups",
			`<property_group name="startd"`, `<instance name="default" enabled="false"/><property_group name="startd"`, "<service> children"},
		{"element order: stability before instance",
			`<instance name="default" enabled="false"/>`, `<stability value="Unstable"/><instance name="default" enabled="false"/>`, "<service> children"},
		{"element order: single_instance after a dependency",
			`<single_instance/>`, `<dependency name="x" grouping="require_all" restart_on="none" type="service"/><single_instance/>`, "<service> children"},
		{"method_environment twice",
			`</method_environment>`, `</method_environment><method_environment><envvar name="A" value="b"/></method_environment>`, "<method_context> children"},
		{"template without common_name",
			`<common_name>
        <loctext xml:lang="C">non-global zone upgrade daemon</loctext>
      </common_name>`, "", "<template> children"},
		{"notification_parameters (2010)",
			`<property_group name="startd"`, `<notification_parameters><event value="to-maintenance"/></notification_parameters><property_group name="startd"`, "<notification_parameters> is not declared"},
		{"security_flags (illumos 2015)",
			`<method_context working_directory="/">`, `<method_context working_directory="/" security_flags="default">`, "security_flags"},
		{"a newer property type",
			`name="socket_path" type="astring"`, `name="socket_path" type="ustring"`, `type="ustring"`},
		{"a type outside the DTD",
			`name="concurrency" type="count"`, `name="concurrency" type="uint"`, `type="uint"`},
		{"propval without value",
			`<propval name="log_level" type="astring" value="info"/>`, `<propval name="log_level" type="astring"/>`, "required attribute value missing"},
		{"exec_method without timeout_seconds",
			`shutdown --wait"
        timeout_seconds="180"/>`, `shutdown --wait"/>`, "required attribute timeout_seconds missing"},
		{"bad grouping",
			`grouping="optional_all"`, `grouping="optional"`, `grouping="optional"`},
		{"bad stability",
			`<stability value="Unstable"/>`, `<stability value="unstable"/>`, `value="unstable"`},
		{"instance enabled not boolean",
			`enabled="false"/>`, `enabled="no"/>`, `enabled="no"`},
		{"text outside loctext",
			`<single_instance/>`, `<single_instance/>oops`, "has text"},
		{"child of an EMPTY element",
			`<single_instance/>`, `<single_instance><stability value="Unstable"/></single_instance>`, "is EMPTY"},
		{"an undeclared element",
			`<single_instance/>`, `<single_instance/><bogus/>`, "<bogus> is not declared"},
		{"restarter after dependencies",
			`<method_context`, `<restarter><service_fmri value="svc:/x"/></restarter><method_context`, "<service> children"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(string(Manifest), tt.old, tt.new, 1)
			if doc == string(Manifest) {
				t.Fatalf("%q is not in zoneup.xml: update the test", tt.old)
			}
			errs := validate([]byte(doc))
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tt.want) }) {
				t.Errorf("validate found %q, want an error containing %q", errs, tt.want)
			}
		})
	}
}

// TestManifestDoctype: the DOCTYPE names the DTD where Solaris and illumos
// install it, the path make smf-check's XML catalog maps to the DTD given.
func TestManifestDoctype(t *testing.T) {
	dec := xml.NewDecoder(bytes.NewReader(Manifest))
	var doctypes []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := tok.(xml.Directive); ok {
			doctypes = append(doctypes, strings.Join(strings.Fields(string(d)), " "))
		}
		if _, ok := tok.(xml.StartElement); ok {
			break
		}
	}
	want := `DOCTYPE service_bundle SYSTEM "/usr/share/lib/xml/dtd/service_bundle.dtd.1"`
	if !slices.Equal(doctypes, []string{want}) {
		t.Errorf("directives before the root %q, want <!%s>", doctypes, want)
	}
}
