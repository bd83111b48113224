package smf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// specConfig is the table of SPEC section 4, written out here on purpose:
// smf does not import the daemon, and the daemon's own test compares
// daemon.Defaults with ConfigDefaults.
var specConfig = []struct{ key, typ, value string }{
	{"db_path", "astring", "/var/zoneup/zoneup.db"},
	{"socket_path", "astring", "/var/run/zoneup/zoneupd.sock"},
	{"window", "astring", "always"},
	{"concurrency", "count", "2"},
	{"ladder", "astring", "global-publishers,zone-publishers,step-release,image-update,remove-conflicts,recreate-image"},
	{"allow", "astring", ""},
	{"conflict_packages", "astring", "*apch*,*apache*,*php*,*postgr*,*sunstudio*,ss-dev*"},
	{"step_releases", "astring", "opensolaris.org=http://pkg.opensolaris.org/release/@0.5.11-0.134"},
	{"recreate_origin", "astring", ""},
	{"restore_paths", "astring", "etc/passwd,etc/shadow,etc/group,etc/user_attr,etc/hosts,etc/inet/hosts,etc/nodename,etc/resolv.conf,etc/nsswitch.conf,etc/default/init,etc/ssh,var/spool/cron/crontabs"},
	{"boot_after", "boolean", "true"},
	{"stage_timeout", "astring", "2h"},
	{"verify_timeout", "astring", "10m"},
	{"default_job_duration", "astring", "1h"},
	{"breaker_threshold", "count", "3"},
	{"log_level", "astring", "info"},
	{"admin_group", "astring", ""},
	{"metrics_file", "astring", ""},
	{"report_mail", "astring", ""},
}

