package attribution

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	in := "path;total_conversions;total_conversion_value;total_null\n" +
		"eta > iota > alpha > eta;1;100;0\n" +
		" a >> b ;2;10.5;3\n" +
		"\"x > y;z\";1;1;1\n" +
		"bad;x;1;1\n" +
		";1;1;1\n" +
		"a;-1;1;1\n" +
		"a;1;1\n" +
		"\n"
	d, bad, err := ReadCSV(context.Background(), strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	paths := d.Paths()
	if len(paths) != 3 {
		t.Fatalf("%d paths: %+v", len(paths), paths)
	}
	if got := paths[0].Channels(); strings.Join(got, ",") != "eta,iota,alpha,eta" {
		t.Fatalf("path 0 = %v", got)
	}
	if got := paths[1].Channels(); strings.Join(got, ",") != "a,b" || paths[1].Value != 10.5 || paths[1].Nulls != 3 {
		t.Fatalf("path 1 = %+v", paths[1])
	}
	if got := paths[2].Channels(); strings.Join(got, ",") != "x,y;z" {
		t.Fatalf("quoted path = %v", got)
	}
	if len(bad) != 4 {
		t.Fatalf("%d bad rows: %v", len(bad), bad)
	}
	lines := []int{5, 6, 7, 8}
	for i, e := range bad {
		var re *LineError
		if !errors.As(e, &re) || re.Line != lines[i] || !errors.Is(e, ErrBadInput) {
			t.Errorf("bad row %d: %v", i, e)
		}
	}
	// Comma separator, columns in another order, no optional columns.
	d, bad, err = ReadCSV(context.Background(), strings.NewReader("total_conversions,path\n2,a > b\n"))
	if err != nil || len(bad) != 0 || d.Len() != 1 || d.Path(0).Conversions != 2 {
		t.Fatalf("%+v %v %v", paths, bad, err)
	}
	for _, h := range []string{"", "conversions,path\n", "path,path,total_conversions\n"} {
		if _, _, err := ReadCSV(context.Background(), strings.NewReader(h)); !errors.Is(err, ErrBadInput) {
			t.Errorf("header %q: %v", h, err)
		}
	}
}

func TestReadJSONL(t *testing.T) {
	in := `{"touches":[{"channel":"search","time":"2026-05-01T10:00:00Z"},{"channel":"call","time":"2026-05-03T10:00:00Z"}],"conversions":1,"value":150000,"converted_at":"2026-05-04T10:00:00Z"}
{"touches":[],"conversions":1}
{"touches":[{"channel":"x"}]}
not json
{"touches":[{"channel":"a"}],"conversions":0,"nulls":2}
`
	d, bad, err := ReadJSONL(context.Background(), strings.NewReader(in))
	if err != nil || d.Len() != 2 || len(bad) != 3 {
		t.Fatalf("%d paths, bad %v, %v", d.Len(), bad, err)
	}
	r, err := TimeDecay{}.Attribute(context.Background(), NewDataset(d.Paths()[:1]))
	if err != nil || r.Credit("call").Conversions <= r.Credit("search").Conversions {
		t.Fatalf("time decay on JSONL: %+v %v", r, err)
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add("path;total_conversions;total_conversion_value;total_null\na > b;1;10;2\n\"q > r\";1;1;1\n")
	f.Add("total_conversions,path\n1,a\n")
	f.Add("path,total_conversions\n,\n")
	f.Fuzz(func(t *testing.T, in string) {
		d, bad, err := ReadCSV(context.Background(), strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error %v is not ErrBadInput", err)
			}
			return
		}
		for _, e := range bad {
			var re *LineError
			if !errors.As(e, &re) || re.Line < 2 {
				t.Fatalf("bad row error %v", e)
			}
		}
		for _, p := range d.Paths() {
			if len(p.Touches) == 0 || p.Conversions < 0 || p.Nulls < 0 || p.Value < 0 {
				t.Fatalf("accepted a bad path %+v", p)
			}
			for _, tc := range p.Touches {
				if tc.Channel == "" || strings.TrimSpace(tc.Channel) != tc.Channel && strings.Trim(tc.Channel, " ") != tc.Channel {
					t.Fatalf("channel %q not trimmed", tc.Channel)
				}
			}
		}
		// Every model takes what the reader accepts.
		if _, err := (Markov{}).Attribute(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	})
}
