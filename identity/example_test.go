package identity_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
)

func ExampleGraph_Observe() {
	g, _ := identity.New(nil)
	form, _ := g.Observe(identity.Observation{
		Time:   time.Date(2026, 6, 1, 10, 43, 1, 0, time.UTC),
		Source: "web_form",
		IDs: []identity.ID{
			{Kind: identity.Email, Value: "Ivan.Petrov@Gmail.com"},
			{Kind: identity.Cookie, Value: "GA1.2.512900830.1700083068"},
		},
	})
	// A second form from the same browser, with a phone: one person.
	again, _ := g.Observe(identity.Observation{
		Time:   time.Date(2026, 6, 3, 15, 0, 0, 0, time.UTC),
		Source: "web_form",
		IDs: []identity.ID{
			{Kind: identity.Phone, Value: "8 (916) 123-45-67"},
			{Kind: identity.Cookie, Value: "512900830.1700083068"}, // the same client ID, bare
		},
	})
	fmt.Println(len(form.Created), len(again.Created), again.Profile == form.Profile, again.Added)
	// Output: 1 0 true 1
}

func ExampleGraph_Resolve() {
	g, _ := identity.New(nil)
	ch, _ := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{
		{Kind: identity.Phone, Value: "+7 916 123 45 67"},
		{Kind: identity.Email, Value: "anna@mail.ru"},
	}})
	p, err := g.Resolve(identity.Phone, "8-916-1234567")
	fmt.Println(p == ch.Profile, err)
	_, err = g.Resolve(identity.Phone, "8-916-7654321")
	fmt.Println(errors.Is(err, identity.ErrNotFound))
	_, err = g.Resolve(identity.Phone, "call me")
	fmt.Println(errors.Is(err, identity.ErrMalformed))
	// Output:
	// true <nil>
	// true
	// true
}

func ExampleGraph_Keys() {
	g, _ := identity.New(nil)
	ch, _ := g.Observe(identity.Observation{Source: "crm_import", IDs: []identity.ID{
		{Kind: identity.Cookie, Value: "GA1.2.512900830.1700083068"},
		{Kind: identity.Phone, Value: "8 (916) 123-45-67"},
		{Kind: identity.CRM, Value: "CRM-0042"},
		{Kind: identity.Email, Value: "Ivan.Petrov+cars@googlemail.com"},
	}})
	for id := range g.Keys(ch.Profile) {
		fmt.Println(id)
	}
	// Output:
	// crm:CRM-0042
	// email:ivanpetrov@gmail.com
	// phone:+79161234567
	// cookie:512900830.1700083068
}

func ExampleGraph_Current() {
	g, _ := identity.New(nil)
	a, _ := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{
		{Kind: identity.Cookie, Value: "c-home"}, {Kind: identity.Email, Value: "anna@mail.ru"}}})
	b, _ := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{
		{Kind: identity.Cookie, Value: "c-work"}, {Kind: identity.Phone, Value: "+79161234567"}}})
	// A login joins the two browsers: one profile survives, the other retires.
	m, _ := g.Observe(identity.Observation{Source: "app_login", IDs: []identity.ID{
		{Kind: identity.Cookie, Value: "c-home"}, {Kind: identity.Cookie, Value: "c-work"}}})
	cur, _ := g.Current(b.Profile)
	fmt.Println(m.Profile == a.Profile, m.Retired[0] == b.Profile, cur == a.Profile)
	// Output: true true true
}

func ExampleNormalizeEmail() {
	for _, raw := range []string{"Ivan.Petrov+cars@GoogleMail.com", "ivan.petrov@ya.ru", " user.name+NYC@Example.com ", "Анна@Почта.РФ"} {
		v, _ := identity.NormalizeEmail(raw)
		fmt.Println(v)
	}
	// Output:
	// ivanpetrov@gmail.com
	// ivan-petrov@yandex.ru
	// user.name+nyc@example.com
	// анна@xn--80a1acny.xn--p1ai
}

func ExamplePhoneNormalizer() {
	ru := identity.PhoneNormalizer{} // Russia unless Region says otherwise
	for _, raw := range []string{"8 (916) 123-45-67", "+7 701 123 45 67", "810 49 30 1234567", "8 916 123-45-67 доб. 12"} {
		v, _ := ru.Normalize(raw)
		fmt.Println(v)
	}
	de := identity.PhoneNormalizer{Region: "DE"}
	v, _ := de.Normalize("030 1234567")
	fmt.Println(v)
	_, junk := ru.Junk("+78005553535")
	fmt.Println(junk)
	// Output:
	// +79161234567
	// +77011234567
	// +49301234567
	// +79161234567
	// +49301234567
	// true
}

func ExampleNormalizeCookie() {
	a, _ := identity.NormalizeCookie("GA1.2.512900830.1700083068")
	b, _ := identity.NormalizeCookie("512900830.1700083068")
	fmt.Println(a, a == b)
	// Output: 512900830.1700083068 true
}

func ExampleNormalizeDevice() {
	v, _ := identity.NormalizeDevice("{6F9619FF-8B86-D011-B42D-00CF4FC964FF}")
	fmt.Println(v)
	_, err := identity.NormalizeDevice("00000000-0000-0000-0000-000000000000")
	fmt.Println(errors.Is(err, identity.ErrRefused))
	// Output:
	// 6f9619ff-8b86-d011-b42d-00cf4fc964ff
	// true
}

func ExampleNew_hostKind() {
	card := identity.NormalizerFunc(func(raw string) (string, error) {
		if len(raw) != 8 {
			return "", fmt.Errorf("loyalty card: want 8 digits")
		}
		return raw, nil
	})
	g, _ := identity.New(&identity.Options{Kinds: []identity.KindSpec{
		{Kind: "loyalty", Class: identity.Hard, Normalizer: card, Rank: 15},
	}})
	_, err := g.Observe(identity.Observation{Source: "pos", IDs: []identity.ID{
		{Kind: "loyalty", Value: "12345678"}, {Kind: identity.Phone, Value: "89161234567"}}})
	fmt.Println(err)
	_, err = g.Normalize("loyalty", "123")
	fmt.Println(errors.Is(err, identity.ErrMalformed))
	// Output:
	// <nil>
	// true
}

// A graph too big for one machine leaves as edges for a distributed
// connected-components engine and comes back as labels.
func ExampleGraph_WriteEdges() {
	g, _ := identity.New(nil)
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{
		{Kind: identity.Email, Value: "Anna@Mail.ru"}, {Kind: identity.Phone, Value: "8 916 123-45-67"}, {Kind: identity.Cookie, Value: "GA1.2.111.222"}}})
	g.WriteEdges(context.Background(), os.Stdout)

	// The engine's answer, loaded into a graph with the rules off.
	back, _ := identity.New(&identity.Options{Policy: identity.Policy{Disabled: true}})
	rep, _ := back.ImportLabels(context.Background(), strings.NewReader("email:anna@mail.ru\tc1\nphone:+79161234567\tc1\ncookie:111.222\tc1\n"))
	p, _ := back.Resolve(identity.Phone, "+7 916 123 45 67")
	q, _ := back.Resolve(identity.Cookie, "111.222")
	fmt.Println(rep.Components, "component;", p == q)
	// Output:
	// src	dst
	// email:anna@mail.ru	phone:+79161234567
	// email:anna@mail.ru	cookie:111.222
	// 1 component; true
}
