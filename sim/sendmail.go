package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// sendmail(8), as a program hands it a message: the message on stdin,
// recipients as operands and (-t) from the To:, Cc: and Bcc: headers. The
// message is not delivered anywhere: it is kept in WORLD/mail/NNNN.eml.

const (
	mailDir     = "mail"   // the messages sendmail took
	durSendmail = 0.5      // seconds
	maxMail     = 32 << 20 // bytes of stdin read
	msgNoRcpt   = "sendmail: No recipient addresses found in header"
	hdrEnvTo    = "X-Zonesim-Envelope-To"
	hdrSeq      = "X-Zonesim-Invocation"
	exUsage     = 64 // sysexits EX_USAGE
)

// Mail is one message sendmail took, as `zonesim mail --json` prints it.
type Mail struct {
	File    string   `json:"file"`    // WORLD/mail/NNNN.eml
	Seq     int      `json:"seq"`     // the sendmail call's invocation number
	From    string   `json:"from"`    // the envelope sender (-f or -r, else the From: address)
	To      []string `json:"to"`      // the envelope recipients: operands, then (-t) To:, Cc:, Bcc:
	Subject string   `json:"subject"` // decoded (RFC 2047)
	Body    string   `json:"body"`    // everything after the blank line that ends the header, as sent
}

func (c *call) sendmail() int {
	var fromHdr, sender string
	extract, ignoreDots := false, false
	args := c.args
	var rcpts []string
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		// Options whose value may be attached or the next argument.
		value := func() (string, bool) {
			if len(a) > 2 {
				return a[2:], true
			}
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		switch a[1] {
		case 't':
			extract = true
		case 'i':
			ignoreDots = true
		case 'o':
			// -oi is -i; every other -oX (-odi, -oem, -oQ...) is accepted.
			if a == "-oi" {
				ignoreDots = true
			} else if len(a) == 2 {
				if _, ok := value(); !ok {
					return c.fail(exUsage, "sendmail: option requires an argument -- o")
				}
			}
		case 'f', 'r':
			v, ok := value()
			if !ok {
				return c.fail(exUsage, "sendmail: option requires an argument -- %c", a[1])
			}
			sender = v
		case 'F', 'O', 'N', 'R', 'V', 'B', 'X', 'L', 'p', 'h', 'q', 'C':
			if _, ok := value(); !ok {
				return c.fail(exUsage, "sendmail: option requires an argument -- %c", a[1])
			}
		case 'b':
			if a != "-bm" {
				return c.fail(exUsage, "sendmail: zonesim takes messages only (-bm), not %s", a)
			}
		case 'v', 'm', 'n', 'U', 'G', 'A', 'E', 'e', 'x':
			// verbose, metoo, no aliasing, initial submission, ...: no effect here.
		default:
			return c.fail(exUsage, "sendmail: illegal option -- %c", a[1])
		}
	}
	for _, a := range args[i:] {
		rcpts = append(rcpts, splitAddresses(a)...)
	}

	raw, err := io.ReadAll(io.LimitReader(c.by.stdin, maxMail))
	if err != nil {
		return c.fail(75, "sendmail: reading the message: %v", err) // EX_TEMPFAIL
	}
	if !ignoreDots {
		raw = cutAtDot(raw)
	}
	hdr, _ := splitMessage(raw)
	if extract {
		for _, name := range []string{"To", "Cc", "Bcc"} {
			for _, v := range headerValues(hdr, name) {
				rcpts = append(rcpts, splitAddresses(v)...)
			}
		}
	}
	if v := headerValues(hdr, "From"); len(v) > 0 {
		if as := splitAddresses(v[0]); len(as) > 0 {
			fromHdr = as[0]
		}
	}
	if sender == "" {
		sender = fromHdr
	}
	if sender == "" {
		sender = "root" // the invoking user, as sendmail takes it
		if u, err := user.Current(); err == nil && u.Username != "" {
			sender = u.Username
		}
	}
	if len(rcpts) == 0 {
		return c.fail(1, "%s", msgNoRcpt)
	}

	c.wait(c.dur(durSendmail, ""))
	var path string
	code := c.end(false, func(*world) int {
		// Under the world lock: the number is the next free one.
		dir := filepath.Join(c.world, mailDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintf(c.errw, "sendmail: zonesim: %v\n", err)
			return 75
		}
		n := 0
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if k, ok := mailNumber(e.Name()); ok && k > n {
				n = k
			}
		}
		path = filepath.Join(dir, fmt.Sprintf("%04d.eml", n+1))
		var b bytes.Buffer
		fmt.Fprintf(&b, "Return-Path: <%s>\n%s: %s\n%s: %d\n", sender, hdrEnvTo, strings.Join(rcpts, ", "), hdrSeq, c.seq)
		b.Write(raw)
		if err := writeAtomic(path, b.Bytes()); err != nil {
			fmt.Fprintf(c.errw, "sendmail: zonesim: %v\n", err)
			return 75
		}
		return 0
	})
	return code
}

