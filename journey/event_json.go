package journey

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/jsonscan"
)

// ErrBadEvent is wrapped by errors decoding an event's JSON.
var ErrBadEvent = errors.New("journey: bad event")

// UnmarshalJSON decodes one event of the JSONL format:
//
//	{"id":"0190f5e2-…","time":"2026-06-01T10:43:01Z","type":"lead",
//	 "ids":[{"kind":"cookie","value":"GA1.2.5129.1700"},{"kind":"phone","value":"8 916 123-45-67"}],
//	 "touch":{"source":"yandex","medium":"cpc","campaign":"spring","yclid":"123","referrer":"…","landing":"…"},
//	 "value":"2500000.00","currency":"RUB",
//	 "company":"North Motors LLC","site":"north-motors.ru",
//	 "props":{"model":"Camry","dealership":"North"}}
//
// time, type and ids are required; id (a UUID), touch (channel, source,
// medium, campaign, content, term, gclid, gbraid, wbraid, yclid, fbclid,
// referrer, landing), value (a decimal string, exact to the minor unit)
// with currency, and props (strings) are optional; unknown fields are
// ignored.
func (e *Event) UnmarshalJSON(b []byte) error {
	var out Event
	var amount, currency string
	s := jsonscan.New(b)
	str := func(dst *string) error {
		v, err := s.StringOrNull()
		*dst = v
		return err
	}
	err := s.Object(func(key []byte) error {
		switch string(key) {
		case "id":
			var v string
			if err := str(&v); err != nil {
				return err
			}
			if v != "" {
				id, err := uuid.Parse(v)
				if err != nil {
					return fmt.Errorf("id %q: not a UUID", v)
				}
				out.ID = id
			}
		case "time":
			v, err := s.String()
			if err != nil {
				return err
			}
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return fmt.Errorf("time %q: want RFC 3339", v)
			}
			out.Time = t
		case "type":
			var typ string
			if err := str(&typ); err != nil {
				return err
			}
			out.Type = EventType(typ)
		case "ids":
			return s.Array(func() error {
				kind, value, _, _, err := s.KindValue()
				id := identity.ID{Kind: identity.Kind(kind), Value: value}
				if err == nil && (id.Kind == "" || id.Value == "") {
					err = errors.New("an identifier needs kind and value")
				}
				out.IDs = append(out.IDs, id)
				return err
			})
		case "touch":
			if s.Peek() == 'n' {
				return s.Skip()
			}
			return s.Object(func(k []byte) error {
				if i := touchField(k); i >= 0 {
					return str(out.Touch.field(i))
				}
				return s.Skip()
			})
		case "value":
			if s.Peek() == '"' || s.Peek() == 'n' {
				return str(&amount)
			}
			raw, err := s.Raw() // a bare number: decimal text
			amount = string(raw)
			return err
		case "currency":
			return str(&currency)
		case "company":
			return str(&out.Company)
		case "site":
			return str(&out.Site)
		case "props":
			if s.Peek() == 'n' {
				return s.Skip()
			}
			out.Props = map[string]string{}
			return s.Object(func(k []byte) error {
				v, err := s.String()
				out.Props[string(k)] = v
				return err
			})
		default:
			return s.Skip()
		}
		return nil
	})
	if err == nil {
		err = s.End()
	}
	if err := completed(&out, err, amount, currency); err != nil {
		return err
	}
	*e = out
	return nil
}

// completed checks what every decoded event needs (a time, a type,
// identifiers), sets its value from the amount, and wraps a decoding
// error err in ErrBadEvent.
func completed(e *Event, err error, amount, currency string) error {
	switch {
	case err != nil:
	case e.Time.IsZero():
		err = errors.New("no time")
	case e.Type == "":
		err = errors.New("no type")
	case len(e.IDs) == 0:
		err = errors.New("no ids")
	case amount != "":
		e.Value, err = ParseMoney(amount, currency)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	return nil
}

// AppendJSON appends the event's JSON (the format UnmarshalJSON reads).
func (e Event) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	if e.ID != uuid.Nil {
		b = append(b, `"id":"`...)
		b = append(b, e.ID.String()...)
		b = append(b, `",`...)
	}
	b = append(b, `"time":"`...)
	b = e.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","type":`...)
	b = jsonscan.AppendString(b, string(e.Type))
	b = append(b, `,"ids":[`...)
	for i, id := range e.IDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"kind":`...)
		b = jsonscan.AppendString(b, string(id.Kind))
		b = append(b, `,"value":`...)
		b = jsonscan.AppendString(b, id.Value)
		b = append(b, '}')
	}
	b = append(b, ']')
	if !e.Touch.IsZero() {
		t := e.Touch
		b = append(b, `,"touch":{`...)
		first := true
		for i, k := range touchFields {
			v := *t.field(i)
			if v == "" {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = jsonscan.AppendString(b, k)
			b = append(b, ':')
			b = jsonscan.AppendString(b, v)
		}
		b = append(b, '}')
	}
	if e.Value != (Money{}) {
		b = append(b, `,"value":"`...)
		v := e.Value
		v.Currency = ""
		b = append(b, v.String()...)
		b = append(b, `","currency":`...)
		b = jsonscan.AppendString(b, e.Value.Currency)
	}
	if e.Company != "" {
		b = append(b, `,"company":`...)
		b = jsonscan.AppendString(b, e.Company)
	}
	if e.Site != "" {
		b = append(b, `,"site":`...)
		b = jsonscan.AppendString(b, e.Site)
	}
	if len(e.Props) > 0 {
		b = append(b, `,"props":{`...)
		keys := make([]string, 0, len(e.Props))
		for k := range e.Props {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonscan.AppendString(b, k)
			b = append(b, ':')
			b = jsonscan.AppendString(b, e.Props[k])
		}
		b = append(b, '}')
	}
	return append(b, '}')
}
