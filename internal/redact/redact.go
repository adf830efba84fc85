// Package redact keeps credentials out of what sohoa prints. The
// settings that say where Redis, PostgreSQL, S3, the time-stamp authority
// and webhook receivers are may carry a password or a token (in the
// userinfo, a keyword/value DSN's password=, or the query), and both our
// own messages and the errors libraries return quote them. URL gives the
// printable form of such a setting; Error scrubs an error's text, whoever
// wrote it, of the secrets of the settings it may name.
package redact

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mask replaces every secret.
const Mask = "xxxxx"

// kvPassword is the password of a PostgreSQL keyword/value DSN, quoted
// ('it”s', with \' and \\ escapes) or not.
var kvPassword = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.|'')*'|[^\s']*)`)

// URL returns s, a URL (redis://, postgres://, https://...), a
// PostgreSQL keyword/value DSN or a host:port, fit for a message: the
// password in the userinfo and in password=, and every query value
// (which parameter carries a token is the receiver's choice), become
// Mask. A URL that does not parse loses whatever lies between "//" and
// the last "@" before its path, and its query.
func URL(s string) string {
	if !strings.Contains(s, "://") {
		if strings.Contains(s, "=") { // keyword/value DSN
			return kvPassword.ReplaceAllString(s, "${1}"+Mask)
		}
		// host:port, perhaps with user:password@ in front.
		if i := strings.LastIndex(s, "@"); i >= 0 {
			return Mask + s[i:]
		}
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return unparsed(s)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for _, vs := range q {
			for i := range vs {
				vs[i] = Mask
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// unparsed redacts a URL url.Parse refused.
func unparsed(s string) string {
	scheme, rest, _ := strings.Cut(s, "://")
	rest, _, hasQuery := strings.Cut(rest, "?")
	auth, path, hasPath := strings.Cut(rest, "/")
	if i := strings.LastIndex(auth, "@"); i >= 0 {
		auth = Mask + auth[i:]
	}
	out := scheme + "://" + auth
	if hasPath {
		out += "/" + path
	}
	if hasQuery {
		out += "?" + Mask
	}
	return out
}

// secretKey matches the query parameters whose value, quoted on its own,
// is a secret. Other values (sslmode=disable) are scrubbed only as part
// of the query or the whole URL: scrubbing every "disable" would garble
// the message.
var secretKey = regexp.MustCompile(`(?i)pass|token|secret|key|sig|auth|cred`)

// secrets returns the strings of s that must not be printed, longest
// first: s itself, then its raw query, secret query values and password
// in each spelling.
func secrets(s string) []string {
	if s == "" {
		return nil
	}
	out := []string{s}
	add := func(v string) {
		// A secret of one or two characters protects nothing, and
		// replacing it everywhere would garble the message.
		if len(v) >= 3 {
			out = append(out, v)
		}
	}
	if !strings.Contains(s, "://") {
		for _, m := range kvPassword.FindAllStringSubmatch(s, -1) {
			v := m[2]
			add(v)
			if unq, ok := strings.CutPrefix(v, "'"); ok {
				add(strings.TrimSuffix(unq, "'"))
			}
		}
		if i := strings.LastIndex(s, "@"); i >= 0 && !strings.Contains(s, "=") {
			_, pw, _ := strings.Cut(s[:i], ":")
			add(pw)
		}
	} else if u, err := url.Parse(s); err == nil {
		add(u.RawQuery)
		for k, vs := range u.Query() {
			if secretKey.MatchString(k) {
				for _, v := range vs {
					add(v)
				}
			}
		}
		if pw, ok := u.User.Password(); ok {
			add(pw)
			add(url.UserPassword("", pw).String()[1:]) // as escaped in the URL
		}
	} else {
		_, rest, _ := strings.Cut(s, "://")
		rest, query, _ := strings.Cut(rest, "?")
		add(query)
		auth, _, _ := strings.Cut(rest, "/")
		if i := strings.LastIndex(auth, "@"); i >= 0 {
			_, pw, _ := strings.Cut(auth[:i], ":")
			add(pw)
			if dec, err := url.PathUnescape(pw); err == nil {
				add(dec)
			}
		}
	}
	// Longest first: a replacer tries its strings in order.
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(out)
}

// Text returns msg with the secrets of each of urls (as URL takes them)
// replaced: a whole URL by its redacted form, a password or query value
// on its own by Mask.
func Text(msg string, urls ...string) string {
	for _, s := range urls {
		sec := secrets(s)
		if len(sec) == 0 {
			continue
		}
		// Every other secret is part of s, so s, the longest, is tried
		// first at each position.
		pairs := []string{s, URL(s)}
		for _, v := range sec[1:] {
			pairs = append(pairs, v, Mask)
		}
		msg = strings.NewReplacer(pairs...).Replace(msg)
	}
	return msg
}

// Error returns err with the secrets of urls taken out of its text (see
// Text); errors.Is and errors.As see through it to err. It returns err
// itself when there was nothing to take out, and nil for nil.
func Error(err error, urls ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := Text(msg, urls...); red != msg {
		return &redacted{msg: red, err: err}
	}
	return err
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
