package cli

import (
	"net/url"
	"regexp"
	"strings"
)

// redacted stands in for a credential in anything printed.
const redacted = "xxxxx"

// secretParam matches password=... in a key=value connection string or a
// URL query (PostgreSQL accepts both), up to a separator.
var secretParam = regexp.MustCompile(`(?i)\b((?:ssl)?password)=('[^']*'|[^\s&;]*)`)

// RedactURL returns rawURL (or a comma-separated list of URLs, as
// ASSETS_ELASTICSEARCH_URL allows) fit to print: the user's password and
// any password=... parameter replaced. What does not parse as a URL is
// still stripped of password=... .
func RedactURL(rawURL string) string {
	parts := strings.Split(rawURL, ",")
	for i, p := range parts {
		parts[i] = redactOne(p)
	}
	return strings.Join(parts, ",")
}

func redactOne(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return secretParam.ReplaceAllString(raw, "${1}="+redacted)
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	out := u.String()
	if u.RawQuery != "" {
		out = secretParam.ReplaceAllString(out, "${1}="+redacted)
	}
	return strings.Replace(out, url.QueryEscape(redacted), redacted, 1)
}

// RedactError returns err with every password of rawURLs removed from its
// message, for errors of libraries that might quote a URL; nil stays nil.
func RedactError(err error, rawURLs ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, raw := range rawURLs {
		for _, secret := range passwords(raw) {
			msg = strings.ReplaceAll(msg, secret, redacted)
		}
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// passwords are the credentials in a URL list, as written and decoded.
func passwords(rawURL string) []string {
	var out []string
	for _, p := range strings.Split(rawURL, ",") {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil {
			if pw, ok := u.User.Password(); ok && pw != "" {
				out = append(out, pw, url.PathEscape(pw), url.QueryEscape(pw))
			}
		}
		for _, m := range secretParam.FindAllStringSubmatch(p, -1) {
			if v := strings.Trim(m[2], "'"); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// redactedError keeps the chain of the original error (errors.Is and As
// still see it) with a message fit to print.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
