package channel

import (
	"net/url"
	"strings"
)

// Arrival is what a site sees of one arrival: the campaign tags (if the host
// already parsed them), the referrer and the landing URL. Fields left empty
// are derived from Landing: utm_source, utm_medium and utm_campaign, the click
// IDs (gclid, gbraid, wbraid, yclid, fbclid), Yandex Direct's placement
// ({source_type}: search or context) and retargeting ID (rt or
// retargeting_id).
type Arrival struct {
	Source   string // utm_source
	Medium   string // utm_medium
	Campaign string // utm_campaign
	Referrer string // document.referrer: a URL or a bare host
	Landing  string // the landing page URL, with its query
}

// Tags are the classified view of an Arrival: lower-cased source, medium and
// campaign after the derivation rules, and what the landing URL carried.
type Tags struct {
	Source, Medium, Campaign string
	Click                    string // gclid, gbraid, wbraid, yclid or fbclid; "" if none
	Placement                string // placement / source_type / network parameter
	Retargeting              string // rt / retargeting_id, "" when absent or "0"
	Tagged                   bool   // utm_source or utm_medium was present
}

// clickNames are the click IDs read from landing URLs, in precedence order
// for a URL carrying several: an ad platform's own ID wins over Meta's,
// which Facebook appends to every outbound link.
var clickNames = [...]string{"gclid", "gbraid", "wbraid", "yclid", "fbclid"}

// landing holds the parameters of a landing URL the classifier reads.
type landing struct {
	source, medium, campaign string
	placement, retargeting   string
	click                    int // index into clickNames+1; 0 none
}

// parseLanding scans the query of a landing URL without allocating for the
// parameters it ignores. It never fails: a malformed escape keeps the raw
// value, as browsers and GA4 do.
func parseLanding(raw string) landing {
	var l landing
	q := raw
	if i := strings.IndexByte(q, '#'); i >= 0 {
		q = q[:i]
	}
	if i := strings.IndexByte(q, '?'); i >= 0 {
		q = q[i+1:]
	} else if strings.Contains(q, "://") || !strings.Contains(q, "=") {
		return l // a URL without a query; a bare query string is accepted
	}
	for q != "" {
		var kv string
		if i := strings.IndexByte(q, '&'); i >= 0 {
			kv, q = q[:i], q[i+1:]
		} else {
			kv, q = q, ""
		}
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case equalFold(k, "utm_source"):
			setOnce(&l.source, v)
		case equalFold(k, "utm_medium"):
			setOnce(&l.medium, v)
		case equalFold(k, "utm_campaign"):
			setOnce(&l.campaign, v)
		case equalFold(k, "placement"), equalFold(k, "source_type"), equalFold(k, "network"):
			setOnce(&l.placement, v)
		case equalFold(k, "rt"), equalFold(k, "retargeting_id"):
			if v != "" && v != "0" {
				setOnce(&l.retargeting, v)
			}
		default:
			// Click IDs are case-sensitive parameter names (gbraid and
			// wbraid documented so); match them exactly.
			for i, n := range clickNames {
				if k == n && v != "" && (l.click == 0 || i+1 < l.click) {
					l.click = i + 1
				}
			}
		}
	}
	return l
}

// setOnce keeps the first non-empty occurrence of a repeated parameter, as
// GA4 does, and unescapes it.
func setOnce(dst *string, v string) {
	if *dst != "" || v == "" {
		return
	}
	*dst = unescape(v)
}

func unescape(v string) string {
	if strings.IndexByte(v, '%') < 0 && strings.IndexByte(v, '+') < 0 {
		return v
	}
	if u, err := url.QueryUnescape(v); err == nil {
		return u
	}
	return v
}

// referrerHost returns the lower-cased host of a referrer (a URL or a bare
// host) without port, user info and a leading "www.".
func referrerHost(ref string) string {
	h := strings.TrimSpace(ref)
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	} else {
		h = strings.TrimPrefix(h, "//")
	}
	if i := strings.IndexAny(h, "/?#"); i >= 0 {
		h = h[:i]
	}
	if i := strings.LastIndexByte(h, '@'); i >= 0 {
		h = h[i+1:]
	}
	if strings.HasPrefix(h, "[") { // IPv6 literal
		if i := strings.IndexByte(h, ']'); i >= 0 {
			h = h[:i+1]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimSuffix(lower(h), ".")
	h = strings.TrimPrefix(h, "www.")
	return h
}

// lower is strings.ToLower with an ASCII fast path that does not allocate
// for already lower-case input (the common case for tags).
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != b[i] {
			return false
		}
	}
	return true
}