// The parts of service_bundle(5) that zoneup.xml uses.
type (
	xmlBundle struct {
		XMLName  xml.Name     `xml:"service_bundle"`
		Type     string       `xml:"type,attr"`
		Name     string       `xml:"name,attr"`
		Services []xmlService `xml:"service"`
	}
	xmlService struct {
		Name           string             `xml:"name,attr"`
		Type           string             `xml:"type,attr"`
		CreateDefault  *xmlEnabled        `xml:"create_default_instance"`
		SingleInstance *struct{}          `xml:"single_instance"`
		Dependencies   []xmlDependency    `xml:"dependency"`
		Dependents     []xmlDependency    `xml:"dependent"`
		MethodContext  *xmlMethodContext  `xml:"method_context"`
		ExecMethods    []xmlExecMethod    `xml:"exec_method"`
		PropertyGroups []xmlPropertyGroup `xml:"property_group"`
		Instances      []xmlInstance      `xml:"instance"`
		Stability      *xmlValue          `xml:"stability"`
		Template       *xmlTemplate       `xml:"template"`
	}
	xmlEnabled struct {
		Enabled string `xml:"enabled,attr"`
	}
	xmlValue struct {
		Value string `xml:"value,attr"`
	}
	xmlDependency struct {
		Name      string     `xml:"name,attr"`
		Grouping  string     `xml:"grouping,attr"`
		RestartOn string     `xml:"restart_on,attr"`
		Type      string     `xml:"type,attr"`
		FMRIs     []xmlValue `xml:"service_fmri"`
	}
	xmlMethodContext struct {
		Credential *struct {
			User            string  `xml:"user,attr"`
			Privileges      *string `xml:"privileges,attr"`
			LimitPrivileges *string `xml:"limit_privileges,attr"`
		} `xml:"method_credential"`
		Profile     *xmlValue `xml:"method_profile"`
		Environment []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"method_environment>envvar"`
	}
	xmlExecMethod struct {
		Type          string            `xml:"type,attr"`
		Name          string            `xml:"name,attr"`
		Exec          string            `xml:"exec,attr"`
		Timeout       string            `xml:"timeout_seconds,attr"`
		MethodContext *xmlMethodContext `xml:"method_context"`
	}
	xmlPropertyGroup struct {
		Name     string       `xml:"name,attr"`
		Type     string       `xml:"type,attr"`
		Propvals []xmlPropval `xml:"propval"`
	}
	xmlPropval struct {
		Name  string `xml:"name,attr"`
		Type  string `xml:"type,attr"`
		Value string `xml:"value,attr"`
	}
	xmlInstance struct {
		Name           string             `xml:"name,attr"`
		Enabled        string             `xml:"enabled,attr"`
		Dependencies   []xmlDependency    `xml:"dependency"`
		MethodContext  *xmlMethodContext  `xml:"method_context"`
		ExecMethods    []xmlExecMethod    `xml:"exec_method"`
		PropertyGroups []xmlPropertyGroup `xml:"property_group"`
	}
	xmlTemplate struct {
		CommonName []string `xml:"common_name>loctext"`
		Manpages   []struct {
			Title   string `xml:"title,attr"`
			Section string `xml:"section,attr"`
		} `xml:"documentation>manpage"`
	}
)

func loadManifest(t *testing.T) *xmlService {
	t.Helper()
	b, err := os.ReadFile("zoneup.xml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, Manifest) {
		t.Fatal("the embedded Manifest differs from zoneup.xml")
	}
	var sb xmlBundle
	if err := xml.Unmarshal(b, &sb); err != nil {
		t.Fatalf("zoneup.xml: %v", err)
	}
	if sb.Type != "manifest" || len(sb.Services) != 1 {
		t.Fatalf("service_bundle type %q with %d services, want one service in a manifest", sb.Type, len(sb.Services))
	}
	return &sb.Services[0]
}

func (s *xmlService) pg(name string) *xmlPropertyGroup {
	for i := range s.PropertyGroups {
		if s.PropertyGroups[i].Name == name {
			return &s.PropertyGroups[i]
		}
	}
	return nil
}

func (pg *xmlPropertyGroup) prop(name string) *xmlPropval {
	for i := range pg.Propvals {
		if pg.Propvals[i].Name == name {
			return &pg.Propvals[i]
		}
	}
	return nil
}

func (s *xmlService) method(name string) *xmlExecMethod {
	for i := range s.ExecMethods {
		if s.ExecMethods[i].Name == name {
			return &s.ExecMethods[i]
		}
	}
	return nil
}

func TestManifestService(t *testing.T) {
	s := loadManifest(t)
	if s.Name != Service || s.Type != "service" {
		t.Errorf("service %q type %q, want %q type service", s.Name, s.Type, Service)
	}
	if s.SingleInstance == nil {
		t.Error("no single_instance: two zoneupd would fight over the database and the zones")
	}
	// One instance, default, delivered disabled: the administrator enables it.
	var names []string
	for _, in := range s.Instances {
		names = append(names, in.Name)
		if in.Enabled != "false" {
			t.Errorf("instance %s enabled=%q, want false", in.Name, in.Enabled)
		}
		if len(in.PropertyGroups) > 0 || len(in.ExecMethods) > 0 || in.MethodContext != nil || len(in.Dependencies) > 0 {
			// `svccfg -s application/zoneup setprop config/...` sets the
			// service's properties; an instance-level config, method,
			// context or dependency would hide the service's.
			t.Errorf("instance %s has its own property groups, methods, method_context or dependencies", in.Name)
		}
	}
	if s.CreateDefault != nil || !slices.Equal(names, []string{Instance}) {
		t.Errorf("instances %q (create_default_instance %v), want exactly one <instance name=%q>", names, s.CreateDefault != nil, Instance)
	}
	if s.Stability == nil || s.Stability.Value == "" {
		t.Error("no stability")
	}
	if s.Template == nil || len(s.Template.CommonName) == 0 || strings.TrimSpace(s.Template.CommonName[0]) == "" {
		t.Fatal("template without common_name")
	}
	var pages []string
	for _, m := range s.Template.Manpages {
		pages = append(pages, m.Title+"("+m.Section+")")
	}
	if !slices.Equal(pages, []string{"zoneupd(8)", "zoneupadm(8)"}) {
		t.Errorf("template manpages %q, want zoneupd(8) zoneupadm(8)", pages)
	}
}

func TestManifestDependencies(t *testing.T) {
	s := loadManifest(t)
	want := map[string]string{
		"svc:/system/filesystem/local:default": "require_all",
		"svc:/milestone/network:default":       "require_all",
		"svc:/system/zones:default":            "optional_all",
	}
	got := map[string]string{}
	for _, d := range s.Dependencies {
		if d.Type != "service" || d.RestartOn != "none" {
			t.Errorf("dependency %s: type %q restart_on %q, want service, none (a restart must not stop running upgrades)", d.Name, d.Type, d.RestartOn)
		}
		for _, f := range d.FMRIs {
			got[f.Value] = d.Grouping
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("dependencies %q, want %q", got, want)
	}
	// system/zones requires multi-user-server: a dependent on that
	// milestone would be a cycle.
	if len(s.Dependents) > 0 {
		t.Errorf("dependents %v, want none", s.Dependents)
	}
}

func TestManifestMethodContext(t *testing.T) {
	s := loadManifest(t)
	mc := s.MethodContext
	if mc == nil || mc.Credential == nil || mc.Profile != nil {
		t.Fatal("want a method_context with a method_credential (and no method_profile)")
	}
	// zoneadm refuses to change zones without the full privilege set.
	if mc.Credential.User != "root" || mc.Credential.Privileges != nil || mc.Credential.LimitPrivileges != nil {
		t.Errorf("method_credential user %q privileges %v limit_privileges %v, want root with the default (full) set",
			mc.Credential.User, mc.Credential.Privileges, mc.Credential.LimitPrivileges)
	}
	// A method's own method_context would replace the service's, and
	// with it the credential.
	for _, m := range s.ExecMethods {
		if m.MethodContext != nil {
			t.Errorf("exec_method %s has its own method_context", m.Name)
		}
	}
	env := map[string]string{}
	for _, e := range mc.Environment {
		env[e.Name] = e.Value
	}
	if want := map[string]string{"PATH": "/usr/sbin:/usr/bin", "LC_ALL": "C"}; !maps.Equal(env, want) {
		t.Errorf("method_environment %q, want %q", env, want)
	}
}

func TestManifestMethods(t *testing.T) {
	s := loadManifest(t)
	want := map[string]string{
		"start":   "/usr/lib/zoneup/zoneupd --background",
		"refresh": "/usr/sbin/zoneupadm --socket %{config/socket_path} reload",
		"stop":    "/usr/sbin/zoneupadm --socket %{config/socket_path} shutdown --wait",
	}
	got := map[string]string{}
	for _, m := range s.ExecMethods {
		got[m.Name] = m.Exec
		if m.Type != "method" {
			t.Errorf("exec_method %s type %q", m.Name, m.Type)
		}
		if strings.HasPrefix(m.Exec, ":kill") {
			t.Errorf("exec_method %s is %q: that signals every process of the contract, pkg and zoneadm too", m.Name, m.Exec)
		}
		if n, err := strconv.Atoi(m.Timeout); err != nil || n <= 0 {
			t.Errorf("exec_method %s timeout_seconds %q, want a positive number", m.Name, m.Timeout)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("methods %q, want %q", got, want)
	}
	stop, err := strconv.Atoi(s.method("stop").Timeout)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(stop) * time.Second; d != StopTimeout || d <= DrainGrace+time.Minute {
		t.Errorf("stop timeout %v: want StopTimeout (%v), well beyond the drain grace (%v)", d, StopTimeout, DrainGrace)
	}
	// The socket path the methods expand is a property that exists.
	if s.pg("config") == nil || s.pg("config").prop("socket_path") == nil {
		t.Error("methods use %{config/socket_path} but the manifest has no config/socket_path")
	}
}

func TestManifestStartd(t *testing.T) {
	s := loadManifest(t)
	pg := s.pg("startd")
	if pg == nil || pg.Type != "framework" {
		t.Fatal("no property group startd of type framework")
	}
	for name, want := range map[string]string{"duration": "contract", "ignore_error": "core,signal"} {
		if p := pg.prop(name); p == nil || p.Type != "astring" || p.Value != want {
			t.Errorf("startd/%s = %+v, want astring %q", name, p, want)
		}
	}
}

func TestManifestConfig(t *testing.T) {
	s := loadManifest(t)
	pg := s.pg("config")
	if pg == nil || pg.Type != "application" {
		t.Fatal("no property group config of type application")
	}
	var keys []string
	for _, p := range pg.Propvals {
		keys = append(keys, p.Name)
	}
	var want []string
	for _, c := range specConfig {
		want = append(want, c.key)
		p := pg.prop(c.key)
		if p == nil {
			continue
		}
		if p.Type != c.typ || p.Value != c.value {
			t.Errorf("config/%s = %s %q, want %s %q (SPEC 4)", c.key, p.Type, p.Value, c.typ, c.value)
		}
	}
	if !slices.Equal(keys, want) {
		t.Errorf("config keys\n got %q\nwant %q (SPEC 4, in its order)", keys, want)
	}
	kv, err := ConfigDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range specConfig {
		if v, ok := kv[c.key]; !ok || v != c.value {
			t.Errorf("ConfigDefaults()[%s] = %q, %v; want %q", c.key, v, ok, c.value)
		}
	}
}

// TestManifestPortable: nothing newer than the 2009 DTD, so the manifest
// imports on every release the ladder knows (reference 7.4, 7.9).
func TestManifestPortable(t *testing.T) {
	known := map[string]bool{}
	for e := range portableDTD {
		known[e] = true
	}
	for _, e := range []string{"notification_parameters", "property", "pg_pattern", "prop_pattern"} {
		if known[e] {
			t.Errorf("portableDTD declares <%s>, which is newer than 2009 or not portable", e)
		}
	}
	if _, ok := portableDTD["method_context"].attrs["security_flags"]; ok {
		t.Error("portableDTD declares method_context security_flags (illumos, 2015)")
	}
	types := map[string]bool{"astring": true, "count": true, "integer": true, "boolean": true}
	dec := xml.NewDecoder(bytes.NewReader(Manifest))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !known[se.Name.Local] {
			t.Errorf("element <%s> is not in the portable set", se.Name.Local)
		}
		for _, a := range se.Attr {
			if a.Name.Local == "security_flags" {
				t.Errorf("<%s security_flags>: illumos-only, newer than 2015", se.Name.Local)
			}
			if a.Name.Local == "type" && (se.Name.Local == "propval" || se.Name.Local == "property") && !types[a.Value] {
				t.Errorf("<%s type=%q>: use astring, count, integer or boolean", se.Name.Local, a.Value)
			}
		}
	}
}

// TestManifestDTD validates against the real DTD with xmllint, as make
// smf-check does: the DTD in $ZONEUP_DTD (make test DTD=... sets it), or
// the host's own. Skipped without xmllint or a DTD: the tests never read
// anything outside the tree on their own, and TestManifestStructure
// checks the same rules in Go.
func TestManifestDTD(t *testing.T) {
	dtd := os.Getenv("ZONEUP_DTD")
	if dtd == "" {
		dtd = "/usr/share/lib/xml/dtd/service_bundle.dtd.1"
		if _, err := os.Stat(dtd); err != nil {
			t.Skip("no DTD: make test DTD=path/service_bundle.dtd.1 passes one as $ZONEUP_DTD")
		}
	} else if _, err := os.Stat(dtd); err != nil {
		t.Fatalf("$ZONEUP_DTD: %v", err)
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--dtdvalid", dtd, "zoneup.xml").CombinedOutput()
	if err != nil {
		t.Errorf("xmllint: %v\n%s", err, out)
	}
}