// mailNumber is NNNN of NNNN.eml.
func mailNumber(name string) (int, bool) {
	s, ok := strings.CutSuffix(name, ".eml")
	if !ok || s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// cutAtDot ends the message at a line holding a single dot, as sendmail
// does on stdin without -i.
func cutAtDot(raw []byte) []byte {
	off := 0
	for off < len(raw) {
		end := bytes.IndexByte(raw[off:], '\n')
		line := raw[off:]
		next := len(raw)
		if end >= 0 {
			line, next = raw[off:off+end], off+end+1
		}
		if string(bytes.TrimSuffix(line, []byte("\r"))) == "." {
			return raw[:off]
		}
		off = next
	}
	return raw
}

// splitMessage parses the header (RFC 5322 fields, folded lines joined)
// up to the first blank line, or up to the first line that is no header
// field (which begins the body, as sendmail takes it); body is the rest.
func splitMessage(raw []byte) (hdr [][2]string, body string) {
	s := string(raw)
	for s != "" {
		line, rest, found := strings.Cut(s, "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return hdr, rest
		}
		if (line[0] == ' ' || line[0] == '\t') && len(hdr) > 0 {
			hdr[len(hdr)-1][1] += " " + strings.TrimSpace(line)
		} else if name, val, ok := strings.Cut(line, ":"); ok && name != "" && !strings.ContainsAny(name, " \t") {
			hdr = append(hdr, [2]string{name, strings.TrimSpace(val)})
		} else {
			return hdr, s
		}
		if !found {
			return hdr, ""
		}
		s = rest
	}
	return hdr, ""
}

func headerValues(hdr [][2]string, name string) []string {
	var out []string
	for _, h := range hdr {
		if strings.EqualFold(h[0], name) {
			out = append(out, h[1])
		}
	}
	return out
}

// splitAddresses is the addresses of a header value or an operand:
// RFC 5322 mailboxes ("Ops <ops@example.org>", groups) or bare local names
// ("root"), comma separated.
func splitAddresses(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	if list, err := mail.ParseAddressList(v); err == nil {
		var out []string
		for _, a := range list {
			out = append(out, a.Address)
		}
		return out
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if a, err := mail.ParseAddress(p); err == nil {
			out = append(out, a.Address)
		} else if p != "" {
			out = append(out, strings.Trim(p, "<>"))
		}
	}
	return out
}

// ReadMail reads the messages sendmail kept in a world, in the order they
// were sent.
func ReadMail(world string) ([]Mail, error) {
	dir := filepath.Join(world, mailDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(world, lockFile)); serr != nil {
			return nil, fmt.Errorf("%w at %s", ErrNoWorld, world)
		}
		return []Mail{}, nil
	}
	if err != nil {
		return nil, err
	}
	type numbered struct {
		n    int
		name string
	}
	var files []numbered
	for _, e := range ents {
		if n, ok := mailNumber(e.Name()); ok {
			files = append(files, numbered{n, e.Name()})
		}
	}
	slices.SortFunc(files, func(a, b numbered) int { return a.n - b.n })
	out := []Mail{}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, parseMail(p, b))
	}
	return out, nil
}

func parseMail(path string, b []byte) Mail {
	hdr, body := splitMessage(b)
	m := Mail{File: path, To: []string{}, Body: body}
	for _, h := range hdr {
		switch {
		case strings.EqualFold(h[0], "Return-Path") && m.From == "":
			m.From = strings.Trim(h[1], "<>")
		case strings.EqualFold(h[0], hdrEnvTo):
			m.To = append(m.To, splitAddresses(h[1])...)
		case strings.EqualFold(h[0], hdrSeq):
			m.Seq, _ = strconv.Atoi(h[1])
		case strings.EqualFold(h[0], "Subject") && m.Subject == "":
			m.Subject = h[1]
			if d, err := new(mime.WordDecoder).DecodeHeader(h[1]); err == nil {
				m.Subject = d
			}
		}
	}
	return m
}

// mailCommand is `zonesim mail`: the messages, as JSON or one line each.
func mailCommand(world string, asJSON bool, out io.Writer) error {
	ms, err := ReadMail(world)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(ms)
	}
	for _, m := range ms {
		fmt.Fprintf(out, "%s  seq %d  from %s  to %s  subject %q  (%d bytes of body)\n",
			filepath.Base(m.File), m.Seq, m.From, strings.Join(m.To, ","), m.Subject, len(m.Body))
	}
	if len(ms) == 0 {
		fmt.Fprintln(out, "no mail")
	}
	return nil
}
