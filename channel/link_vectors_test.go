package channel

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
)

var updateVectors = flag.Bool("update-link-vectors", false, "rewrite testdata/link_tokens_v2.tsv")

// linkVector is one row of the token vector files.
type linkVector struct {
	secret []byte
	nonce  []byte // format 2 only
	claims LinkClaims
	token  string
}

func readLinkVectors(t *testing.T, path string, withNonce bool) []linkVector {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []linkVector
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fs := strings.Split(sc.Text(), "\t")
		want := 8
		if withNonce {
			want = 9
		}
		if len(fs) != want {
			t.Fatalf("%s:%d: %d fields, want %d", path, line, len(fs), want)
		}
		var v linkVector
		v.secret, err = hex.DecodeString(fs[0])
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		kid, _ := strconv.ParseUint(fs[1], 10, 32)
		p, err := identity.ParseProfileID(fs[2])
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		exp, _ := strconv.ParseInt(fs[6], 10, 64)
		v.claims = LinkClaims{Profile: p, Message: fs[3], Channel: fs[4], Purpose: fs[5], Expires: time.Unix(exp, 0).UTC(), KeyID: uint32(kid)}
		if withNonce {
			if v.nonce, err = hex.DecodeString(fs[7]); err != nil {
				t.Fatalf("%s:%d: %v", path, line, err)
			}
		}
		v.token = fs[len(fs)-1]
		out = append(out, v)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no vectors", path)
	}
	return out
}

// sealByHand builds a format 2 token from the construction written in
// Links' doc, with crypto/hkdf and crypto/cipher only.
func sealByHand(t *testing.T, secret, nonce []byte, c LinkClaims) string {
	key, err := hkdf.Key(sha256.New, secret, nil, "throughline/channel/link/v2 aes-256-gcm", 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	head := binary.AppendUvarint([]byte{2}, uint64(c.KeyID))
	pt := binary.AppendUvarint(nil, uint64(c.Expires.Unix()))
	pid, _ := c.Profile.MarshalBinary()
	pt = append(pt, pid...)
	for _, s := range []string{c.Message, c.Channel, c.Purpose} {
		pt = append(append(pt, byte(len(s))), s...)
	}
	raw := append(append(head, nonce...), gcm.Seal(nil, nonce, pt, head)...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// TestLinkVectors: every format 2 vector is what the documented
// construction gives, Sign gives it with the vector's nonce, and Verify
// returns its claims; a flipped bit anywhere fails.
func TestLinkVectors(t *testing.T) {
	path := "testdata/link_tokens_v2.tsv"
	if *updateVectors {
		writeLinkVectors(t, path)
	}
	for i, v := range readLinkVectors(t, path, true) {
		if got := sealByHand(t, v.secret, v.nonce, v.claims); got != v.token {
			t.Errorf("vector %d: the construction gives %s, the file %s", i, got, v.token)
		}
		l := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{v.claims.KeyID: v.secret}, Current: v.claims.KeyID})
		l.nonce = func(b []byte) { copy(b, v.nonce) }
		if tok, err := l.Sign(v.claims); err != nil || tok != v.token {
			t.Errorf("vector %d: Sign = %s, %v; want %s", i, tok, err, v.token)
		}
		c, err := l.Verify(v.token, v.claims.Purpose, v.claims.Expires)
		if err != nil || c != v.claims {
			t.Errorf("vector %d: Verify = %+v, %v", i, c, err)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(v.token)
		for b := range raw {
			raw[b] ^= 0x80
			if _, err := l.Verify(base64.RawURLEncoding.EncodeToString(raw), v.claims.Purpose, v.claims.Expires); err == nil {
				t.Errorf("vector %d: byte %d flipped still verifies", i, b)
			}
			raw[b] ^= 0x80
		}
	}
}

// TestLinkFormat1: tokens signed before format 2 (testdata, made by the
// format 1 code) verify with their claims until they expire, and fail on
// any change, with another secret, or once their key leaves the ring.
func TestLinkFormat1(t *testing.T) {
	for i, v := range readLinkVectors(t, "testdata/link_tokens_v1.tsv", false) {
		kid := v.claims.KeyID
		l := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{kid: v.secret, kid + 1: key2}, Current: kid + 1})
		at := v.claims.Expires.Add(-time.Hour)
		c, err := l.Verify(v.token, v.claims.Purpose, at)
		if err != nil || c != v.claims {
			t.Errorf("vector %d: Verify = %+v, %v; want %+v", i, c, err, v.claims)
		}
		if _, err := l.Verify(v.token, v.claims.Purpose, v.claims.Expires.Add(time.Second)); !errors.Is(err, ErrTokenExpired) {
			t.Errorf("vector %d after expiry: %v", i, err)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(v.token)
		for b := 1; b < len(raw); b++ {
			raw[b] ^= 0x01
			if _, err := l.Verify(base64.RawURLEncoding.EncodeToString(raw), v.claims.Purpose, at); err == nil {
				t.Errorf("vector %d: byte %d flipped still verifies", i, b)
			}
			raw[b] ^= 0x01
		}
		other := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{kid: bytesOf(0x5a, 32)}, Current: kid})
		if _, err := other.Verify(v.token, v.claims.Purpose, at); !errors.Is(err, ErrTokenTampered) {
			t.Errorf("vector %d under another secret: %v", i, err)
		}
		retired := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{kid + 1: key2}, Current: kid + 1})
		if _, err := retired.Verify(v.token, v.claims.Purpose, at); !errors.Is(err, ErrTokenUnknownKey) {
			t.Errorf("vector %d after its key left the ring: %v", i, err)
		}
	}
}

func bytesOf(b byte, n int) []byte { return []byte(strings.Repeat(string(rune(b)), n)) }

func writeLinkVectors(t *testing.T, path string) {
	var b strings.Builder
	b.WriteString("# format 2 link tokens (see Links): HKDF-SHA-256 key, AES-256-GCM, the nonce given here\n")
	b.WriteString("# secret (hex)\tkey ID\tprofile\tmessage\tchannel\tpurpose\texpires (unix)\tnonce (hex)\ttoken\n")
	secrets := [][]byte{key1, key2, []byte("an example secret of 32+ bytes!!")}
	pids := []string{"0123abcd-4567-8def-8123-456789abcdef", "ffffffff-ffff-8fff-bfff-ffffffffffff", "00000000-0000-8000-8000-000000000001"}
	for i, s := range secrets {
		for j, pid := range pids {
			p, _ := identity.ParseProfileID(pid)
			kid := uint32([]int{1, 300, 70000}[(i+j)%3])
			c := LinkClaims{Profile: p, Message: []string{"send-42", "", "m-ü-" + fmt.Sprint(i)}[j], Channel: []string{"sms", "email", ""}[j],
				Purpose: []string{"view", "unsubscribe", "pay"}[j], Expires: time.Date(2030+i, 1, 1+j, 0, 0, 0, 0, time.UTC), KeyID: kid}
			nonce := make([]byte, nonceLen)
			for k := range nonce {
				nonce[k] = byte(17*i + 5*j + k)
			}
			fmt.Fprintf(&b, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%x\t%s\n", hex.EncodeToString(s), kid, pid, c.Message, c.Channel, c.Purpose, c.Expires.Unix(), nonce, sealByHand(t, s, nonce, c))
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
