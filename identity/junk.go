package identity

import (
	"strings"
)

var placeholderLocals = map[string]bool{
	"test": true, "tests": true, "testing": true, "null": true, "none": true, "nomail": true, "noemail": true,
	"no-email": true, "no_email": true, "no": true, "na": true, "n-a": true, "example": true, "asdf": true,
	"qwerty": true, "123": true, "1234": true, "12345": true, "123456": true, "0": true, "1": true, "a": true,
	"x": true, "xxx": true, "email": true, "mail": true, "noreply": true, "no-reply": true, "unknown": true,
	"нет": true, "тест": true,
}

var placeholderDomains = map[string]bool{
	"test.com": true, "test.ru": true, "test.test": true, "example.com": true, "example.org": true,
	"example.net": true, "example.ru": true, "domain.com": true, "email.com": true, "mail.test": true,
	"localhost.localdomain": true, "nomail.ru": true, "noemail.ru": true, "no.email": true,
}

// junkEmail flags placeholders people and staff type into forms.
func junkEmail(v string) (string, bool) {
	at := strings.LastIndexByte(v, '@')
	local, domain := v[:at], v[at+1:]
	switch {
	case placeholderDomains[domain]:
		return "placeholder domain", true
	case strings.HasPrefix(domain, "test."):
		return "placeholder domain", true
	case placeholderLocals[local] && (strings.HasPrefix(domain, local+".") || local == "test" || local == "null" || local == "none" || local == "noemail" || local == "no-email" || local == "nomail" || local == "noreply" || local == "no-reply" || local == "тест" || local == "нет" || local == "unknown"):
		return "placeholder address", true
	case len(local) >= 4 && strings.Count(local, local[:1]) == len(local):
		return "repeated characters", true
	}
	return "", false
}

// junkPhone flags repeated and sequential digits in the national number.
func junkPhone(e164 string) (string, bool) {
	cc, nsn := splitCallingCode(strings.TrimPrefix(e164, "+"))
	_ = cc
	if len(nsn) < 6 {
		return "", false
	}
	// All digits after the first the same: 79999999999, +7 900 000 00 00.
	if strings.Count(nsn[1:], nsn[1:2]) == len(nsn)-1 {
		return "repeated digits", true
	}
	// Ascending or descending runs: 1234567890, 9876543210.
	up, down := true, true
	for i := 1; i < len(nsn); i++ {
		d := int(nsn[i]) - int(nsn[i-1])
		up = up && (d == 1 || d == -9)
		down = down && (d == -1 || d == 9)
	}
	if up || down {
		return "sequential digits", true
	}
	return "", false
}

var placeholderTokens = map[string]bool{
	"undefined": true, "null": true, "nil": true, "none": true, "0": true, "-1": true, "anonymous": true,
	"unknown": true, "test": true, "n/a": true, "na": true, "-": true, "false": true, "true": true, "[object object]": true,
}

func junkToken(v string) (string, bool) {
	if placeholderTokens[strings.ToLower(v)] {
		return "placeholder value", true
	}
	if len(v) >= 4 && strings.Trim(v, "0-") == "" {
		return "all zeros", true
	}
	return "", false
}
