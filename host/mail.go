package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// InputExecutor is an Executor that can also give a tool its standard
// input (the Runner can).
type InputExecutor interface {
	RunInput(ctx context.Context, change bool, stdin []byte, argv ...string) Result
}

// SendMail hands a message to the host's mailer as unattended-upgrades
// does: `sendmail -t`, the recipients taken from the To: header. The
// message is RFC 5322 text: From (when from is not ""), To, Subject, Date,
// a plain text body. A name or an address with a line break is refused.
func (t Tools) SendMail(ctx context.Context, from, to, subject, body string) error {
	for _, v := range []string{from, to, subject} {
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("sendmail: a header value with a line break: %q", v)
		}
	}
	if to == "" || strings.HasPrefix(to, "-") {
		return fmt.Errorf("sendmail: bad recipient %q", to)
	}
	x, ok := t.X.(InputExecutor)
	if t.X == nil {
		x, ok = NewRunner(), true
	}
	if !ok {
		return errors.New("sendmail: this executor cannot give a tool its input")
	}
	var b strings.Builder
	if from != "" {
		b.WriteString("From: " + from + "\n")
	}
	b.WriteString("To: " + to + "\n")
	b.WriteString("Subject: " + subject + "\n")
	b.WriteString("Date: " + time.Now().Format(time.RFC1123Z) + "\n")
	b.WriteString("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	res := x.RunInput(ctx, true, []byte(b.String()), "sendmail", "-t")
	if res.Err != nil {
		return res.Err
	}
	if res.Code != 0 {
		return fmt.Errorf("sendmail -t: exit %d", res.Code)
	}
	return nil
}
